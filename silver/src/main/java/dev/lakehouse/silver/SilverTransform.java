package dev.lakehouse.silver;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spark.RowCounter;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.cdc.ChangeEvents;
import dev.lakehouse.silver.cdc.SnapshotDiff;
import dev.lakehouse.silver.cleanse.Cleanse;
import dev.lakehouse.silver.guard.KeyGuard;
import dev.lakehouse.silver.guard.SilverQuarantine;
import dev.lakehouse.silver.scd.AppendApply;
import dev.lakehouse.silver.scd.Scd1Apply;
import dev.lakehouse.silver.scd.Scd2Apply;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The entry point for a silver table: one upstream table's new rows, decoded from change events
 * when the table declares {@code cdc} ({@link ChangeEvents}), cleansed as the spec declares
 * ({@link Cleanse}), then applied as change rows ({@link ChangeRows}) by the table's {@code write}
 * mode: append, SCD type 1 ({@link Scd1Apply}) or SCD type 2 ({@link Scd2Apply}), after the key
 * integrity guard ({@link KeyGuard}).
 */
public final class SilverTransform implements TableJob {
  private final TableSpec spec;
  private final LayerSpec.Silver silver;
  private final LakehouseTable upstream;
  private final Cleanse cleanse;
  private final ChangeApply apply;
  private final LakehouseTable target;
  private final SilverQuarantine quarantine;
  /** Present when the input is full snapshots, whose differences are the changes. */
  private final Optional<SnapshotDiff> snapshots;

  public SilverTransform(TableSpec spec, TableSpec upstreamSpec) {
    this.spec = spec;
    this.silver = (LayerSpec.Silver) spec.layer();
    this.upstream = LakehouseTable.of(upstreamSpec);
    // The change columns are the framework's, not the user's: they stay whatever the select names.
    this.snapshots = silver.cdc().filter(CdcSpec.Snapshot.class::isInstance).map(c ->
        new SnapshotDiff((CdcSpec.Snapshot) c, spec.name(), spec.keys(), silver.sequenceBy().orElseThrow()));
    this.cleanse = new Cleanse(spec.name(), silver.cleansing(), silver.cdc().orElse(null) instanceof CdcSpec.Debezium
        ? List.of(ChangeRows.DELETED, CdcSpec.OPERATION, CdcSpec.LSN, CdcSpec.COMMITTED_AT) : List.of(ChangeRows.DELETED));
    this.quarantine = new SilverQuarantine(spec);
    KeyGuard guard = new KeyGuard(spec.name(), spec.keys(), silver.sequenceBy(), silver.keyViolations(), quarantine);
    switch (silver.write()) {
      case APPEND -> {
        this.apply = new AppendApply(spec);
        this.target = LakehouseTable.of(spec);
      }
      case SCD1 -> {
        Scd1Apply a = new Scd1Apply(spec, guard);
        this.apply = a;
        this.target = a.target();
      }
      case SCD2 -> {
        Scd2Apply a = new Scd2Apply(spec, guard);
        this.apply = a;
        this.target = a.target();
      }
      default -> throw new IllegalStateException(silver.write().id());
    }
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return List.of(upstream);
  }

  /** Where rows with null or ambiguous keys go when the table says {@code key-violations = quarantine}. */
  public SilverQuarantine quarantine() {
    return quarantine;
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    return upstream.readStream(spark);
  }

  @Override
  public Optional<List<LakehouseTable>> streamedTables() {
    return Optional.of(sources());
  }

  /** The batch is read once, by the pass that stores its cleansed rows (see {@link #processBatch}). */
  @Override
  public boolean rereadsBatch() {
    return false;
  }

  /**
   * Stores the cleansed rows once, counting the rows read in the same pass, and applies them. The
   * expectations, the key guard and the apply read the stored rows: the upstream table is read once,
   * and its rows are stored once, typed and with only the columns the table keeps. Snapshots are
   * the exception: the batch's snapshots are compared with their neighbours read from the upstream
   * table, whole ({@link SnapshotDiff}).
   */
  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    RowCounter read = new RowCounter(batch.sparkSession(), "rows read by " + spec.name());
    Dataset<Row> counted = read.counting(batch);
    Dataset<Row> changes = silver.cdc().map(cdc -> ChangeEvents.decode(cdc, counted, spec.name())).orElse(counted);
    Dataset<Row> cleanRows = cleanse(changes);
    if (snapshots.isPresent()) {
      // The batch is read once, for the snapshots it holds (counted then); their rows are read whole from upstream.
      Dataset<Row> diff = snapshots.get().changes(cleanRows, cleanse(upstream.read(batch.sparkSession())));
      context.read(read.count());
      return apply.apply(checked(LakehouseSpark.materialize(diff), context), context);
    }
    // Deletes marked before the rows are stored: the expectations, the guard and the apply then read stored rows.
    Dataset<Row> cleansed = LakehouseSpark.materialize(ChangeRows.hasDeletes(cleanRows)
        ? ChangeRows.withDeletedColumn(cleanRows) : cleanRows);
    context.read(read.count());
    return apply.apply(checked(cleansed, context), context);
  }

  /**
   * The cleansed rows the table's expectations let through, before dedupe and the key guard (a row
   * with a bad key is quarantined by its rule rather than failing the batch). A delete writes no
   * row, so it is never dropped or quarantined.
   */
  private static Dataset<Row> checked(Dataset<Row> rows, BatchContext context) {
    if (!ChangeRows.hasDeletes(rows)) {
      return context.checked(rows);
    }
    Dataset<Row> marked = ChangeRows.withDeletedColumn(rows);
    Dataset<Row> deletes = marked.where(col(ChangeRows.DELETED));
    return context.checked(marked.where(not(col(ChangeRows.DELETED)))).unionByName(deletes);
  }

  /** The spec's cleansing of {@code rows}, as change rows; public so tests and notebooks can preview it. */
  public Dataset<Row> cleanse(Dataset<Row> rows) {
    return cleanse.apply(rows);
  }

  /** How this table applies change rows (for a CDC normaliser or a test that makes change rows itself). */
  public ChangeApply changeApply() {
    return apply;
  }
}
