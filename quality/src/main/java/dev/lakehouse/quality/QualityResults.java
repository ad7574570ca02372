package dev.lakehouse.quality;

import dev.lakehouse.core.run.SystemTable;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.TableName;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The system table {@code _lakehouse.quality_results}: one row per expectation per checked batch,
 * appended before the batch's rows are written (so a run stopped by {@code action = fail} still
 * says why). A {@link SystemTable}, like {@code _lakehouse.runs}.
 */
public final class QualityResults {
  public static final String TABLE = "_lakehouse.quality_results";

  static final StructType SCHEMA = new StructType()
      .add("run_id", DataTypes.StringType, false)
      .add("table_name", DataTypes.StringType, false)
      .add("batch_id", DataTypes.LongType, false)
      .add("rule", DataTypes.StringType, false)
      .add("kind", DataTypes.StringType, false)
      .add("action", DataTypes.StringType, false)
      .add("passed", DataTypes.BooleanType, false)
      .add("failing_rows", DataTypes.LongType, true)
      .add("metric_value", DataTypes.DoubleType, true)
      .add("message", DataTypes.StringType, true)
      .add("checked_at", DataTypes.TimestampType, false);

  private final SparkSession spark;
  private final SystemTable stored;

  public QualityResults(SparkSession spark, LakehouseSettings settings) {
    this.spark = spark;
    this.stored = new SystemTable(spark, TABLE, location(settings));
  }

  public static String location(LakehouseSettings settings) {
    return settings.systemLocation() + "/quality_results";
  }

  public String location() {
    return stored.location();
  }

  /** The Delta table the results are kept in, to maintain it. */
  public SystemTable table() {
    return stored;
  }

  /** Appends the outcomes of one batch in one commit. */
  public void record(String runId, TableName table, long batchId, List<RuleOutcome> outcomes) {
    if (outcomes.isEmpty()) {
      return;
    }
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> rows = new ArrayList<>();
    for (RuleOutcome o : outcomes) {
      rows.add(RowFactory.create(runId, table.toString(), batchId, o.rule(), o.expectation().rule().kind(),
          o.expectation().action().id(), o.passed(), o.failingRows() < 0 ? null : o.failingRows(),
          Double.isNaN(o.metric()) ? null : o.metric(), o.message().isEmpty() ? null : o.message(), now));
    }
    synchronized (QualityResults.class) { // tables of one run check side by side; the first append makes the table, once
      stored.append(spark.createDataFrame(rows, SCHEMA));
    }
  }

  public boolean exists() {
    return stored.exists();
  }

  /** Registers {@value #TABLE} when it exists, so SQL can read it. */
  public void register() {
    stored.register();
  }
}
