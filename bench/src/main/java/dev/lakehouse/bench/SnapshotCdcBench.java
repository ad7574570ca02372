package dev.lakehouse.bench;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.SilverTransform;
import dev.lakehouse.silver.cdc.SnapshotDiff;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Full snapshots of a dimension of {@code --rows} keys (default 1 M) into a silver SCD type 1 and
 * an SCD type 2 table ({@code cdc { format = snapshot }}), against a plain Spark job that does what
 * a data engineer writes by hand on Delta: the new snapshot full-outer-joined with the one before,
 * then a {@code MERGE} (for type 2, Delta's documented pattern: one MERGE closes the changed keys'
 * current versions and inserts their new ones). Each snapshot differs from the one before in about
 * 2.5 % of the keys (1 % moved, 1 % moved back, 0.25 % gone, 0.25 % new). The first snapshot (a full load) and one
 * change snapshot are applied untimed by both (the JVM's warm-up); then {@code --snapshots} more,
 * the order of the two jobs flipping each time; per snapshot both times and their ratio, then the
 * median ratio. Both jobs' tables are compared at the end (type 1 rows; type 2 versions).
 * Arguments: {@code --rows 1000000} {@code --snapshots 4} {@code --work bench/target/work}
 * {@code --profile true} (each step's Spark jobs, by the line that started them).
 */
public final class SnapshotCdcBench {
  private static final LocalDate FIRST = LocalDate.of(2026, 1, 1);

  private SnapshotCdcBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = BenchSetup.args(Map.of("rows", "1000000", "snapshots", "4", "work", "bench/target/work"), args);
    Path work = Path.of(a.get("work")).toAbsolutePath();
    SparkSession spark = BenchSetup.session(work, "snapshot-bench");
    long rows = Long.parseLong(a.get("rows"));
    int timed = Integer.parseInt(a.get("snapshots"));
    Path root = work.resolve("snapshots-" + UUID.randomUUID());
    Dimension d = new Dimension(spark, root);
    List<String> report = new ArrayList<>();
    List<Double> ratios1 = new ArrayList<>();
    List<Double> ratios2 = new ArrayList<>();
    JobProfile profile = a.containsKey("profile") ? JobProfile.attach(spark) : null;
    for (int k = 0; k < timed + 2; k++) {
      d.land(snapshot(spark, rows, k));
      boolean frameworkFirst = k % 2 == 0;
      double[] f = new double[2];
      double[] h = new double[2];
      if (frameworkFirst) {
        f = d.framework();
        drain(profile, "framework, snapshot " + k);
        h = d.handWritten(k);
        drain(profile, "hand-written, snapshot " + k);
      } else {
        h = d.handWritten(k);
        drain(profile, "hand-written, snapshot " + k);
        f = d.framework();
        drain(profile, "framework, snapshot " + k);
      }
      double[] diff = k == 0 ? new double[] {0, 0} : d.diffsAlone(k);
      String line = String.format("snapshot %d (%s first): type 1 framework %.1f s, hand-written %.1f s, ratio %.3f;"
              + " type 2 framework %.1f s, hand-written %.1f s, ratio %.3f; the comparison alone %.1f s, hand-written %.1f s%s",
          k, frameworkFirst ? "framework" : "hand-written", f[0], h[0], f[0] / h[0], f[1], h[1], f[1] / h[1], diff[0], diff[1],
          k < 2 ? " (warm-up, not in the median)" : "");
      System.out.println("BENCH " + line);
      report.add(line);
      if (k >= 2) {
        ratios1.add(f[0] / h[0]);
        ratios2.add(f[1] / h[1]);
      }
    }
    long changed = d.changedKeys(timed + 1);
    Dataset<Row> type1 = LakehouseTable.of(d.scd1).read(spark).selectExpr("id", "name", "city", "balance");
    Dataset<Row> hand1 = spark.read().format("delta").load(d.hand1).selectExpr("id", "name", "city", "balance");
    long differ1 = type1.exceptAll(hand1).count() + hand1.exceptAll(type1).count();
    String versions = "id, name, city, balance, valid_from, valid_to";
    Dataset<Row> type2 = LakehouseTable.of(d.scd2).read(spark).selectExpr(versions.split(", "));
    Dataset<Row> hand2 = spark.read().format("delta").load(d.hand2).selectExpr(versions.split(", "));
    long differ2 = type2.exceptAll(hand2).count() + hand2.exceptAll(type2).count();
    System.out.println("\nSnapshots of " + String.format("%,d", rows) + " keys, about " + String.format("%,d", changed)
        + " keys changed per snapshot (" + Runtime.getRuntime().availableProcessors() + " cores, Delta)");
    report.forEach(System.out::println);
    System.out.print(String.format("median ratio framework / hand-written: type 1 %.3f, type 2 %.3f%n", BronzeIngestBench.median(ratios1), BronzeIngestBench.median(ratios2)));
    System.out.print(String.format("rows differing from the hand-written tables: type 1 %d (of %,d), type 2 %d (of %,d versions)%n",
        differ1, hand1.count(), differ2, hand2.count()));
    spark.stop();
  }

  /**
   * Snapshot {@code k}: keys 0 .. rows-1 and rows/400 new ones per snapshot; a key whose hash
   * bucket (of 400) is in 1..k is gone; a key whose other bucket (of 100) is k has moved in
   * snapshot k (and moves back in the next): about 2 %, 0.25 % and 0.25 % per snapshot.
   */
  private static Dataset<Row> snapshot(SparkSession spark, long rows, int k) {
    long keys = rows + k * (rows / 400);
    return spark.sql("SELECT id, concat('name ', id) AS name,"
        + " CASE WHEN " + k + " > 0 AND pmod(hash(id, 7), 100) = " + (k % 100) + " THEN 'moved " + k + "'"
        + " ELSE concat('city ', id % 1000) END AS city,"
        + " CAST(id % 10000 AS DECIMAL(12,2)) AS balance, DATE '" + FIRST.plusDays(k) + "' AS snap"
        + " FROM range(0, " + keys + ")"
        + " WHERE NOT (pmod(hash(id), 400) BETWEEN 1 AND " + k + ")");
  }

  private static void drain(JobProfile profile, String step) {
    if (profile != null) {
      System.out.print(profile.drain(step));
    }
  }

  /** The bronze table of snapshots, the framework's two silver tables over it, and the hand-written job's two tables. */
  private static final class Dimension {
    final SparkSession spark;
    final TableSpec bronze;
    final TableSpec scd1;
    final TableSpec scd2;
    final String hand1;
    final String hand2;

    Dimension(SparkSession spark, Path root) throws Exception {
      this.spark = spark;
      PipelineSpec p = BenchSetup.pipeline(root, """
          pipeline { name = snapshotbench, format = delta, tables {
            bronze { dim_snapshots { source { type = files, format = json, path = landing,
              schema = "id BIGINT, name STRING, city STRING, balance DECIMAL(12,2), snap DATE" } } }
            silver {
              dim { source { type = table, table = bronze.dim_snapshots }, keys = [id], sequence-by = snap,
                    cdc { format = snapshot } }
              dim_history { source { type = table, table = bronze.dim_snapshots }, keys = [id], sequence-by = snap,
                    write = scd2, cdc { format = snapshot } }
            }
          } }
          """);
      bronze = p.table(TableName.parse("bronze.dim_snapshots"));
      scd1 = p.table(TableName.parse("silver.dim"));
      scd2 = p.table(TableName.parse("silver.dim_history"));
      hand1 = root.resolve("hand/dim").toString();
      hand2 = root.resolve("hand/dim_history").toString();
    }

    void land(Dataset<Row> snapshot) {
      LakehouseTable.of(bronze).append(snapshot, Optional.empty());
    }

    /** Both silver tables over the new snapshot, one after the other; seconds of each. */
    double[] framework() {
      return new double[] {BenchSetup.runSilver(spark, scd1, bronze), BenchSetup.runSilver(spark, scd2, bronze)};
    }

    /** The changes of snapshot {@code k} against {@code k - 1}: the columns, {@code deleted}, and whether the key existed. */
    private Dataset<Row> changes(int k) {
      Dataset<Row> all = spark.read().format("delta").load(LakehouseTable.of(bronze).location());
      all.where("snap = DATE '" + FIRST.plusDays(k) + "'").createOrReplaceTempView("cur");
      all.where("snap = DATE '" + FIRST.plusDays(k - 1) + "'").createOrReplaceTempView("prev");
      return spark.sql("SELECT coalesce(c.id, p.id) AS id, coalesce(c.name, p.name) AS name, coalesce(c.city, p.city) AS city,"
          + " coalesce(c.balance, p.balance) AS balance, DATE '" + FIRST.plusDays(k) + "' AS snap,"
          + " c.id IS NULL AS deleted, p.id IS NOT NULL AS existed"
          + " FROM cur c FULL OUTER JOIN prev p ON c.id = p.id"
          + " WHERE c.id IS NULL OR p.id IS NULL OR NOT (c.name <=> p.name AND c.city <=> p.city AND c.balance <=> p.balance)");
    }

    /** The hand-written job: a first load, then each snapshot's changes merged; seconds of type 1 and type 2. */
    double[] handWritten(int k) {
      String snap = "DATE '" + FIRST.plusDays(k) + "'";
      long t0 = System.nanoTime();
      if (k == 0) {
        snapshotRows(k).write().format("delta").save(hand1);
      } else {
        changes(k).createOrReplaceTempView("changes");
        spark.sql("MERGE INTO delta.`" + hand1 + "` t USING changes s ON t.id = s.id"
            + " WHEN MATCHED AND s.deleted THEN DELETE"
            + " WHEN MATCHED THEN UPDATE SET name = s.name, city = s.city, balance = s.balance, snap = s.snap"
            + " WHEN NOT MATCHED AND NOT s.deleted THEN INSERT (id, name, city, balance, snap) VALUES (s.id, s.name, s.city, s.balance, s.snap)");
      }
      double type1 = BenchSetup.seconds(t0);
      long t1 = System.nanoTime();
      if (k == 0) {
        snapshotRows(k).selectExpr("*", "snap AS valid_from", "CAST(NULL AS DATE) AS valid_to", "true AS is_current")
            .write().format("delta").save(hand2);
      } else {
        changes(k).createOrReplaceTempView("changes");
        // Every change closes the key's current version; an update also inserts the new one (merge_key NULL never matches).
        spark.sql("MERGE INTO delta.`" + hand2 + "` t USING ("
            + " SELECT id AS merge_key, * FROM changes UNION ALL SELECT NULL AS merge_key, * FROM changes WHERE existed AND NOT deleted) s"
            + " ON t.id = s.merge_key AND t.is_current"
            + " WHEN MATCHED THEN UPDATE SET valid_to = " + snap + ", is_current = false"
            + " WHEN NOT MATCHED AND NOT s.deleted THEN INSERT (id, name, city, balance, snap, valid_from, valid_to, is_current)"
            + " VALUES (s.id, s.name, s.city, s.balance, s.snap, s.snap, NULL, true)");
      }
      return new double[] {type1, BenchSetup.seconds(t1)};
    }

    private Dataset<Row> snapshotRows(int k) {
      return spark.read().format("delta").load(LakehouseTable.of(bronze).location())
          .where("snap = DATE '" + FIRST.plusDays(k) + "'").selectExpr("id", "name", "city", "balance", "snap");
    }

    /** Snapshot {@code k}'s changes counted, found by the framework's comparison and by the hand-written join; seconds of each. */
    double[] diffsAlone(int k) {
      LayerSpec.Silver silver = (LayerSpec.Silver) scd1.layer();
      SnapshotDiff framework = new SnapshotDiff((CdcSpec.Snapshot) silver.cdc().orElseThrow(), scd1.name(), scd1.keys(), "snap");
      Dataset<Row> all = spark.read().format("delta").load(LakehouseTable.of(bronze).location());
      long t0 = System.nanoTime();
      long found = framework.changes(all.where("snap = DATE '" + FIRST.plusDays(k) + "'"), all).count();
      double frameworkSeconds = BenchSetup.seconds(t0);
      long t1 = System.nanoTime();
      long joined = changes(k).count();
      double handSeconds = BenchSetup.seconds(t1);
      if (found != joined) {
        throw new IllegalStateException("snapshot " + k + ": the framework found " + found + " changes, the hand-written join " + joined);
      }
      return new double[] {frameworkSeconds, handSeconds};
    }

    long changedKeys(int k) {
      return changes(k).count();
    }
  }
}
