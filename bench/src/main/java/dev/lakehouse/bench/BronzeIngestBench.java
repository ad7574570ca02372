package dev.lakehouse.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.BronzeIngest;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import io.trino.tpch.LineItem;
import io.trino.tpch.LineItemColumn;
import io.trino.tpch.LineItemGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * TPC-H lineitem CSV into a bronze table, by the framework and by a hand-written
 * {@code spark.read().csv(...).write()}, on the same files in one JVM; prints rows/s and the ratio
 * framework / hand-written per format. The hand-written job writes the same table (with bronze's
 * lineage columns); a bare read and write without them is timed too. Arguments: {@code --sf 1}
 * {@code --format delta|hudi|both} {@code --files 8} {@code --rounds 1} {@code --work bench/target/work}.
 */
public final class BronzeIngestBench {
  /** As bronze keeps it in the demo pipeline: every column as text. */
  static final String SCHEMA = "l_orderkey STRING, l_partkey STRING, l_suppkey STRING, l_linenumber STRING, l_quantity STRING, "
      + "l_extendedprice STRING, l_discount STRING, l_tax STRING, l_returnflag STRING, l_linestatus STRING, l_shipdate STRING, "
      + "l_commitdate STRING, l_receiptdate STRING, l_shipinstruct STRING, l_shipmode STRING, l_comment STRING";

  private BronzeIngestBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchSetup.args(Map.of("sf", "1", "format", "both", "files", "8", "rounds", "1", "work", "bench/target/work"), args);
    double sf = Double.parseDouble(a.get("sf"));
    Path work = Path.of(a.get("work")).toAbsolutePath();
    Path landing = work.resolve("landing-sf" + a.get("sf")).resolve("lineitem");
    long rows = generate(landing, sf, Integer.parseInt(a.get("files")));

