package dev.lakehouse.silver.scd;

import static org.apache.spark.sql.functions.col;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.Scd2Spec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.ChangeApply;
import dev.lakehouse.silver.ChangeRows;
import dev.lakehouse.silver.guard.KeyGuard;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * SCD type 2: every version of a key, with its validity. The change events a table has taken in
 * are kept in {@code silver.<name>_changes} (one row per key and sequence value, deletes
 * included). A micro-batch recomputes the whole history of the keys it touches from their events
 * (see {@link History}) and writes, in one commit, only the versions that changed: a late event
 * repairs the history around it, and a batch applied again writes nothing. New events are
 * appended to the events table without a merge, since the batch has already set aside the events it holds.
 *
 * <p>The table's rows are identified by the keys and {@code valid_from} (Hudi's record key).
 */
public final class Scd2Apply implements ChangeApply {
  /** Columns that describe a change, not the row: a new value in them alone starts no version. */
  static final List<String> METADATA = List.of(dev.lakehouse.core.spec.CdcSpec.OPERATION,
      dev.lakehouse.core.spec.CdcSpec.LSN, dev.lakehouse.core.spec.CdcSpec.COMMITTED_AT);
  private final TableName name;
  private final LakehouseTable target;
  private final LakehouseTable changes;
  private final List<String> keys;
  private final String sequenceBy;
  private final Scd2Spec history;
  private final KeyGuard guard;

  public Scd2Apply(TableSpec spec, KeyGuard guard) {
    LayerSpec.Silver silver = (LayerSpec.Silver) spec.layer();
    this.name = spec.name();
    this.keys = spec.keys();
    this.sequenceBy = silver.sequenceBy().orElseThrow();
    this.history = silver.history();
    this.guard = guard;
    List<String> versionKey = new ArrayList<>(keys);
    versionKey.add(history.validFrom());
    this.target = new LakehouseTable(spec.name(), spec.location(), versionKey, spec.partitionBy(), spec.format());
    List<String> eventKey = new ArrayList<>(keys);
    eventKey.add(sequenceBy);
    this.changes = new LakehouseTable(changesName(spec.name()), spec.location() + "_changes", eventKey, List.of(), spec.format());
  }

  public static TableName changesName(TableName table) {
    return new TableName(Layer.SILVER, table.name() + "_changes");
  }

  /** The history table: rows identified by the keys and {@code valid_from}. */
  public LakehouseTable target() {
    return target;
  }

  /** The change events taken in so far. */
  public LakehouseTable changes() {
    return changes;
  }

  @Override
  public long apply(Dataset<Row> input, BatchContext context) {
    Dataset<Row> rows = guard.check(ChangeRows.withDeletedColumn(input), context);
    List<String> unknown = History.unknownColumns(rows, history);
    if (!unknown.isEmpty()) {
      throw new LakehouseException("Cannot keep history for " + name + ": history." + (history.track().isEmpty() ? "except" : "track")
          + " names " + unknown + ", which the rows do not have; columns are " + String.join(", ", rows.columns())
          + ". Fix the column names in the spec");
    }
    Column[] keyCols = cols(keys);
    List<String> eventKey = new ArrayList<>(keys);
    eventKey.add(sequenceBy);
    Dataset<Row> touched = LakehouseSpark.materialize(rows.select(keyCols).distinct());
    // Materialised: read by the anti-join and again by the history; one scan of all events, not two.
    Optional<Dataset<Row>> storedEvents = StoredRows.forKeys(changes, keys, touched).map(LakehouseSpark::materialize);
    // An event already taken in (same key and sequence value) is not taken again: reruns are no-ops.
    Dataset<Row> newEvents = LakehouseSpark.materialize(storedEvents.isEmpty() ? rows
        : rows.as("n").join(storedEvents.get().as("s"), LakehouseTable.keysMatch(eventKey, "n", "s"), "left_anti"));
    Dataset<Row> events = storedEvents.map(s -> s.unionByName(newEvents, true)).orElse(newEvents);

    Dataset<Row> recomputed = LakehouseSpark.materialize(History.of(events, keys, sequenceBy, history, METADATA));
    String[] columns = recomputed.columns();
    List<String> versionKey = new ArrayList<>(keys);
    versionKey.add(history.validFrom());
    Optional<Dataset<Row>> stored = StoredRows.forKeys(target, keys, touched)
        .map(s -> LakehouseSpark.materialize(s.select(cols(List.of(columns)))));
    // Only the versions that differ are written: new or changed ones, and the keys of stored
    // versions that no longer exist (a late event moved a version's start). A version the batch
    // leaves as it was is not rewritten, however long the key's history.
    Dataset<Row> upserts = stored.isEmpty() ? recomputed : LakehouseSpark.materialize(recomputed.exceptAll(stored.get()));
    Optional<Dataset<Row>> gone = stored.map(s -> LakehouseSpark.materialize(
        s.select(cols(versionKey)).exceptAll(recomputed.select(cols(versionKey)))));

    String note = "silver batch " + context.batchId() + " of run " + context.runId();
    if (!newEvents.isEmpty()) {
      // Events first: a batch replayed after a crash between the two commits recomputes the same history.
      // Only events the table lacks (the anti-join above): an insert, no MERGE over all events.
      changes.insertNew(newEvents, note);
    }
    long written = upserts.count();
    // A first batch creates the table, even when it leaves no version (deletes of unknown keys).
    if (stored.isEmpty() ? touched.isEmpty() : written == 0 && gone.get().isEmpty()) {
      return 0;
    }
    Dataset<Row> replaced = upserts.select(cols(versionKey));
    if (gone.isPresent()) {
      replaced = replaced.unionByName(gone.get()); // disjoint: a gone version's key is in no recomputed row
    }
    target.replaceKeys(upserts, replaced, note);
    return written;
  }

  private static Column[] cols(List<String> names) {
    return names.stream().map(c -> col(ChangeRows.quote(c))).toArray(Column[]::new);
  }
}
