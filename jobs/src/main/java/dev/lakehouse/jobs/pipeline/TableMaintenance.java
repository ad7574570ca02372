package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.MaintenanceResult;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.RunLog;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.StreamCheckpoint;
import dev.lakehouse.core.run.SystemTable;
import dev.lakehouse.core.run.TableLease;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.gold.GoldRefresh;
import dev.lakehouse.quality.QualityReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Compacts and cleans a table and the tables kept beside it ({@code bin/lakehouse maintain}),
 * keeping every file a reader in the pipeline has yet to read: a stream that is behind (from its
 * checkpoint) and an incremental gold table (from the source versions its last refresh recorded).
 * Delta's own rule knows no readers; its retention (a week by default) only makes a reader that
 * fell further behind than that unlikely, and a shorter retention, or a stream stopped for longer,
 * makes the reader fail on a missing file or a gold table refresh in full. Here a short {@code
 * keep-history} is safe, and a long one is only for time travel.
 *
 * <p>Holds the table's run lease meanwhile, so no run of it writes at the same time (an OPTIMIZE
 * could make the run's MERGE fail on a conflict).
 */
public final class TableMaintenance {
  /** Something in the pipeline that has read {@code table} up to {@code version} and will read on from there. */
  public record Reader(String who, TableVersion version) {
    @Override
    public String toString() {
      return who + " at version " + version.id();
    }
  }

  /** What was maintained: a table (its files), or the folder of quality reports (its old reports). */
  public enum Kind { TABLE, QUALITY_REPORTS }

  /** A table left alone: its last maintenance ended at {@code last}, less than its {@code maintenance.every} ago. */
  public record NotDue(Instant last, Duration every) {
    /** When the table is due again. */
    public Instant due() {
      return last.plus(every);
    }
  }

  /**
   * What maintaining one table, or the quality reports, did.
   *
   * @param table {@code layer.name}, a system table's {@code _lakehouse.name}, or the reports' folder
   * @param result for the reports, only {@code filesDeleted} (reports) and {@code kept} ({@code keep-reports});
   *     empty when it failed or was not due
   * @param readers the pipeline's readers that had yet to read all of it
   * @param error why it failed (the table is then as it was, or only compacted)
   * @param notDue why it was left alone, when it was not due (then nothing else is set)
   */
  public record Outcome(String table, Kind kind, Optional<MaintenanceResult> result, List<Reader> readers,
      Optional<String> error, Optional<NotDue> notDue) {
    Outcome(String table, Optional<MaintenanceResult> result, List<Reader> readers, Optional<String> error) {
      this(table, Kind.TABLE, result, readers, error, Optional.empty());
    }
  }

  private final PipelineSpec spec;
  private final SparkSession spark;
  private final boolean dryRun;
  private final RunLog runLog;
  private final boolean force;
  /** When each table's last maintenance ended: read from the run log for the first table maintained every so often. */
  private Map<String, Instant> lastMaintained;
  /** Each stream's read position, one entry per source, by reader: read once for all the tables maintained. */
  private final Map<String, List<String>> streamOffsets = new LinkedHashMap<>();
  /** The source versions each incremental gold table's last refresh read, by reader: read once too. */
  private final Map<String, Map<TableName, TableVersion>> refreshesRead = new LinkedHashMap<>();

  /** @param force maintain every table, however recently it was ({@code maintenance.every} ignored) */
  TableMaintenance(PipelineSpec spec, SparkSession spark, RunLog runLog, boolean dryRun, boolean force) {
    this.spec = spec;
    this.spark = spark;
    this.dryRun = dryRun;
    this.runLog = runLog;
    this.force = force;
    for (TableSpec t : spec.tables().values()) {
      streamOffsets.put(t.name() + "'s stream", StreamCheckpoint.readUpTo(spark.sparkContext().hadoopConfiguration(), t.checkpoint()));
      if (t.layer() instanceof LayerSpec.Gold) {
        refreshesRead.put(t.name() + "'s last refresh", GoldRefresh.sourceVersionsRead(spark, t));
      }
    }
  }

  /** Maintains {@code table} and the tables kept beside it that exist; one outcome each, and a run log row for each. */
  List<TableRunResult> maintain(TableSpec table, String runId, java.util.function.Consumer<Outcome> listener) {
    List<LakehouseTable> physical = new ArrayList<>();
    LakehouseTable target = LakehouseTable.of(table);
    physical.add(target);
    for (Companion c : Companion.values()) {
      physical.add(target.companion(c));
    }
    for (LakehouseTable.Kept k : LakehouseTable.Kept.values()) {
      physical.add(target.keptBeside(k));
    }
    List<TableRunResult> results = new ArrayList<>();
    try (TableLease lease = TableLease.acquire(spark.sparkContext().hadoopConfiguration(), table.name(), table.checkpoint(),
        runId, spec.settings().leaseExpiry())) {
      for (LakehouseTable t : physical) {
        if (t.exists(spark)) {
          results.add(maintainOne(t, table, listener));
        }
      }
    } catch (LakehouseException e) { // the lease is held by a run of the table: maintain it later
      String error = "Cannot maintain " + table.name() + " now, left for next time: " + e.getMessage();
      listener.accept(new Outcome(table.name().toString(), Optional.empty(), List.of(), Optional.of(error)));
      results.add(TableRunResult.notRun(table.name(), RunMode.MAINTAIN, TableRunResult.Status.FAILED,
          target.currentVersion(spark), error));
    }
    return results;
  }

