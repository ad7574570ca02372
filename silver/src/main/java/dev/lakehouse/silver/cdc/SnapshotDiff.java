package dev.lakehouse.silver.cdc;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.silver.ChangeRows;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructType;

/**
 * The change rows of full snapshots ({@code cdc { format = snapshot }}): each snapshot is compared
 * with the snapshot before it <em>in the upstream table</em>, not with what the silver table holds.
 * A key the snapshot lacks is a delete (carrying the key's last row), a new or different row an
 * upsert, an unchanged row nothing; all at the snapshot's sequence value.
 *
 * <p>Why the neighbour and not the table: every change row is then a fact about one snapshot that
 * no later input makes false, so the apply's rules (a change counts only over an older one; SCD2
 * recomputes a key's history from all its changes) handle the rest. A batch applied again after a
 * crash gives the same changes. A snapshot that lands after a later one (late) is compared with
 * the one before it, and the snapshot after it is compared again, with it: the facts the later
 * snapshot's first comparison left out (keys equal to the older neighbour) are added.
 *
 * <p>Rows are compared on their columns but the sequence column and the {@code _} columns (bronze
 * lineage such as {@code _ingested_at}, which differs in every snapshot).
 */
public final class SnapshotDiff {
  /** On a row of the snapshot before: the value of the snapshot it is compared with. */
  private static final String NEXT = "__lakehouse_next_snapshot";
  /** On a row of a snapshot: its key has two different rows in that snapshot. */
  private static final String AMBIGUOUS = "__lakehouse_ambiguous";

  private final CdcSpec.Snapshot spec;
  private final TableName table;
  private final List<String> keys;
  private final String sequenceBy;

  public SnapshotDiff(CdcSpec.Snapshot spec, TableName table, List<String> keys, String sequenceBy) {
    this.spec = spec;
    this.table = table;
    this.keys = keys;
    this.sequenceBy = sequenceBy;
  }

