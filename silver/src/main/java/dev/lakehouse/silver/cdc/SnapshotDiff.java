package dev.lakehouse.silver.cdc;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.silver.ChangeRows;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
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
  private static final String VALUE = "__lakehouse_snapshot";
  private static final String PREV = "__lakehouse_prev_snapshot";
  private static final String NEXT = "__lakehouse_next_snapshot";
  private static final String EMIT = "__lakehouse_emit";
  private static final String NEXT_EMIT = "__lakehouse_next_emit";
  private static final String CONTENT = "__lakehouse_content";

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
   * @param batch the cleansed rows of the micro-batch: whole snapshots or parts of them
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
    requireSnapshotValues(batch, seq);
    List<Object> ordered = new ArrayList<>();
    for (Row r : upstream.select(seq).where(seq.isNotNull()).distinct().orderBy(seq).collectAsList()) {
      ordered.add(r.get(0));
    }
    Map<Object, Integer> position = new HashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      position.put(ordered.get(i), i);
    }
    // The snapshots whose changes this batch writes: its own and the one after each, then those
    // they are compared with.
    Set<Integer> emit = new LinkedHashSet<>();
    for (Row r : batch.select(seq).distinct().collectAsList()) {
      Integer at = position.get(r.get(0));
      if (at != null) { // null: gone from upstream since the batch was read (retention); nothing to compare
        emit.add(at);
        if (at + 1 < ordered.size()) {
          emit.add(at + 1);
        }
      }
    }
    if (emit.isEmpty()) {
      return ChangeRows.withDeletedColumn(batch.limit(0));
    }
    Set<Integer> loaded = new LinkedHashSet<>(emit);
    for (int at : emit) {
      if (at > 0) {
        loaded.add(at - 1);
      }
    }
    DataType type = upstream.schema().apply(sequenceBy).dataType();
    List<Row> neighbours = new ArrayList<>();
    List<Object> loadedValues = new ArrayList<>();
    for (int at : loaded) {
      Object value = ordered.get(at);
      loadedValues.add(value);
      boolean last = at + 1 == ordered.size();
      neighbours.add(RowFactory.create(value, at == 0 ? null : ordered.get(at - 1), last ? null : ordered.get(at + 1),
          emit.contains(at), !last && emit.contains(at + 1)));
    }
    StructType neighbourSchema = new StructType().add(VALUE, type).add(PREV, type).add(NEXT, type)
        .add(EMIT, DataTypes.BooleanType, false).add(NEXT_EMIT, DataTypes.BooleanType, false);
    Dataset<Row> snapshots = upstream.sparkSession().createDataFrame(neighbours, neighbourSchema);
    Dataset<Row> rows = oneCopyOfEachRow(upstream.where(seq.isin(loadedValues.toArray())))
        .join(broadcast(snapshots), seq.equalTo(col(VALUE)))
        .drop(VALUE);
    Dataset<Row> changes = compared(rows, upstream.columns());
    checkDeletedFraction(changes, rows, seq);
    return changes;
  }

  /** Every row of the batch must say which snapshot it belongs to. */
  private void requireSnapshotValues(Dataset<Row> batch, Column seq) {
    long missing = batch.where(seq.isNull()).count();
    if (missing > 0) {
      throw new LakehouseException("Cannot tell which snapshot " + missing + " row(s) of " + table + " belong to: their "
          + sequenceBy + " is null; nothing was written. Give every row of a snapshot its snapshot's value (e.g. the"
          + " extract date, from the landing folder's name or a column of the file), or filter such rows out");
    }
  }

  /**
   * The rows with one copy of rows that differ only in {@code _} columns (a snapshot landed twice);
   * the copy kept is chosen by content. Different rows of one key stay, for the key guard.
   */
  private Dataset<Row> oneCopyOfEachRow(Dataset<Row> rows) {
    List<Column> same = new ArrayList<>();
    same.add(col(ChangeRows.quote(sequenceBy)));
    same.add(content(rows.columns()));
    return rows.withColumn("__lakehouse_copy", row_number().over(Window.partitionBy(same.toArray(Column[]::new))
            .orderBy(to_json(struct(col("*"))))))
        .where(col("__lakehouse_copy").equalTo(1))
        .drop("__lakehouse_copy");
  }

  /** What two rows of a key must share to be the same state: all columns but the sequence and the {@code _} ones. */
  private Column content(String[] columns) {
    List<Column> compared = new ArrayList<>();
    for (String c : columns) {
      if (!c.startsWith("_") && !c.equals(sequenceBy)) {
        compared.add(col(ChangeRows.quote(c)));
      }
    }
    return compared.isEmpty() ? lit("") : to_json(struct(compared.toArray(Column[]::new)));
  }

  /**
   * Each loaded row against the key's row in the snapshot before (an upsert when that differs or is
   * missing) and in the snapshot after (a delete when missing there), in one pass over the rows.
   */
  private Dataset<Row> compared(Dataset<Row> rows, String[] columns) {
    Column[] keyCols = keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new);
    Column seq = col(ChangeRows.quote(sequenceBy));
    WindowSpec byKey = Window.partitionBy(keyCols).orderBy(seq);
    List<Column> keyAndSnapshot = new ArrayList<>(List.of(keyCols));
    keyAndSnapshot.add(seq);
    Column nullKey = lit(false);
    for (Column k : keyCols) {
      nullKey = nullKey.or(k.isNull());
    }
    Dataset<Row> withNeighbours = rows
        .withColumn(CONTENT, content(columns))
        .withColumn("__lakehouse_prev_seq", lag(seq, 1).over(byKey))
        .withColumn("__lakehouse_prev_content", lag(col(CONTENT), 1).over(byKey))
        .withColumn("__lakehouse_next_seq", lead(seq, 1).over(byKey))
        .withColumn("__lakehouse_copies", count(lit(1)).over(Window.partitionBy(keyAndSnapshot.toArray(Column[]::new))));
    // A null key or two different rows of a key in one snapshot go on as they are: the key guard names them.
    Column changed = nullKey.or(col("__lakehouse_copies").gt(1))
        .or(not(col("__lakehouse_prev_seq").eqNullSafe(col(PREV))))
        .or(not(col("__lakehouse_prev_content").eqNullSafe(col(CONTENT))));
    Column[] out = new Column[columns.length];
    Column[] deleteOut = new Column[columns.length];
    for (int i = 0; i < columns.length; i++) {
      out[i] = col(ChangeRows.quote(columns[i]));
      deleteOut[i] = columns[i].equals(sequenceBy) ? col(NEXT).as(sequenceBy) : out[i];
    }
    Dataset<Row> upserts = withNeighbours.where(col(EMIT).and(changed)).select(out)
        .withColumn(ChangeRows.DELETED, lit(false));
    Dataset<Row> gone = withNeighbours
        .where(col(NEXT_EMIT).and(not(nullKey)).and(not(col("__lakehouse_next_seq").eqNullSafe(col(NEXT)))))
        .select(deleteOut);
    // Two rows of a key in the snapshot before (the guard failed or quarantined them then) make one delete.
    Dataset<Row> deletes = gone
        .withColumn("__lakehouse_copy", row_number().over(Window.partitionBy(keyAndSnapshot.toArray(Column[]::new))
            .orderBy(to_json(struct(col("*"))))))
        .where(col("__lakehouse_copy").equalTo(1))
        .drop("__lakehouse_copy")
        .withColumn(ChangeRows.DELETED, lit(true));
    return upserts.unionByName(deletes);
  }

  /** Refuses a snapshot that lacks more of the keys of the snapshot before it than the spec allows. */
  private void checkDeletedFraction(Dataset<Row> changes, Dataset<Row> rows, Column seq) {
    if (spec.maxDeletedFraction() >= 1) {
      return;
    }
    Map<Object, Long> deleted = new HashMap<>();
    for (Row r : changes.where(col(ChangeRows.DELETED)).groupBy(seq).count().collectAsList()) {
      deleted.put(r.get(0), r.getLong(1));
    }
    if (deleted.isEmpty()) {
      return;
    }
    Column[] keyCols = keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new);
    for (Row r : rows.where(col(NEXT_EMIT)).groupBy(col(NEXT), seq).agg(countDistinct(keyCols[0], tail(keyCols)))
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

  private static Column[] tail(Column[] cols) {
    Column[] rest = new Column[cols.length - 1];
    System.arraycopy(cols, 1, rest, 0, rest.length);
    return rest;
  }
}