  /**
   * The outcome of leaving {@code table} alone, when its last maintenance ended less than its {@code
   * maintenance.every} ago (a failed one does not count); empty when it is due. A table left alone
   * gets no run log row: its next maintenance is counted from the last that did something.
   */
  Optional<Outcome> notDue(TableSpec table) {
    Duration every = table.maintenance().every();
    if (force || every.isZero()) {
      return Optional.empty();
    }
    if (lastMaintained == null) {
      lastMaintained = runLog.lastSucceeded(RunMode.MAINTAIN);
    }
    Instant last = lastMaintained.get(table.name().toString());
    if (last == null || !last.plus(every).isAfter(Instant.now())) {
      return Optional.empty();
    }
    return Optional.of(new Outcome(table.name().toString(), Kind.TABLE, Optional.empty(), List.of(), Optional.empty(),
        Optional.of(new NotDue(last, every))));
  }

  private TableRunResult maintainOne(LakehouseTable table, TableSpec spec, java.util.function.Consumer<Outcome> listener) {
    Instant started = Instant.now();
    Optional<TableVersion> before = table.currentVersion(spark);
    List<Reader> readers = new ArrayList<>();
    Outcome outcome;
    try {
      // Asked after the compaction: a reader that has read the version before it reads on from there.
      MaintenanceResult result = table.maintain(spark, spec.maintenance(), () -> {
        readers.addAll(readersOf(table));
        List<Path> needed = new ArrayList<>();
        for (Reader r : readers) {
          needed.addAll(table.filesNeededAfter(spark, r.version()));
        }
        return needed;
      }, dryRun);
      outcome = new Outcome(table.name().toString(), Optional.of(result), List.copyOf(readers), Optional.empty());
    } catch (RuntimeException e) {
      String error = "Cannot maintain " + table.name() + " at " + table.location() + ": " + e.getMessage();
      outcome = new Outcome(table.name().toString(), Optional.empty(), List.copyOf(readers), Optional.of(error));
    }
    listener.accept(outcome);
    return new TableRunResult(table.name(), RunMode.MAINTAIN,
        outcome.error().isEmpty() ? TableRunResult.Status.SUCCEEDED : TableRunResult.Status.FAILED, 0, 0, 0, before,
        table.currentVersion(spark), Duration.between(started, Instant.now()), outcome.error(), started, Map.of());
  }

  /**
   * Maintains a system table ({@code _lakehouse.runs}, ...) with the pipeline's default {@code
   * lakehouse.maintenance}. It has no run lease and no reader to keep files for; it is not recorded
   * in the run log (whose rows name pipeline tables), only told to the listener.
   *
   * @return the outcome, empty when the table does not exist yet
   */
  Optional<Outcome> maintain(SystemTable table) {
    Outcome outcome;
    try {
      Optional<MaintenanceResult> result = table.maintain(spec.settings().maintenance(), dryRun);
      if (result.isEmpty()) {
        return Optional.empty();
      }
      outcome = new Outcome(table.name(), result, List.of(), Optional.empty());
    } catch (RuntimeException e) { // e.g. a run's append compacting the same files
      outcome = new Outcome(table.name(), Optional.empty(), List.of(), Optional.of("Cannot maintain " + table.name()
          + " at " + table.location() + " now, left for next time: " + e.getMessage()));
    }
    return Optional.of(outcome);
  }

  /**
   * Deletes the runs' quality reports older than {@code lakehouse.maintenance.keep-reports}: one is
   * written per run that processed anything, so a scheduler running every ten minutes leaves tens
   * of thousands a year in one folder.
   */
  Outcome maintainQualityReports() {
    String folder = "_lakehouse/reports";
    Duration keep = spec.settings().keepReports();
    try {
      long deleted = QualityReport.deleteOlderThan(spark, spec.settings(), keep, dryRun);
      return new Outcome(folder, Kind.QUALITY_REPORTS, Optional.of(new MaintenanceResult(0, 0, deleted, 0, keep,
          Optional.empty())), List.of(), Optional.empty(), Optional.empty());
    } catch (RuntimeException e) {
      return new Outcome(folder, Kind.QUALITY_REPORTS, Optional.empty(), List.of(), Optional.of(e.getMessage()), Optional.empty());
    }
  }

  /** The pipeline's readers that have yet to read all of {@code table}'s versions. */
  private List<Reader> readersOf(LakehouseTable table) {
    List<Reader> readers = new ArrayList<>();
    Optional<TableVersion> newest = table.currentVersion(spark);
    table.streamPositions(spark, streamOffsets).forEach((who, v) -> readers.add(new Reader(who, v)));
    refreshesRead.forEach((who, read) -> {
      if (read.containsKey(table.name())) {
        readers.add(new Reader(who, read.get(table.name())));
      }
    });
    // A reader that has read the newest version needs no replaced file.
    readers.removeIf(r -> newest.isPresent() && Long.compare(order(r.version()), order(newest.get())) >= 0);
    return readers;
  }

  private static long order(TableVersion v) {
    try {
      return Long.parseLong(v.id());
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE; // not a number: kept, the format decides what it needs
    }
  }
}
