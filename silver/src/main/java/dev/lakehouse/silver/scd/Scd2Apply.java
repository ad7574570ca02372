package dev.lakehouse.silver.scd;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.Scd2Spec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.ChangeApply;
import dev.lakehouse.silver.ChangeRows;
import dev.lakehouse.silver.guard.KeyGuard;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

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
  /** Marks an event the events table lacks. */
  private static final String NEW = "__lakehouse_new";
  private static final String RANK = "__lakehouse_rank";
  /** Marks, in the diff, a row of the recomputed history; and a stored version, with its columns' prefix. */
  private static final String RECOMPUTED = "__lakehouse_recomputed";
  private static final String STORED = "__lakehouse_stored";
  private static final String STORED_PREFIX = "__lakehouse_stored_";
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
    // A change closes a version and opens one per touched key: keys spread over every file.
    this.target = new LakehouseTable(spec.name(), spec.location(), versionKey, spec.partitionBy(), spec.format())
        .withFrequentUpdates();
    List<String> eventKey = new ArrayList<>(keys);
    eventKey.add(sequenceBy);
    this.changes = new LakehouseTable(changesName(spec.name()), Companion.CHANGES.locationOf(spec), eventKey, List.of(), spec.format());
  }

  public static TableName changesName(TableName table) {
    return Companion.CHANGES.nameOf(table);
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
    Dataset<Row> rows = guard.check(ChangeRows.withDeletedColumn(input), context).rows();
    List<String> unknown = History.unknownColumns(rows, history);
    if (!unknown.isEmpty()) {
      throw new LakehouseException("Cannot keep history for " + name + ": history." + (history.track().isEmpty() ? "except" : "track")
          + " names " + unknown + ", which the rows do not have; columns are " + String.join(", ", rows.columns())
          + ". Fix the column names in the spec");
    }
    // Not materialised: a distinct over the guard's materialised rows, read as the filter of two scans.
    StoredRows touched = new StoredRows(keys, rows.select(cols(keys)).distinct());
    Dataset<Row> events = eventsOfTouchedKeys(rows, touched);
    Dataset<Row> newEvents = events.where(col(NEW)).drop(NEW);
    Dataset<Row> recomputed = History.of(events.drop(NEW), keys, sequenceBy, history, METADATA);
    boolean firstVersions = !target.exists(rows.sparkSession());
    // Computed before the events insert below; the events are materialised, so it does not change them.
    Dataset<Row> diff = LakehouseSpark.materialize(firstVersions ? recomputed.withColumn(RECOMPUTED, lit(true)) : diff(recomputed, touched));
    Row counts = diff.agg(count(lit(1)), count(col(RECOMPUTED))).head();
    long written = counts.getLong(1);
    String note = "silver batch " + context.batchId() + " of run " + context.runId();
    if (!newEvents.isEmpty()) {
      // Events first: a batch replayed after a crash between the two commits recomputes the same history.
      // Only events the table lacks: an insert, no MERGE over all events.
      changes.insertNew(newEvents, note);
    }
    if (firstVersions) {
      // A first batch creates the table, even when it leaves no version (deletes of unknown keys).
      if (rows.isEmpty()) {
        return 0;
      }
      Dataset<Row> versions = diff.drop(RECOMPUTED);
      target.replaceKeys(versions, versions.select(cols(target.keys())), note);
      return written;
    }
    if (counts.getLong(0) == 0) {
      return 0;
    }
    List<Column> replaced = new ArrayList<>();
    for (String k : target.keys()) {
      replaced.add(coalesce(col(ChangeRows.quote(k)), col(ChangeRows.quote(STORED_PREFIX + k))).as(k));
    }
    Dataset<Row> upserts = diff.where(col(RECOMPUTED).isNotNull()).select(cols(List.of(recomputed.columns())));
    target.replaceKeys(upserts, diff.select(replaced.toArray(Column[]::new)), note);
    return written;
  }

  /**
   * The stored events of the touched keys and the batch's rows, one row per key and sequence
   * value, with {@link #NEW} true for those the events table lacks: an event already taken in is
   * not taken again, so reruns are no-ops. Materialised, since the history and the events insert
   * both read it: one scan of the events table.
   */
  private Dataset<Row> eventsOfTouchedKeys(Dataset<Row> rows, StoredRows touched) {
    Dataset<Row> tagged = rows.withColumn(NEW, lit(true));
    Optional<Dataset<Row>> stored = touched.in(changes);
    if (stored.isEmpty()) {
      return tagged; // the guard's rows are materialised already
    }
    // The guard leaves one row per key and sequence value, and so does the events table: a pair
    // in both is the stored one (false sorts first).
    return LakehouseSpark.materialize(stored.get().withColumn(NEW, lit(false)).unionByName(tagged, true)
        .withColumn(RANK, row_number().over(Window.partitionBy(cols(changes.keys())).orderBy(col(NEW))))
        .where(col(RANK).equalTo(1))
        .drop(RANK));
  }

  /**
   * The versions to write, found in one pass (a full outer join on the version key with the
   * stored history of the touched keys): rows with {@link #RECOMPUTED} set are new or changed
   * versions, the others are stored versions that no longer exist (a late event moved a version's
   * start), whose version key is in the {@link #STORED_PREFIX} columns. A version the batch leaves
   * as it was is not rewritten, however long the key's history.
   */
  private Dataset<Row> diff(Dataset<Row> recomputed, StoredRows touched) {
    String[] columns = recomputed.columns();
    Dataset<Row> history = touched.in(target).orElseThrow();
    Set<String> storedNames = new HashSet<>(List.of(history.columns()));
    List<Column> storedCols = new ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : recomputed.schema().fields()) {
      // A column the history lacks is new upstream (schema-drift = add-new-columns): the stored versions read null there.
      Column c = storedNames.contains(f.name()) ? col(ChangeRows.quote(f.name())) : lit(null).cast(f.dataType());
      storedCols.add(c.as(STORED_PREFIX + f.name()));
    }
    storedCols.add(lit(true).as(STORED));
    Dataset<Row> stored = history.select(storedCols.toArray(Column[]::new));
    Column sameVersion = null;
    for (String k : target.keys()) {
      Column eq = col(ChangeRows.quote(k)).eqNullSafe(col(ChangeRows.quote(STORED_PREFIX + k)));
      sameVersion = sameVersion == null ? eq : sameVersion.and(eq);
    }
    Column unchanged = col(STORED).isNotNull().and(col(RECOMPUTED).isNotNull());
    for (String c : columns) {
      unchanged = unchanged.and(col(ChangeRows.quote(c)).eqNullSafe(col(ChangeRows.quote(STORED_PREFIX + c))));
    }
    List<Column> out = new ArrayList<>(List.of(cols(List.of(columns))));
    out.add(col(RECOMPUTED));
    for (String k : target.keys()) {
      out.add(col(ChangeRows.quote(STORED_PREFIX + k)));
    }
    return recomputed.withColumn(RECOMPUTED, lit(true))
        .join(stored, sameVersion, "full_outer")
        .where(not(unchanged))
        .select(out.toArray(Column[]::new));
  }

  private static Column[] cols(List<String> names) {
    return names.stream().map(c -> col(ChangeRows.quote(c))).toArray(Column[]::new);
  }
}