  /**
   * @param batch the cleansed rows of the micro-batch (whole snapshots or parts of them): read once,
   *     for the snapshots it holds
   * @param upstream the cleansed rows of the whole upstream table, where each snapshot is whole
   * @return change rows with {@link ChangeRows#DELETED}, for the snapshots of the batch and the
   *     upstream snapshot after each of them
   * @throws LakehouseException when batch rows have no snapshot value, or a snapshot deletes more
   *     keys than {@code max-deleted-fraction} allows; nothing is written then
   */
  public Dataset<Row> changes(Dataset<Row> batch, Dataset<Row> upstream) {
    Column seq = col(ChangeRows.quote(sequenceBy));
    if (!spec.ignoreSnapshots().isEmpty()) {
      Column ignored = seq.cast("string").isin(spec.ignoreSnapshots().toArray());
      batch = batch.where(not(ignored).or(seq.isNull()));
      upstream = upstream.where(not(ignored).or(seq.isNull()));
    }
    List<Object> inBatch = new ArrayList<>();
    for (Row r : batch.groupBy(seq).count().collectAsList()) {
      if (r.isNullAt(0)) {
        throw new LakehouseException("Cannot tell which snapshot " + r.getLong(1) + " row(s) of " + table + " belong to:"
            + " their " + sequenceBy + " is null; nothing was written. Give every row of a snapshot its snapshot's value"
            + " (e.g. the extract date, from the landing folder's name or a column of the file), or filter such rows out");
      }
      inBatch.add(r.get(0));
    }
    List<Object> ordered = new ArrayList<>();
    for (Row r : upstream.select(seq).where(seq.isNotNull()).distinct().orderBy(seq).collectAsList()) {
      ordered.add(r.get(0));
    }
    Map<Object, Integer> position = new HashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      position.put(ordered.get(i), i);
    }
    // The snapshots whose changes this batch writes: its own and the one after each.
    Set<Integer> emit = new TreeSet<>();
    for (Object value : inBatch) {
      Integer at = position.get(value);
      if (at != null) { // null: gone from upstream since the batch was read (retention); nothing to compare
        emit.add(at);
        if (at + 1 < ordered.size()) {
          emit.add(at + 1);
        }
      }
    }
    if (emit.isEmpty()) {
      return ChangeRows.withDeletedColumn(upstream.limit(0));
    }
    List<Object> emitted = new ArrayList<>();
    List<Object> previous = new ArrayList<>(); // the snapshots just before them
    List<Column> nextOf = new ArrayList<>(); // snapshot before -> the one it is compared with
    for (int at : emit) {
      emitted.add(ordered.get(at));
      if (at > 0) {
        previous.add(ordered.get(at - 1));
        nextOf.add(lit(ordered.get(at - 1)));
        nextOf.add(lit(ordered.get(at)));
      }
    }
    Dataset<Row> current = upstream.where(seq.isin(emitted.toArray()));
    Dataset<Row> before = previous.isEmpty() ? upstream.limit(0).withColumn(NEXT, seq)
        : upstream.where(seq.isin(previous.toArray())).withColumn(NEXT, element_at(map(nextOf.toArray(Column[]::new)), seq));
    // Stored once: the limit below counts its deletes, the apply reads it.
    Dataset<Row> changes = LakehouseSpark.materialize(compared(current, before, upstream.columns()));
    if (spec.maxDeletedFraction() < 1) {
      checkDeletedFraction(changes, before, seq);
    }
    return changes;
  }

  /**
   * Each row of a snapshot against its key's row in the snapshot before: one full outer join by
   * key and snapshot pair (the snapshot's value on one side, the value of the one after on the
   * other), as a hand-written diff of two snapshots joins them. A row without a partner before is
   * an insert, a row whose columns differ an update, a row before without a partner a delete.
   */
  private Dataset<Row> compared(Dataset<Row> current, Dataset<Row> before, String[] columns) {
    List<String> compared = new ArrayList<>();
    for (String c : columns) {
      if (!c.startsWith("_") && !c.equals(sequenceBy)) {
        compared.add(c);
      }
    }
    StructType schema = current.schema();
    List<Column> keyAndSnapshot = new ArrayList<>();
    for (String k : keys) {
      keyAndSnapshot.add(col(ChangeRows.quote(k)));
    }
    keyAndSnapshot.add(col(ChangeRows.quote(sequenceBy)));
    // Two different rows of a key in one snapshot go on whatever the snapshot before held: the key guard names them.
    // Partitioned as the join needs its side, so the window costs no shuffle of its own.
    Column state = struct(compared.stream().map(c -> comparable(col(ChangeRows.quote(c)), schema.apply(c).dataType()))
        .toArray(Column[]::new));
    WindowSpec sameSnapshot = Window.partitionBy(keyAndSnapshot.toArray(Column[]::new));
    Dataset<Row> c = current.withColumn(AMBIGUOUS, compared.isEmpty() ? lit(false)
        : not(min(state).over(sameSnapshot).eqNullSafe(max(state).over(sameSnapshot)))).as("c");
    Dataset<Row> b = before.as("b");
    Column on = col("c." + ChangeRows.quote(sequenceBy)).equalTo(col("b." + NEXT));
    Column same = lit(true);
    Column nullKey = lit(false);
    for (String k : keys) {
      on = on.and(col("c." + ChangeRows.quote(k)).equalTo(col("b." + ChangeRows.quote(k)))); // a null key never matches
      nullKey = nullKey.or(col("b." + ChangeRows.quote(k)).isNull());
    }
    for (String name : compared) {
      DataType type = schema.apply(name).dataType();
      same = same.and(comparable(col("c." + ChangeRows.quote(name)), type)
          .eqNullSafe(comparable(col("b." + ChangeRows.quote(name)), type)));
    }
    Dataset<Row> joined = c.join(b, on, "full_outer");
    Column[] currentRow = new Column[columns.length];
    Column[] deletedRow = new Column[columns.length];
    for (int i = 0; i < columns.length; i++) {
      currentRow[i] = col("c." + ChangeRows.quote(columns[i])).as(columns[i]);
      deletedRow[i] = columns[i].equals(sequenceBy) ? col("b." + NEXT).as(sequenceBy)
          : col("b." + ChangeRows.quote(columns[i])).as(columns[i]);
    }
    Column present = col("c." + ChangeRows.quote(sequenceBy)).isNotNull();
    Dataset<Row> upserts = joined
        .where(present.and(col("b." + NEXT).isNull().or(col("c." + AMBIGUOUS)).or(not(same))))
        .select(currentRow)
        .withColumn(ChangeRows.DELETED, lit(false));
    // Two rows of a key in the snapshot before (the guard failed or quarantined them then) make one delete.
    List<String> keysAndSnapshot = new ArrayList<>(keys);
    keysAndSnapshot.add(sequenceBy);
    Dataset<Row> deletes = ChangeRows.latestPerKey(joined.where(not(present).and(not(nullKey))).select(deletedRow),
        keysAndSnapshot, Optional.empty()).withColumn(ChangeRows.DELETED, lit(true));
    return upserts.unionByName(deletes);
  }

  /** {@code c} in a form that {@code min}, {@code max} and {@code <=>} take: with maps (not comparable in Spark) as JSON. */
  private static Column comparable(Column c, DataType type) {
    return type.existsRecursively(t -> t instanceof MapType) ? to_json(struct(c)) : c;
  }

  /** Refuses a snapshot that lacks more of the keys of the snapshot before it than the spec allows. */
  private void checkDeletedFraction(Dataset<Row> changes, Dataset<Row> before, Column seq) {
    Map<Object, Long> deleted = new HashMap<>();
    for (Row r : changes.where(col(ChangeRows.DELETED)).groupBy(seq).count().collectAsList()) {
      deleted.put(r.get(0), r.getLong(1));
    }
    if (deleted.isEmpty()) {
      return;
    }
    // Keys, not rows: a snapshot landed twice holds each key twice, which would double the limit.
    // The same one pass over the snapshots before as a row count, aggregating distinct keys instead.
    Column[] keyCols = keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new);
    for (Row r : before.groupBy(col(NEXT), seq).agg(countDistinct(keyCols[0], java.util.Arrays.copyOfRange(keyCols, 1, keyCols.length)))
        .collectAsList()) {
      long gone = deleted.getOrDefault(r.get(0), 0L);
      long held = r.getLong(2);
      if (gone > spec.maxDeletedFraction() * held) {
        throw new LakehouseException(String.format(java.util.Locale.ROOT,
            "Cannot apply snapshot %s=%s of %s: it lacks %d of the %d keys snapshot %s held (%.0f %%), more than"
                + " cdc.max-deleted-fraction = %s allows; nothing was written. A partial extract? List it in"
                + " cdc.ignore-snapshots to skip it; if the keys are really gone, raise cdc.max-deleted-fraction (1: no limit)",
            sequenceBy, r.get(0), table, gone, held, r.get(1), 100.0 * gone / held, spec.maxDeletedFraction()));
      }
    }
  }
}
