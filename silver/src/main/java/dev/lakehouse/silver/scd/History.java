package dev.lakehouse.silver.scd;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_json;

import dev.lakehouse.core.spec.Scd2Spec;
import dev.lakehouse.silver.ChangeRows;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * The SCD type 2 history of keys, computed from all their change events at once, so a late event
 * lands in its place and its neighbours' validity follows. Events of a key are taken in sequence
 * order; a version starts at the first event, after a delete, and at each event whose tracked
 * columns differ from the event before. A version holds the values of its newest event (so a
 * change of untracked columns updates the version it falls in), {@code valid_from} = its first
 * event's sequence value, {@code valid_to} = the next version's (or the delete's) start, null
 * while current. Deterministic: the same events give the same history.
 */
final class History {
  private static final String TRACKED = "__lakehouse_tracked";
  private static final String PREV_TRACKED = "__lakehouse_prev_tracked";
  private static final String PREV_DELETED = "__lakehouse_prev_deleted";
  private static final String GROUP = "__lakehouse_version";
  private static final String FROM = "__lakehouse_from";
  private static final String TO = "__lakehouse_to";
  private static final String LAST = "__lakehouse_last";
  private static final String GONE = "__lakehouse_gone";

  private History() {}

  /**
   * @param events change rows (with {@link ChangeRows#DELETED}), at most one per key and sequence value
   * @param metadata columns about the change rather than the row (e.g. a CDC operation): never tracked
   * @return the table's columns followed by the spec's history columns, one row per version
   */
  static Dataset<Row> of(Dataset<Row> events, List<String> keys, String sequenceBy, Scd2Spec spec, List<String> metadata) {
    List<String> dataColumns = new ArrayList<>();
    for (String c : events.columns()) {
      if (!c.equals(ChangeRows.DELETED)) {
        dataColumns.add(c);
      }
    }
    Column[] keyCols = keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new);
    Column seq = col(ChangeRows.quote(sequenceBy));
    WindowSpec byEvent = Window.partitionBy(keyCols).orderBy(seq);
    Column deleted = col(ChangeRows.DELETED);
    Column start = col(PREV_DELETED).isNull()
        .or(deleted.notEqual(col(PREV_DELETED)))
        .or(deleted.unary_$bang().and(col(TRACKED).notEqual(col(PREV_TRACKED))));
    List<Column> groupCols = new ArrayList<>(List.of(keyCols));
    groupCols.add(col(GROUP));
    Dataset<Row> versions = events
        .withColumn(TRACKED, trackedValues(dataColumns, keys, sequenceBy, spec, metadata))
        .withColumn(PREV_TRACKED, lag(col(TRACKED), 1).over(byEvent))
        .withColumn(PREV_DELETED, lag(deleted, 1).over(byEvent))
        .withColumn(GROUP, sum(start.cast("int")).over(byEvent.rowsBetween(Window.unboundedPreceding(), Window.currentRow())))
        .groupBy(groupCols.toArray(Column[]::new))
        .agg(min(seq).as(FROM),
            max_by(struct(dataColumns.stream().map(c -> col(ChangeRows.quote(c))).toArray(Column[]::new)), seq).as(LAST),
            max(deleted).as(GONE))
        .withColumn(TO, lead(col(FROM), 1).over(Window.partitionBy(keyCols).orderBy(col(GROUP))));
    if (spec.deletes() == Scd2Spec.Deletes.CLOSE) {
      versions = versions.where(col(GONE).unary_$bang()); // a delete only ends the version before it
    }
    List<Column> out = new ArrayList<>();
    for (String c : dataColumns) {
      out.add(col(LAST + "." + ChangeRows.quote(c)).as(c));
    }
    out.add(col(FROM).as(spec.validFrom()));
    out.add(col(TO).as(spec.validTo()));
    out.add(col(TO).isNull().as(spec.isCurrent()));
    if (spec.deletes() == Scd2Spec.Deletes.FLAG) {
      out.add(col(GONE).as(spec.isDeleted()));
    }
    return versions.select(out.toArray(Column[]::new));
  }

  /** The tracked columns' values as one comparable text (nulls compare equal to nulls). */
  private static Column trackedValues(List<String> dataColumns, List<String> keys, String sequenceBy, Scd2Spec spec,
      List<String> metadata) {
    List<String> tracked = new ArrayList<>();
    // Unless listed in track, neither metadata nor the _ columns (bronze lineage such as
    // _ingested_at, new with every event) start a version: the same state delivered again is not a change.
    for (String c : spec.track().isEmpty() ? dataColumns : spec.track()) {
      if (!c.equals(sequenceBy) && !keys.contains(c) && !spec.except().contains(c)
          && (!spec.track().isEmpty() || !(metadata.contains(c) || c.startsWith("_")))) {
        tracked.add(c);
      }
    }
    if (tracked.isEmpty()) {
      return lit("");
    }
    return to_json(struct(tracked.stream().map(c -> col(ChangeRows.quote(c))).toArray(Column[]::new)));
  }

  /** The columns a track or except list names that the rows lack, for the error message. */
  static List<String> unknownColumns(Dataset<Row> events, Scd2Spec spec) {
    List<String> have = List.of(events.columns());
    List<String> missing = new ArrayList<>();
    for (String c : spec.track().isEmpty() ? spec.except() : spec.track()) {
      if (!have.contains(c)) {
        missing.add(c);
      }
    }
    return missing;
  }
}
