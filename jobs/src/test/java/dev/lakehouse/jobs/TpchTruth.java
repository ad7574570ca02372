package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.jobs.pipeline.Pipeline;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Independent truth for the demo pipeline's {@code gold.pricing_summary} (TPC-H Q1): the official
 * answer's A|F row at SF 0.01, and DuckDB running the same query over the same landed CSV files.
 */
public final class TpchTruth {
  private TpchTruth() {}

  /** Fails unless {@code gold.pricing_summary} of {@code p} is TPC-H Q1 over every file under {@code landing}. */
  public static void assertPricingSummaryIsQ1(Pipeline p, Path landing, Path home) throws Exception {
    List<List<Object>> q1 = rows(p, "SELECT * FROM gold.pricing_summary ORDER BY l_returnflag, l_linestatus");
    // The official TPC-H answer at SF 0.01, row A|F: sum_qty 380456, count_order 14876.
    assertThat(q1.get(0).subList(0, 3)).containsExactly("A", "F", new BigDecimal("380456.00"));
    assertThat(q1.get(0).get(9)).isEqualTo(14876L);
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:"); Statement s = duck.createStatement()) {
      s.execute("CREATE VIEW lineitem AS SELECT CAST(l_quantity AS DECIMAL(15,2)) l_quantity,"
          + " CAST(l_extendedprice AS DECIMAL(15,2)) l_extendedprice, CAST(l_discount AS DECIMAL(15,2)) l_discount,"
          + " CAST(l_tax AS DECIMAL(15,2)) l_tax, l_returnflag, l_linestatus, CAST(l_shipdate AS DATE) l_shipdate"
          + " FROM read_csv('" + landing.resolve("lineitem") + "/*.csv', header = true, all_varchar = true)");
      String q1Sql = Files.readString(home.resolve("conf/pipelines/sql/pricing_summary.sql")).replace("silver.", "");
      List<List<Object>> duck1 = new ArrayList<>();
      try (ResultSet rs = s.executeQuery(q1Sql)) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          List<Object> row = new ArrayList<>();
          for (int i = 1; i <= n; i++) {
            row.add(rs.getObject(i));
          }
          duck1.add(row);
        }
      }
      assertThat(q1).hasSameSizeAs(duck1);
      for (int r = 0; r < duck1.size(); r++) {
        for (int c = 0; c < duck1.get(r).size(); c++) {
          Object a = q1.get(r).get(c);
          Object e = duck1.get(r).get(c);
          if (e instanceof Number) {
            assertThat(new BigDecimal(a.toString()).subtract(new BigDecimal(e.toString())).abs())
                .as("row %d column %d: %s vs DuckDB %s", r, c, a, e).isLessThanOrEqualTo(new BigDecimal("0.00001"));
          } else {
            assertThat(String.valueOf(a)).as("row %d column %d", r, c).isEqualTo(String.valueOf(e));
          }
        }
      }
    }
  }

  private static List<List<Object>> rows(Pipeline p, String sql) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : p.sql(sql).collectAsList()) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.get(i));
      }
      out.add(row);
    }
    return out;
  }
}
