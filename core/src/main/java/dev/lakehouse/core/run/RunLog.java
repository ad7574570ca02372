package dev.lakehouse.core.run;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.max;

import dev.lakehouse.core.spec.LakehouseSettings;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * The system table {@code _lakehouse.runs} (a {@link SystemTable}): one row per table run, appended
 * when the run ends, queryable with SQL like any table.
 */
public final class RunLog {
  public static final String TABLE = "_lakehouse.runs";

  static final StructType SCHEMA = new StructType()
      .add("run_id", DataTypes.StringType, false)
      .add("table_name", DataTypes.StringType, false)
      .add("mode", DataTypes.StringType, false)
      .add("started_at", DataTypes.TimestampType, false)
      .add("ended_at", DataTypes.TimestampType, false)
      .add("status", DataTypes.StringType, false)
      .add("error", DataTypes.StringType, true)
      .add("rows_read", DataTypes.LongType, false)
      .add("rows_written", DataTypes.LongType, false)
      .add("rows_quarantined", DataTypes.LongType, false)
      .add("source_versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType), false)
      .add("target_version", DataTypes.StringType, true)
      .add("spec_hash", DataTypes.StringType, false);

  private final SparkSession spark;
  private final SystemTable table;

  public RunLog(SparkSession spark, LakehouseSettings settings) {
    this.spark = spark;
    this.table = new SystemTable(spark, TABLE, settings.systemLocation() + "/runs");
  }

  public String location() {
    return table.location();
  }

  /** The Delta table the log is kept in, to maintain it. */
  public SystemTable table() {
    return table;
  }

  /**
   * Appends the rows of finished table runs in one commit (one commit per pipeline run keeps the
   * log cheap; a row per table run keeps it exact).
   *
   * @param specHashes the spec hash of each table, by {@code layer.name}
   */
  public void record(String runId, List<TableRunResult> results, Map<String, String> specHashes) {
    if (results.isEmpty()) {
      return;
    }
    List<Row> rows = new ArrayList<>();
    for (TableRunResult r : results) {
      rows.add(RowFactory.create(runId, r.table().toString(), r.mode().id(),
          Timestamp.from(r.startedAt()), Timestamp.from(r.startedAt().plus(r.duration())),
          status(r.status()), r.error().orElse(null), r.rowsRead(), r.rowsWritten(), r.rowsQuarantined(),
          JavaConverters.mapAsScalaMap(r.sourceVersions()).toMap(scala.Predef$.MODULE$.$conforms()),
          r.versionAfter().map(v -> v.id()).orElse(null), specHashes.get(r.table().toString())));
    }
    table.append(spark.createDataFrame(rows, SCHEMA));
  }

  /**
   * When each table's last successful run of {@code mode} ended, by {@code layer.name}: one query
   * of the log, for all tables. Empty when no run has written the log yet.
   */
  public Map<String, Instant> lastSucceeded(RunMode mode) {
    Map<String, Instant> last = new HashMap<>();
    if (!table.exists()) {
      return last;
    }
    spark.read().format("delta").load(table.location())
        .where(col("mode").equalTo(mode.id()).and(col("status").equalTo(status(TableRunResult.Status.SUCCEEDED))))
        .groupBy("table_name").agg(max("ended_at"))
        .collectAsList().forEach(r -> last.put(r.getString(0), r.getTimestamp(1).toInstant()));
    return last;
  }

  /** How the {@code status} column says {@code s}. */
  private static String status(TableRunResult.Status s) {
    return s.name().toLowerCase(Locale.ROOT);
  }

  /** Registers {@value #TABLE} when the log exists, so SQL can read it. */
  public void register() {
    table.register();
  }
}
