package dev.lakehouse.bench;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.SilverTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A silver SCD type 2 dimension of {@code --rows} keys (default 1 M, then 4 M): change batches
 * touching 0.1 %, 1 % and 10 % of the keys, each applied by the framework, and the same history
 * recomputed by a plain Spark job that rewrites the whole table (window over every event). Prints
 * the time per batch, the full rewrite's time and their ratio, per format and table size; a second
 * size shows which of the two costs follows the table. One untimed change batch and rewrite come
 * first, so neither pays the JVM's warm-up. Arguments: {@code --rows 1000000,4000000}
 * {@code --format delta|hudi|both} {@code --work bench/target/work} {@code --profile true}.
 */
public final class Scd2ChangeBench {
  private static final double[] SHARES = {0.001, 0.01, 0.1};

  private Scd2ChangeBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchSetup.args(Map.of("rows", "1000000,4000000", "format", "both", "work", "bench/target/work"), args);
    Path work = Path.of(a.get("work")).toAbsolutePath();
    SparkSession spark = BenchSetup.session(work, "scd2-bench");
    List<String> formats = a.get("format").equals("both") ? List.of("delta", "hudi") : List.of(a.get("format"));
    List<String> report = new ArrayList<>();
    JobProfile profile = a.containsKey("profile") ? JobProfile.attach(spark) : null;
    StackSampler sampler = a.containsKey("profile") ? StackSampler.start() : null;
    for (String format : formats) {
      for (String size : a.get("rows").split(",")) {
        long rows = Long.parseLong(size.trim());
        Path root = work.resolve("scd2-" + format + "-" + UUID.randomUUID());
        Dimension d = new Dimension(spark, root, format);
        long t0 = System.nanoTime();
        d.land(events(spark, rows, 1, 1));
        double load = d.apply();
        if (profile != null) {
          System.out.print(profile.drain(format + " initial load"));
          System.out.print(sampler.drain(format + " initial load"));
        }
        report.add(String.format("%-5s %,10d keys: initial load %.1f s (landing included: %.1f s)", format, rows, load, BenchSetup.seconds(t0)));
        System.out.println("BENCH " + report.get(report.size() - 1));
        // Untimed: the first batch and rewrite of a JVM compile what the later ones reuse.
        d.land(events(spark, rows, 1000, 2));
        double warmBatch = d.apply();
        double warmRewrite = d.fullRewrite();
        System.out.print(String.format("BENCH %-5s %,10d keys: warm-up batch %.1f s, rewrite %.1f s (not reported)%n", format, rows, warmBatch, warmRewrite));
        if (profile != null) {
          profile.drain("warm-up");
          sampler.drain("warm-up");
        }
        int day = 3;
        for (double share : SHARES) {
          long step = Math.round(1 / share);
          d.land(events(spark, rows, step, day));
          if (profile != null) {
            profile.drain("landing");
            sampler.drain("landing");
          }
          double batch = d.apply();
          if (profile != null) {
            System.out.print(profile.drain(format + " change " + share));
            System.out.print(sampler.drain(format + " change " + share));
          }
          double full = d.fullRewrite();
          if (profile != null) {
            System.out.print(profile.drain(format + " full rewrite " + share));
          }
          long changed = (rows + step - 1) / step;
          report.add(String.format("%-5s %,10d keys: change of %5.1f %% (%,d keys): framework batch %.1f s, full rewrite %.1f s, ratio %.3f",
              format, rows, share * 100, changed, batch, full, batch / full));
          System.out.println("BENCH " + report.get(report.size() - 1));
          day++;
        }
        long versions = LakehouseTable.of(d.silver).read(spark).count();
        long expected = d.rewritten.read(spark).count();
        report.add(String.format("%-5s %,10d keys: history rows: framework %,d, full rewrite %,d%s", format, rows, versions, expected,
            versions == expected ? "" : "  MISMATCH"));
        System.out.println("BENCH " + report.get(report.size() - 1));
      }
    }
    System.out.println("\nSCD type 2 dimension (" + Runtime.getRuntime().availableProcessors() + " cores, " + spark.sparkContext().master() + ")");
    report.forEach(System.out::println);
    spark.stop();
  }

  /**
   * Change events for every {@code step}-th key of {@code rows}, dated {@code day} days after
   * the first: on day 1 every key's first version, later a move to another city (a tracked change).
   */
  private static Dataset<Row> events(SparkSession spark, long rows, long step, int day) {
    String city = day == 1 ? "concat('city ', id % 1000)" : "concat('moved ', " + day + ")";
    return spark.sql("SELECT id, concat('name ', id) AS name, " + city + " AS city,"
        + " CAST(id % 10000 AS DECIMAL(12,2)) AS balance, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL " + (day - 1) + " DAYS AS updated_at"
        + " FROM range(0, " + rows + ", " + step + ")");
  }

  /** A bronze table of change events and the silver SCD2 table over it, declared as a user would. */
  private static final class Dimension {
    final SparkSession spark;
    final TableSpec bronze;
    final TableSpec silver;
    final LakehouseTable rewritten;

    Dimension(SparkSession spark, Path root, String format) throws Exception {
      this.spark = spark;
      PipelineSpec p = BenchSetup.pipeline(root, """
          pipeline { name = scd2bench, format = %s, tables {
            bronze { dim_changes { source { type = files, format = json, path = landing,
              schema = "id BIGINT, name STRING, city STRING, balance DECIMAL(12,2), updated_at TIMESTAMP" } } }
            silver { dim {
              source { type = table, table = bronze.dim_changes }
              keys = [id], sequence-by = updated_at, write = scd2
              select = [id, name, city, balance, updated_at]
            } }
          } }
          """.formatted(format));
      bronze = p.table(TableName.parse("bronze.dim_changes"));
      silver = p.table(TableName.parse("silver.dim"));
      rewritten = new LakehouseTable(TableName.parse("silver.dim_rewritten"), root.resolve("rewritten").toString(),
          List.of("id", "valid_from"), List.of(), FormatKind.valueOf(format.toUpperCase(java.util.Locale.ROOT)));
    }

    void land(Dataset<Row> events) {
      LakehouseTable.of(bronze).append(events, Optional.empty());
    }

    /** Runs the silver table over the new bronze rows; seconds. */
    double apply() {
      return BenchSetup.runSilver(spark, silver, bronze);
    }

    /** The hand-written alternative: every event, one window per key, the whole table rewritten; seconds. */
    double fullRewrite() {
      long t0 = System.nanoTime();
      Dataset<Row> history = LakehouseTable.of(bronze).read(spark).selectExpr("id", "name", "city", "balance", "updated_at")
          .selectExpr("*", "updated_at AS valid_from", "lead(updated_at) OVER (PARTITION BY id ORDER BY updated_at) AS valid_to")
          .selectExpr("*", "valid_to IS NULL AS is_current");
      rewritten.overwrite(history, Optional.empty());
      return BenchSetup.seconds(t0);
    }
  }
}
