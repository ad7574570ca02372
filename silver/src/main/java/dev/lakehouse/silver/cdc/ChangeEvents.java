package dev.lakehouse.silver.cdc;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Turns change events into change rows: the row image of the changed key (the new image; for a
 * delete, the old one), {@link CdcSpec#DELETED}, and for Debezium the operation, log position and
 * commit time. Columns of the input that are not part of the envelope (bronze's lineage columns)
 * are kept.
 *
 * <p>Events that cannot be applied fail the batch, naming the table and the event, instead of
 * being skipped: a delete without its old image (a source table with {@code REPLICA IDENTITY
 * NOTHING}), an insert or update without a new image, or an operation this framework does not
 * apply (truncate). The check is a {@code raise_error} inside the projection, so it costs no
 * extra pass over the batch.
 */
public final class ChangeEvents {
  /** The top-level fields of Debezium's envelope; everything else in the input is passed through. */
  private static final Set<String> ENVELOPE = Set.of("op", "before", "after", "source", "transaction", "ts_ms", "ts_us", "ts_ns");

  private ChangeEvents() {}

  /** The change rows of {@code events}, read as {@code spec} says. */
  public static Dataset<Row> decode(CdcSpec spec, Dataset<Row> events, TableName table) {
    if (spec instanceof CdcSpec.Snapshot) {
      return events; // a snapshot's rows are states, not events: SnapshotDiff compares them once cleansed
    }
    if (spec instanceof CdcSpec.OperationColumn o) {
      return operationColumn(o, events);
    }
    return debezium(events, table);
  }

  private static Dataset<Row> debezium(Dataset<Row> events, TableName table) {
    StructType schema = events.schema();
    List<String> missing = new ArrayList<>();
    for (String field : List.of("op", "before", "after", "source")) {
      if (!Arrays.asList(schema.fieldNames()).contains(field)) {
        missing.add(field);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("Cannot read Debezium change events for " + table + ": its input has no "
          + String.join(", ", missing) + " column; parse the events in bronze with a declared schema such as "
          + "\"op STRING, before STRUCT<id: BIGINT, ...>, after STRUCT<id: BIGINT, ...>, source STRUCT<lsn: BIGINT, ts_ms: BIGINT>, ts_ms BIGINT\"");
    }
    StructType source = (StructType) schema.apply("source").dataType();
    if (!Arrays.asList(source.fieldNames()).contains("lsn")) {
      throw new IllegalArgumentException("Cannot order the Debezium change events of " + table
          + ": the source struct of its input has no lsn field; add lsn: BIGINT to the declared bronze schema");
    }
    events = withOneImageType(events);
    String where = "'" + table + ": change event with op ', coalesce(op, 'null'), ' at lsn ', coalesce(CAST(source.lsn AS STRING), 'null')";
    Column image = expr("CASE"
        + " WHEN op IN ('c', 'r', 'u') AND after IS NOT NULL THEN after"
        + " WHEN op = 'd' AND before IS NOT NULL THEN before"
        + " WHEN op = 'd' THEN raise_error(concat('Cannot apply delete of ', " + where
        + ", ': it has no old row image; give the source table REPLICA IDENTITY DEFAULT or FULL'))"
        + " WHEN op IN ('c', 'r', 'u') THEN raise_error(concat('Cannot apply ', " + where + ", ': it has no new row image (after is null)'))"
        + " ELSE raise_error(concat('Cannot apply ', " + where
        + ", ': supported operations are c, r, u and d; truncates must be applied by a full reload'))"
        + " END");
    Column committedAt = Arrays.asList(source.fieldNames()).contains("ts_us")
        ? expr("timestamp_micros(source.ts_us)")
        : expr("timestamp_millis(source.ts_ms)");
    List<Column> out = new ArrayList<>();
    out.add(col("_image.*"));
    passThrough(schema, ENVELOPE).forEach(c -> out.add(col(c)));
    out.add(expr("op = 'd'").as(CdcSpec.DELETED));
    out.add(col("op").as(CdcSpec.OPERATION));
    out.add(col("source.lsn").as(CdcSpec.LSN));
    out.add(committedAt.as(CdcSpec.COMMITTED_AT));
    // A tombstone (Kafka's null value after a delete) parses to a row whose envelope is all null.
    return events
        .where("NOT (op IS NULL AND before IS NULL AND after IS NULL)")
        .withColumn("_image", image)
        .select(out.toArray(Column[]::new));
  }

  /**
   * {@code before} and {@code after} as one STRUCT type: the fields of {@code after}, then those only
   * {@code before} has. A column the database gained reaches bronze in the image that first carries
   * it ({@code schema-drift-structs}): until a delete brings it to {@code before} too, the two differ,
   * and a row image must be one or the other.
   */
  private static Dataset<Row> withOneImageType(Dataset<Row> events) {
    if (!(events.schema().apply("before").dataType() instanceof StructType before)
        || !(events.schema().apply("after").dataType() instanceof StructType after)
        || before.catalogString().equals(after.catalogString())) {
      return events;
    }
    StructType image = after;
    for (StructField f : before.fields()) {
      if (!Arrays.asList(after.fieldNames()).contains(f.name())) {
        image = image.add(f.name(), f.dataType(), true);
      }
    }
    return events.withColumn("before", asImage("before", before, image)).withColumn("after", asImage("after", after, image));
  }

  private static Column asImage(String column, StructType has, StructType image) {
    List<Column> fields = new ArrayList<>();
    for (StructField f : image.fields()) {
      Column value = Arrays.asList(has.fieldNames()).contains(f.name())
          ? col("`" + column + "`").getField(f.name()).cast(f.dataType())
          : lit(null).cast(f.dataType());
      fields.add(value.as(f.name()));
    }
    return when(col("`" + column + "`").isNotNull(), struct(fields.toArray(Column[]::new)));
  }

  private static Dataset<Row> operationColumn(CdcSpec.OperationColumn spec, Dataset<Row> rows) {
    String inList = spec.deleteValues().stream().map(v -> "'" + v.replace("'", "''") + "'").collect(Collectors.joining(", "));
    return rows
        .withColumn(CdcSpec.DELETED, expr("coalesce(`" + spec.column() + "` IN (" + inList + "), false)"))
        .drop(spec.column());
  }

  private static List<String> passThrough(StructType schema, Set<String> envelope) {
    return Arrays.stream(schema.fieldNames()).filter(f -> !envelope.contains(f)).toList();
  }
}
