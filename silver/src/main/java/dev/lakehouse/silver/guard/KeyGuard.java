package dev.lakehouse.silver.guard;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.BronzeLineage;
import dev.lakehouse.core.spec.KeyViolations;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Checks a batch's keys before anything is merged: copies of one event are collapsed (rows equal
 * in their sequence value and data; only bronze's delivery columns, {@link BronzeLineage}, may
 * differ, and the copy kept is chosen by their values, not by arrival); rows with a null key or a
 * null sequence value, and every row of a key that has two different rows with the same sequence
 * value (dedupe cannot tell which is newer), are violations. Violations fail the batch before any
 * write, or go to {@link SilverQuarantine} when the table says {@code key-violations = quarantine}.
 * A merge therefore never sees a null or ambiguous key, nor a change it cannot order.
 */
public final class KeyGuard {
  private static final String TIE = "__lakehouse_tie";
  private static final String CONFLICT = "__lakehouse_conflict";
  private static final String SAME_SEQUENCE = "__lakehouse_same_sequence";
  private static final String NULL_SEQUENCE = "__lakehouse_null_sequence";
  /**
   * The delivery columns that pick the copy of an event kept: the newest delivery, by times and
   * numbers first (an offset as a number: as text, 998 sorts after 1000), text only to break what is left.
   */
  private static final List<String> NEWEST_COPY_FIRST = List.of(BronzeLineage.INGESTED_AT, BronzeLineage.BATCH_ID,
      BronzeLineage.KAFKA_TIMESTAMP, BronzeLineage.KAFKA_PARTITION, BronzeLineage.KAFKA_OFFSET, BronzeLineage.KAFKA_TOPIC,
      BronzeLineage.SOURCE, BronzeLineage.RUN_ID);
  private final TableName table;
  private final List<String> keys;
  private final Optional<String> sequenceBy;
  private final KeyViolations policy;
  private final SilverQuarantine quarantine;

  public KeyGuard(TableName table, List<String> keys, Optional<String> sequenceBy, KeyViolations policy,
      SilverQuarantine quarantine) {
    this.table = table;
    this.keys = keys;
    this.sequenceBy = sequenceBy;
    this.policy = policy;
    this.quarantine = quarantine;
  }

  /**
   * The rows a guard lets through, materialised; {@code distinctKeys} when no two of them share a
   * key, so keeping the newest row per key has nothing to do.
   */
  public record Guarded(Dataset<Row> rows, boolean distinctKeys) {}