    SparkSession spark = BenchSetup.session(work, "bronze-bench");
    List<String> formats = a.get("format").equals("both") ? List.of("delta", "hudi") : List.of(a.get("format"));
    List<String> report = new ArrayList<>();
    Map<String, List<Double>> ratios = new java.util.TreeMap<>();
    for (String format : formats) {
      // Untimed: the session's first write of a format pays class loading and code generation.
      handWritten(spark, landing.resolve("part-001.csv"), format, work.resolve("warm-up-" + format + "-" + UUID.randomUUID()), true);
      for (int round = 1; round <= Integer.parseInt(a.get("rounds")); round++) {
        // The order flips every round, so that neither side always runs on the warmer (or more
        // collected-after) JVM: bare, same-table, framework; then framework, same-table, bare.
        Path bareOut = work.resolve("bare-" + format + "-" + UUID.randomUUID());
        Path handOut = work.resolve("hand-" + format + "-" + UUID.randomUUID());
        Path frameworkOut = work.resolve("framework-" + format + "-" + UUID.randomUUID());
        double bare;
        double hand;
        double framework;
        if (round % 2 == 1) {
          bare = handWritten(spark, landing, format, bareOut, false);
          hand = handWritten(spark, landing, format, handOut, true);
          framework = framework(landing, format, frameworkOut, rows);
        } else {
          framework = framework(landing, format, frameworkOut, rows);
          hand = handWritten(spark, landing, format, handOut, true);
          bare = handWritten(spark, landing, format, bareOut, false);
        }
        ratios.computeIfAbsent(format, f -> new ArrayList<>()).add(framework / hand);
        report.add(String.format("%-6s round %d  rows %,d  hand-written same table %.1f s (%,.0f rows/s)  framework %.1f s "
            + "(%,.0f rows/s)  ratio %.3f  |  bare read+write (no lineage columns) %.1f s, ratio %.3f",
            format, round, rows, hand, rows / hand, framework, rows / framework, framework / hand, bare, framework / bare));
        System.out.println("BENCH " + report.get(report.size() - 1));
      }
    }
    System.out.println("\nTPC-H SF " + a.get("sf") + " lineitem CSV -> bronze (" + Runtime.getRuntime().availableProcessors()
        + " cores, " + spark.sparkContext().master() + ")");
    report.forEach(System.out::println);
    ratios.forEach((format, r) -> System.out.print(String.format("%-6s median framework / hand-written same table over %d round(s): %.3f%n",
        format, r.size(), median(r))));
    spark.stop();
  }

  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    java.util.Collections.sort(v);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }

  /**
   * {@code spark.read().csv(...).write()}; with {@code lineage}, the same table the framework
   * writes: the data columns plus {@code _source}, {@code _ingested_at}, {@code _batch_id} and
   * {@code _run_id}, so the ratio measures the framework's machinery, not the columns bronze adds.
   */
  static double handWritten(SparkSession spark, Path landing, String format, Path out, boolean lineage) {
    long start = System.nanoTime();
    Dataset<Row> rows = spark.read().schema(SCHEMA).option("header", "true").csv(landing.toString());
    if (lineage) {
      rows = rows.select(col("*"), col("_metadata.file_path").as("_source"), current_timestamp().as("_ingested_at"),
          lit(0L).as("_batch_id"), lit(UUID.randomUUID().toString()).as("_run_id"));
    }
    var w = rows.write().format(format).mode(SaveMode.Append);
    if (format.equals("hudi")) {
      // the options the framework gives a keyless Hudi table
      w = w.option("hoodie.table.name", "bronze_lineitem").option("hoodie.datasource.write.operation", "bulk_insert")
          .option("hoodie.datasource.write.table.type", "COPY_ON_WRITE");
    }
    w.save(out.toString());
    return (System.nanoTime() - start) / 1e9;
  }

  static double framework(Path landing, String format, Path root, long expectedRows) throws IOException {
    Files.createDirectories(root);
    Path conf = root.resolve("bench.conf");
    Files.writeString(conf, "pipeline { name = bench, format = " + format + ", tables { bronze { lineitem { source {\n"
        + "type = files, format = csv, path = \"" + landing + "\", schema = \"" + SCHEMA + "\", options { header = \"true\" }\n"
        + "} } } } }\n");
    PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", root.toString())));
    TableSpec t = p.table(TableName.parse("bronze.lineitem"));
    long start = System.nanoTime();
    TableRunResult r = new TableRunner(SparkSession.active(), UUID.randomUUID().toString(), Duration.ofSeconds(10))
        .runBatch(new BronzeIngest(t), t.checkpoint(), false);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (r.error().isPresent() || r.rowsWritten() != expectedRows) {
      throw new IllegalStateException("framework run wrote " + r.rowsWritten() + " of " + expectedRows + " rows: " + r.error().orElse(""));
    }
    return seconds;
  }

  /** Lineitem as dbgen writes it, split into {@code files} CSV files with a header; kept for later runs. */
  static long generate(Path dir, double sf, int files) throws IOException {
    Path count = dir.resolveSibling("lineitem.rows");
    if (Files.exists(count)) {
      return Long.parseLong(Files.readString(count).trim());
    }
    Files.createDirectories(dir);
    long rows = 0;
    long start = System.nanoTime();
    for (int part = 1; part <= files; part++) {
      Path tmp = dir.resolveSibling("part-" + part + ".tmp");
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        List<String> names = new ArrayList<>();
        for (LineItemColumn c : LineItemColumn.values()) {
          names.add(c.getColumnName());
        }
        w.write(String.join(",", names));
        w.write('\n');
        for (LineItem li : new LineItemGenerator(sf, part, files)) {
          w.write(li.getOrderKey() + "," + li.getPartKey() + "," + li.getSupplierKey() + "," + li.getLineNumber() + ","
              + money(li.getQuantity() * 100L) + "," + money(li.getExtendedPriceInCents()) + "," + money(li.getDiscountPercent())
              + "," + money(li.getTaxPercent()) + "," + li.getReturnFlag() + "," + li.getStatus() + ","
              + LocalDate.ofEpochDay(li.getShipDate()) + "," + LocalDate.ofEpochDay(li.getCommitDate()) + ","
              + LocalDate.ofEpochDay(li.getReceiptDate()) + "," + li.getShipInstructions() + "," + li.getShipMode() + ","
              + quoted(li.getComment()) + "\n");
          rows++;
        }
      }
      Files.move(tmp, dir.resolve(String.format("part-%03d.csv", part)), StandardCopyOption.ATOMIC_MOVE);
    }
    Files.writeString(count, Long.toString(rows));
    System.out.print(String.format("generated %,d lineitem rows in %d files in %.1f s%n", rows, files, (System.nanoTime() - start) / 1e9));
    return rows;
  }

  private static String money(long cents) {
    return BigDecimal.valueOf(cents, 2).setScale(2, RoundingMode.UNNECESSARY).toPlainString();
  }

  private static String quoted(String v) {
    return v.contains(",") || v.contains("\"") ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
  }
}
