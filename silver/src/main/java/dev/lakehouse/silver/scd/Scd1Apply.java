package dev.lakehouse.silver.scd;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.LayerSpec;
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
 * SCD type 1: one row per key, the newest by {@code sequence-by}, also against what the table
 * holds (an older event never replaces a newer row). A delete removes the key and leaves a
 * tombstone (key and sequence value) in {@code silver.<name>_tombstones}, so an event older than
 * the delete that arrives later does not bring the key back.
 */
public final class Scd1Apply implements ChangeApply {
  private static final String STORED = "__lakehouse_stored_seq";
  /** Marks a change row whose key has a row in the table. */
  private static final String STORED_KEY = "__lakehouse_stored_key";
  private final LakehouseTable target;
  private final LakehouseTable tombstones;
  private final List<String> keys;
  private final Optional<String> sequenceBy;
  private final KeyGuard guard;

  public Scd1Apply(TableSpec spec, KeyGuard guard) {
    LayerSpec.Silver silver = (LayerSpec.Silver) spec.layer();
    this.target = LakehouseTable.of(spec);
    this.keys = spec.keys();
    this.sequenceBy = silver.sequenceBy();
    this.guard = guard;
    this.tombstones = new LakehouseTable(tombstonesName(spec.name()), Companion.TOMBSTONES.locationOf(spec), keys,
        List.of(), spec.format());
  }

  public static TableName tombstonesName(TableName table) {
    return Companion.TOMBSTONES.nameOf(table);
  }

  public LakehouseTable target() {
    return target;
  }

  @Override
  public long apply(Dataset<Row> changes, BatchContext context) {
    KeyGuard.Guarded guarded = guard.check(ChangeRows.withDeletedColumn(changes), context);
    Dataset<Row> winners = guarded.distinctKeys() ? guarded.rows()
        : ChangeRows.newestPerGuardedKey(guarded.rows(), keys, sequenceBy);
    // Stays the guard's stored rows when there is nothing to dedupe and the table holds nothing yet (a first load).
    Dataset<Row> applying = LakehouseSpark.materialize(sequenceBy.isPresent() ? newerThanStored(winners, sequenceBy.get())
        : winners.withColumn(STORED_KEY, lit(true)));
    // One job counts the rows, the deletes among them, and those whose key the table holds.
    Row counts = applying.agg(count(lit(1)), count(when(col(ChangeRows.DELETED), lit(1))),
        count(when(col(STORED_KEY), lit(1)))).head();
    long applied = counts.getLong(0);
    if (applied == 0) {
      return 0;
    }
    String note = "silver batch " + context.batchId() + " of run " + context.runId();
    Column[] keyCols = keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new);
    Dataset<Row> upserts = applying.where(col(ChangeRows.DELETED).unary_$bang()).drop(ChangeRows.DELETED, STORED_KEY);
    if (counts.getLong(1) == 0 && counts.getLong(2) == 0) {
      // Only keys the table lacks (new facts, a first load): an insert, no merge that scans the
      // table for them. A replay finds the rows stored with the same sequence and applies nothing.
      target.insertNew(upserts, note);
    } else {
      target.replaceKeys(upserts, applying.select(keyCols), note);
    }
    if (sequenceBy.isPresent() && counts.getLong(1) > 0) {
      // The tombstones after the table: a batch replayed after a crash between the two commits
      // finds its deleted keys gone and no tombstone, so its deletes pass newerThanStored again and
      // write the tombstones. Written first, a tombstone hid its own delete from the replay (its
      // sequence value is not greater than itself), and the key stayed in the table.
      Dataset<Row> deletes = applying.where(col(ChangeRows.DELETED));
      List<Column> tomb = new ArrayList<>(List.of(keyCols));
      tomb.add(col(ChangeRows.quote(sequenceBy.get())));
      tombstones.replaceKeys(deletes.select(tomb.toArray(Column[]::new)), deletes.select(keyCols), note);
    }
    return applied;
  }

  /**
   * The rows whose sequence value is greater than that of the stored row or tombstone of their
   * key, with {@link #STORED_KEY} true when the table holds a row of the key.
   */
  private Dataset<Row> newerThanStored(Dataset<Row> winners, String seq) {
    Dataset<Row> wanted = winners.select(keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new));
    List<Column> keyAndSeq = new ArrayList<>();
    for (String k : keys) {
      keyAndSeq.add(col(ChangeRows.quote(k)));
    }
    keyAndSeq.add(col(ChangeRows.quote(seq)));
    keyAndSeq.add(lit(false).as(STORED_KEY));
    Dataset<Row> stored = null;
    StoredRows ofWanted = new StoredRows(keys, wanted);
    for (LakehouseTable t : List.of(target, tombstones)) {
      Optional<Dataset<Row>> s = ofWanted.in(t);
      if (s.isPresent()) {
        Dataset<Row> part = s.get().select(keyAndSeq.toArray(Column[]::new));
        part = t == target ? part.withColumn(STORED_KEY, lit(true)) : part;
        stored = stored == null ? part : stored.unionByName(part);
      }
    }
    if (stored == null) {
      return winners.withColumn(STORED_KEY, lit(false));
    }
    Dataset<Row> latest = stored.groupBy(keys.stream().map(k -> col(ChangeRows.quote(k))).toArray(Column[]::new))
        .agg(max(col(ChangeRows.quote(seq))).as(STORED), max(col(STORED_KEY)).as(STORED_KEY));
    List<Column> out = new ArrayList<>();
    for (String c : winners.columns()) {
      out.add(col("w." + ChangeRows.quote(c)).as(c));
    }
    out.add(coalesce(col("s." + STORED_KEY), lit(false)).as(STORED_KEY));
    return winners.as("w").join(latest.as("s"), LakehouseTable.keysMatch(keys, "w", "s"), "left")
        .where(col("s." + STORED).isNull().or(col("w." + ChangeRows.quote(seq)).gt(col("s." + STORED))))
        .select(out.toArray(Column[]::new));
  }
}
