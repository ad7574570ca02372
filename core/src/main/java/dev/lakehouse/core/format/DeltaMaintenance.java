package dev.lakehouse.core.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.Maintenance;
import io.delta.tables.DeltaOptimizeBuilder;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Delta's {@code OPTIMIZE} and a {@code VACUUM} that keeps what the pipeline's readers need.
 *
 * <p>VACUUM deletes a file the newest version does not refer to when the file is older than the
 * retention and no unexpired tombstone names it. A stream that is behind, or a gold table refreshed
 * from the version it last read, needs the files later commits removed; Delta knows nothing of
 * them, and with a short retention deletes them (the stream then fails on a missing file, the
 * refresh starts over in full). So the files VACUUM would delete are first listed by its own dry
 * run, and when any is needed, the retention is lengthened to keep the oldest of those: the rule
 * that decides stays Delta's, not a copy of it.
 */
public final class DeltaMaintenance {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Delta refuses a retention under its table's own (a week) unless this is off; the readers' files are kept here. */
  private static final String RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled";
  /** Covers the time between the dry run and the VACUUM, and clocks that differ a little. */
  private static final Duration SLACK = Duration.ofMinutes(1);

  private DeltaMaintenance() {}

  /**
   * A Delta source's offset ({@code {"sourceVersion":1,"reservoirId":...,"reservoirVersion":7,
   * "index":-1,...}}): the stream reads version {@code reservoirVersion} next (from its file
   * {@code index + 1}), so it has read every version before it.
   */
  static Optional<TableVersion> streamPosition(String tableId, String offset) {
    try {
      JsonNode node = JSON.readTree(offset);
      if (node == null || !tableId.equals(node.path("reservoirId").asText(null)) || !node.has("reservoirVersion")) {
        return Optional.empty();
      }
      return Optional.of(new TableVersion(String.valueOf(node.get("reservoirVersion").asLong() - 1)));
    } catch (IOException e) {
      return Optional.empty(); // another source's offset, not JSON
    }
  }

  static MaintenanceResult maintain(SparkSession spark, LakehouseTable table, Maintenance maintenance,
      Supplier<List<Path>> needed, boolean dryRun) {
    return maintain(spark, table.location(), table.toString(), maintenance, needed, dryRun);
  }

  /**
   * Compacts and cleans a Delta table that no stream or gold table of a pipeline reads (the
   * framework's system tables): {@code keep-history} alone decides what is kept.
   *
   * @param name the table's name, for errors
   */
  public static MaintenanceResult maintainUnread(SparkSession spark, String location, String name, Maintenance maintenance,
      boolean dryRun) {
    return maintain(spark, location, name, maintenance, List::of, dryRun);
  }

  private static MaintenanceResult maintain(SparkSession spark, String location, String name, Maintenance maintenance,
      Supplier<List<Path>> needed, boolean dryRun) {
    long compacted = 0;
    long written = 0;
    if (maintenance.optimize() && !dryRun) {
      DeltaOptimizeBuilder optimize = DeltaTable.forPath(spark, location).optimize();
      Row metrics = (maintenance.zOrderBy().isEmpty() ? optimize.executeCompaction()
          : optimize.executeZOrderBy(maintenance.zOrderBy().toArray(String[]::new)))
          .selectExpr("metrics.numFilesRemoved", "metrics.numFilesAdded").first();
      compacted = metrics.getLong(0);
      written = metrics.getLong(1);
    }
    String check = spark.conf().get(RETENTION_CHECK, "true");
    spark.conf().set(RETENTION_CHECK, "false");
    try {
      Duration keep = Duration.ofHours(hours(maintenance.keepHistory()));
      List<String> deleted = vacuumDryRun(spark, location, keep);
      Set<String> neededPaths = new HashSet<>();
      needed.get().forEach(p -> neededPaths.add(p.toUri().getPath()));
      List<Path> kept = deleted.stream().map(Path::new).filter(p -> neededPaths.contains(p.toUri().getPath())).toList();
      if (!kept.isEmpty()) {
        Duration forReaders = Duration.between(oldest(spark, name, kept), Instant.now()).plus(SLACK);
        keep = Duration.ofHours(hours(forReaders.compareTo(keep) > 0 ? forReaders : keep));
        deleted = vacuumDryRun(spark, location, keep);
      }
      long files = files(spark, name, deleted);
      if (!dryRun && files > 0) { // empty folders alone are not worth a VACUUM (it keeps _change_data anyway)
        spark.sql("VACUUM " + LakehouseTable.sqlLiteral(location) + " RETAIN " + hours(keep) + " HOURS");
      }
      return new MaintenanceResult(compacted, written, files, kept.size(), keep, Optional.empty());
    } finally {
      spark.conf().set(RETENTION_CHECK, check);
    }
  }

  /** The files {@code VACUUM} with this retention would delete now. */
  private static List<String> vacuumDryRun(SparkSession spark, String location, Duration keep) {
    return spark.sql("VACUUM " + LakehouseTable.sqlLiteral(location) + " RETAIN " + hours(keep) + " HOURS DRY RUN")
        .collectAsList().stream().map(r -> r.getString(0)).toList();
  }

  /** How many of {@code paths} (a dry run's, which lists empty folders too) are files. */
  private static long files(SparkSession spark, String table, List<String> paths) {
    try {
      long files = 0;
      for (String p : paths) {
        Path path = new Path(p);
        files += path.getFileSystem(spark.sparkContext().hadoopConfiguration()).getFileStatus(path).isFile() ? 1 : 0;
      }
      return files;
    } catch (IOException e) {
      throw new LakehouseException("Cannot read what VACUUM would delete from " + table + ": " + e.getMessage(), e);
    }
  }

  /** The modification time of the oldest of {@code files}: VACUUM keeps a file no older than its retention. */
  private static Instant oldest(SparkSession spark, String table, List<Path> files) {
    try {
      FileSystem fs = files.get(0).getFileSystem(spark.sparkContext().hadoopConfiguration());
      long oldest = Long.MAX_VALUE;
      for (Path f : files) {
        oldest = Math.min(oldest, fs.getFileStatus(f).getModificationTime());
      }
      return Instant.ofEpochMilli(oldest);
    } catch (IOException e) {
      throw new LakehouseException("Cannot read the age of the files " + table + "'s readers need: " + e.getMessage(), e);
    }
  }

  /**
   * Whole hours, rounded up to keep at least {@code d}: VACUUM rounds its retention to whole hours
   * (RETAIN 0.5 HOURS keeps nothing).
   */
  private static long hours(Duration d) {
    return (d.toMillis() + 3_599_999) / 3_600_000;
  }
}
