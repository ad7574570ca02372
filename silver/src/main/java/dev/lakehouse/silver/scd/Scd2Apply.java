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
 * (see {@link History}) and replaces, in one commit, only the keys whose history changed: a late
 * event repairs the history around it, and a batch applied again writes nothing.
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
    Optional<Dataset<Row>> storedEvents = StoredRows.forKeys(changes, keys, touched);
    // An event already taken in (same key and sequence value) is not taken again: reruns are no-ops.
    Dataset<Row> newEvents = LakehouseSpark.materialize(storedEvents.isEmpty() ? rows
        : rows.as("n").join(storedEvents.get().as("s"), LakehouseTable.keysMatch(eventKey, "n", "s"), "left_anti"));
    Dataset<Row> events = storedEvents.map(s -> s.unionByName(newEvents, true)).orElse(newEvents);

    Dataset<Row> recomputed = LakehouseSpark.materialize(History.of(events, keys, sequenceBy, history, METADATA));
    String[] columns = recomputed.columns();
    Optional<Dataset<Row>> stored = StoredRows.forKeys(target, keys, touched)
        .map(s -> LakehouseSpark.materialize(s.select(cols(List.of(columns)))));
    Dataset<Row> changedKeys = stored.isEmpty() ? touched
        : LakehouseSpark.materialize(recomputed.exceptAll(stored.get()).unionByName(stored.get().exceptAll(recomputed))
            .select(keyCols).distinct());

    String note = "silver batch " + context.batchId() + " of run " + context.runId();
    if (!newEvents.isEmpty()) {
      // Events first: a batch replayed after a crash between the two commits recomputes the same history.
      changes.replaceKeys(newEvents, newEvents.select(cols(eventKey)), note);
    }
    if (changedKeys.isEmpty()) {
      return 0;
    }
    Dataset<Row> versions = onlyKeys(recomputed, changedKeys);
    List<String> versionKey = new ArrayList<>(keys);
    versionKey.add(history.validFrom());
    Dataset<Row> replaced = versions.select(cols(versionKey));
    if (stored.isPresent()) {
      replaced = replaced.unionByName(onlyKeys(stored.get(), changedKeys).select(cols(versionKey))).distinct();
    }
    target.replaceKeys(versions, replaced, note);
    return versions.count();
  }

  private Dataset<Row> onlyKeys(Dataset<Row> rows, Dataset<Row> wanted) {
    return rows.as("r").join(wanted.as("k"), LakehouseTable.keysMatch(keys, "r", "k"), "left_semi");
  }

  private static Column[] cols(List<String> names) {
    return names.stream().map(c -> col(ChangeRows.quote(c))).toArray(Column[]::new);
  }
}