  /** The rows that may be merged, exact duplicates collapsed; materialised. */
  public Guarded check(Dataset<Row> rows, BatchContext context) {
    Column nullKey = lit(false);
    Column[] keyCols = new Column[keys.size()];
    for (int i = 0; i < keys.size(); i++) {
      keyCols[i] = col(q(keys.get(i)));
      nullKey = nullKey.or(keyCols[i].isNull());
    }
    List<Column> tieCols = new ArrayList<>(List.of(keyCols));
    sequenceBy.ifPresent(s -> tieCols.add(col(q(s))));
    // A change without a sequence value cannot be ordered among its key's changes: SCD1 would drop
    // it against a stored row, SCD2 would write a version of nulls that breaks the next merge.
    Column keyPresent = nullKey.unary_$bang();
    Column nullSequence = sequenceBy.map(s -> col(q(s)).isNull().and(keyPresent)).orElse(lit(false));
    Dataset<Row> batch = LakehouseSpark.materialize(rows);
    Shape shape = shape(batch, keyCols, tieCols, nullKey);
    if (shape != Shape.DIRTY) {
      return new Guarded(batch, shape == Shape.DISTINCT_KEYS);
    }
    WindowSpec sameTie = Window.partitionBy(tieCols.toArray(Column[]::new));
    WindowSpec sameKey = Window.partitionBy(keyCols);
    String what = sequenceBy.map(s -> "two different rows with the same " + s).orElse("two different rows (no sequence-by to order them)");
    Column reason = when(nullKey, lit("null key: " + String.join(", ", keys) + " must not be null"))
        .when(nullSequence, lit("null sequence: " + sequenceBy.orElse("") + " (" + sequencePath() + ") must not be null"))
        .when(col(CONFLICT), lit("ambiguous key: " + what + "; dedupe cannot tell which is newer"));
    // One shuffle by the keys serves the three windows below: each partitions by the keys plus
    // other columns, which this partitioning satisfies. Without it, each shuffled the batch again.
    // (The materialised result does not keep the partitioning, so the apply shuffles once more.)
    Dataset<Row> byKey = batch.repartition(keyCols);
    Dataset<Row> checked = LakehouseSpark.materialize(sameEventOnce(byKey, sequenceBy)
        .withColumn(TIE, count(lit(1)).over(sameTie).gt(1).and(nullKey.unary_$bang()).and(nullSequence.unary_$bang()))
        .withColumn(CONFLICT, max(col(TIE)).over(sameKey))
        .withColumn(SilverQuarantine.REASON, reason)
        .drop(TIE, CONFLICT));
    Dataset<Row> bad = checked.where(col(SilverQuarantine.REASON).isNotNull());
    // One pass over the batch for the counts: a Spark job costs the same for 10 rows as for 10 000.
    Row counts = bad.agg(count(lit(1)), sum(when(nullKey, 1).otherwise(0)), sum(when(nullSequence, 1).otherwise(0))).head();
    long nulls = counts.isNullAt(1) ? 0 : counts.getLong(1);
    long unordered = counts.isNullAt(2) ? 0 : counts.getLong(2);
    long ambiguous = counts.getLong(0) - nulls - unordered;
    Dataset<Row> good = checked.where(col(SilverQuarantine.REASON).isNull()).drop(SilverQuarantine.REASON);
    if (nulls + unordered + ambiguous == 0) {
      return new Guarded(good, false);
    }
    if (policy == KeyViolations.QUARANTINE) {
      quarantine.append(bad, context);
      context.quarantine(nulls + unordered + ambiguous);
      return new Guarded(good, false);
    }
    List<String> problems = new ArrayList<>();
    if (nulls > 0) {
      problems.add(nulls + " row(s) with a null key (" + String.join(", ", keys) + ")");
    }
    if (unordered > 0) {
      problems.add(unordered + " row(s) with a null " + sequenceBy.orElseThrow() + " (" + sequencePath() + ", which orders"
          + " the changes of a key: give every row a value, e.g. in select with coalesce, or filter such rows out)");
    }
    if (ambiguous > 0) {
      List<String> examples = new ArrayList<>();
      // The tied key and sequence values themselves, not the other rows of their keys.
      Dataset<Row> ties = bad.where(nullKey.unary_$bang().and(nullSequence.unary_$bang()))
          .groupBy(tieCols.toArray(Column[]::new)).agg(count(lit(1)).as(TIE))
          .where(col(TIE).gt(1)).drop(TIE);
      for (Row r : ties.limit(3).collectAsList()) {
        examples.add(describe(r, tieCols.size()));
      }
      problems.add(ambiguous + " row(s) of keys with " + what + " (e.g. " + String.join("; ", examples) + ")");
    }
    throw new LakehouseException("Cannot merge into " + table + ": " + String.join(" and ", problems)
        + "; nothing was written. Fix the rows upstream (or the keys/sequence-by of the spec), or set"
        + " key-violations = quarantine to keep such rows in " + SilverQuarantine.nameFor(table) + " and write the others");
  }

  /** Where the table's sequence is configured (for Debezium, by default), for messages. */
  private String sequencePath() {
    return "pipeline.tables." + table + ".sequence-by";
  }

