package dev.lakehouse.jobs.cli;

import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.pipeline.Pipeline;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "sql", description = "Run a SQL query over the pipeline's tables (named layer.name); print CSV with a header.")
final class SqlCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Parameters(index = "0", description = "The query, e.g. \"SELECT * FROM gold.pricing_summary\".")
  String query;

  @Override
  public Integer call() {
    Pipeline pipeline = Lakehouse.open(common.request());
    printCsv(pipeline.sql(query), System.out);
    return LakehouseMain.OK;
  }

  /** RFC 4180 CSV: a header, then one line per row; nulls are empty fields. */
  static void printCsv(Dataset<Row> rows, PrintStream out) {
    String[] columns = rows.columns();
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < columns.length; i++) {
      line.append(i == 0 ? "" : ",").append(quote(columns[i]));
    }
    out.println(line);
    List<Row> all = rows.collectAsList();
    for (Row r : all) {
      line.setLength(0);
      for (int i = 0; i < columns.length; i++) {
        Object v = r.get(i);
        String text = v == null ? "" : v instanceof BigDecimal d ? d.toPlainString() : v.toString();
        line.append(i == 0 ? "" : ",").append(quote(text));
      }
      out.println(line);
    }
  }

  private static String quote(String s) {
    if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
    return s;
  }
}