  /** What one aggregate of a batch's keys tells of it. */
  private enum Shape {
    /** No null key and no two rows with one key: nothing for the guard or dedupe to do. */
    DISTINCT_KEYS,
    /** No null key or sequence value and no two rows with one key and sequence value: nothing for the guard to do. */
    NO_TIES,
    /** Maybe copies of an event, ties, null keys or null sequence values: the windows below sort it out. */
    DIRTY
  }

  /**
   * The batch's {@link Shape}, found by aggregates of its keys (a narrow shuffle) instead of the
   * windows over whole rows below. Most batches are clean; one that is not pays both. Without a
   * sequence, no two rows may share a key at all: one aggregate by key. Otherwise the keys and
   * sequence values are shuffled once, by key, and counted per key and sequence value (ties; copies
   * of one event share their sequence value), then per key (distinct keys) without a second shuffle.
   */
  private Shape shape(Dataset<Row> batch, Column[] keyCols, List<Column> tieCols, Column nullKey) {
    Column n = col(TIE);
    Dataset<Row> perKey;
    Column tie;
    Column nullSequence;
    if (sequenceBy.isEmpty()) {
      perKey = batch.groupBy(keyCols).agg(count(lit(1)).as(TIE));
      tie = n;
      nullSequence = lit(false);
    } else {
      perKey = batch.select(tieCols.toArray(Column[]::new)).repartition(keyCols)
          .groupBy(tieCols.toArray(Column[]::new)).agg(count(lit(1)).as(TIE))
          .groupBy(keyCols).agg(sum(n).as(TIE), max(n).as(SAME_SEQUENCE), max(col(q(sequenceBy.get())).isNull()).as(NULL_SEQUENCE));
      tie = col(SAME_SEQUENCE);
      nullSequence = col(NULL_SEQUENCE);
    }
    Row r = perKey.agg(max(n), max(tie), max(nullKey), max(nullSequence)).head();
    if (r.isNullAt(0)) {
      return Shape.DISTINCT_KEYS; // an empty batch has no groups: every aggregate is null
    }
    if (r.getBoolean(2) || r.getBoolean(3) || r.getLong(1) > 1) {
      return Shape.DIRTY;
    }
    return r.getLong(0) == 1 ? Shape.DISTINCT_KEYS : Shape.NO_TIES;
  }

  /**
   * One row per event: copies of one event are rows equal in every column but bronze's delivery
   * columns ({@link BronzeLineage}: a redelivery has a new {@code _ingested_at}, {@code _source},
   * Kafka offset). Any other {@code _} column is data: two events with equal rows (a key that
   * changes and changes back) differ in {@code _cdc_lsn} or their other change columns. The
   * sequence column is data even when it is a delivery column ({@code sequence-by = _ingested_at}).
   */
  private static Dataset<Row> sameEventOnce(Dataset<Row> rows, Optional<String> sequenceBy) {
    List<Column> data = new ArrayList<>();
    List<String> delivery = new ArrayList<>();
    for (String c : rows.columns()) {
      if (BronzeLineage.isDelivery(c) && !sequenceBy.map(c::equals).orElse(false)) {
        delivery.add(c);
      } else {
        data.add(col(q(c)));
      }
    }
    if (delivery.isEmpty()) {
      return rows.dropDuplicates();
    }
    // The copy kept is chosen by its values, not by arrival, so a rerun keeps the same one.
    delivery.sort(java.util.Comparator.comparingInt(NEWEST_COPY_FIRST::indexOf));
    Column[] newest = delivery.stream().map(c -> col(q(c)).desc_nulls_last()).toArray(Column[]::new);
    return rows
        .withColumn(TIE, org.apache.spark.sql.functions.row_number().over(Window.partitionBy(data.toArray(Column[]::new)).orderBy(newest)))
        .where(col(TIE).equalTo(1))
        .drop(TIE);
  }

  private String describe(Row r, int n) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      parts.add(r.schema().fields()[i].name() + "=" + r.get(i));
    }
    return String.join(", ", parts);
  }

  private static String q(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
