package dev.lakehouse.core.run;

import dev.lakehouse.core.format.DeltaMaintenance;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.MaintenanceResult;
import dev.lakehouse.core.spec.Maintenance;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.VersionChecksum;

/**
 * A Delta table in which the framework records its own work ({@code _lakehouse.runs},
 * {@code _lakehouse.quality_results}), registered under its name for SQL. Always Delta, whatever
 * the pipeline's format: appends of tables running side by side never conflict.
 *
 * <p>Each run or checked batch appends a few rows in a commit of its own, so the table gains a
 * small file each time, and every read of it (a query, the quality report's history) opens them
 * all: after a month of runs every five minutes, over 8,000. So once an append leaves as many files
 * as Delta's auto compaction waits for ({@value #MIN_FILES}, 50 by default), the appender compacts
 * them (Delta's OPTIMIZE). Not Delta's auto compaction itself ({@value #AUTO_COMPACT}): its hook
 * counts the small files after every commit by computing the snapshot's state, a Spark job that
 * cost a fresh JVM (a spark-submit of one table) 7 s of its 17 for the run log's one append; the
 * count here is the commit's checksum's. The files compacted away stay for time travel until
 * {@link #maintain} ({@code bin/lakehouse maintain --all}) deletes them.
 */
public final class SystemTable {
  /** Set by an earlier version on the tables it made; turned off when registered (see the class comment). */
  static final String AUTO_COMPACT = "delta.autoOptimize.autoCompact";
  /** Delta's setting of how many small files make its auto compaction compact; this table's too. */
  static final String MIN_FILES = "spark.databricks.delta.autoCompact.minNumFiles";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SystemTable.class);

  private final SparkSession spark;
  private final String name;
  private final String location;

  /** @param name {@code _lakehouse.<table>} */
  public SystemTable(SparkSession spark, String name, String location) {
    this.spark = spark;
    this.name = name;
    this.location = location;
  }

  public String name() {
    return name;
  }

  public String location() {
    return location;
  }

  public boolean exists() {
    return io.delta.tables.DeltaTable.isDeltaTable(spark, location);
  }

  /** Appends {@code rows} in one commit; the first append makes the table and registers it. */
  public void append(Dataset<Row> rows) {
    boolean existed = exists();
    rows.coalesce(1).write().format("delta").mode("append").save(location); // a few rows: one file, not one per core
    if (!existed) {
      register();
    }
    compactWhenFilesGather();
  }

  /**
   * Compacts the table when it has {@value #MIN_FILES} files or more, by the count in the newest
   * commit's checksum ({@code .crc}, which Delta writes after each commit): no Spark job. Without
   * one, left for a later append. A compaction that fails (another run compacting the same files
   * at the same time) is logged; the append stands.
   */
  private void compactWhenFilesGather() {
    scala.Option<VersionChecksum> checksum = DeltaLog.forTable(spark, location).unsafeVolatileSnapshot().checksumOpt();
    long minFiles = Long.parseLong(spark.conf().get(MIN_FILES, "50"));
    if (checksum.isEmpty() || checksum.get().numFiles() < minFiles) {
      return;
    }
    try {
      io.delta.tables.DeltaTable.forPath(spark, location).optimize().executeCompaction();
    } catch (RuntimeException e) {
      LOG.warn("Cannot compact {} at {} now, left for a later append: {}", name, location, e.toString());
    }
  }

  /**
   * Compacts what the appends left and deletes the files no version within {@code keep-history}
   * needs (Delta's OPTIMIZE and VACUUM). No stream or gold table reads a system table, so nothing
   * else is kept. Appends of runs meanwhile do not conflict with it (they read nothing); an
   * append's compaction of the same files does, and then this fails and is left for next time.
   *
   * @return empty when the table does not exist (no run has written it yet)
   */
  public Optional<MaintenanceResult> maintain(Maintenance maintenance, boolean dryRun) {
    return exists() ? Optional.of(DeltaMaintenance.maintainUnread(spark, location, name, maintenance, dryRun))
        : Optional.empty();
  }

  /** Registers the table under its name when it exists, so SQL can read it. */
  public void register() {
    synchronized (LakehouseTable.class) { // tables of a run register side by side; the catalog's CREATE DATABASE races otherwise
      if (!exists()) {
        return;
      }
      spark.sql("CREATE DATABASE IF NOT EXISTS " + name.substring(0, name.indexOf('.')));
      LakehouseTable.unregister(spark, name); // this session may have shown another root's table
      spark.sql("CREATE TABLE " + name + " USING delta LOCATION " + LakehouseTable.sqlLiteral(location));
      if (DeltaLog.forTable(spark, location).update(false, scala.Option.empty(), scala.Option.empty())
          .metadata().configuration().contains(AUTO_COMPACT)) {
        try {
          spark.sql("ALTER TABLE " + name + " UNSET TBLPROPERTIES ('" + AUTO_COMPACT + "')");
        } catch (Exception e) { // another run switching it at the same time (Delta's metadata conflict): the next register tries again
          LOG.warn("Cannot turn Delta's auto compaction off for {} at {}: {}", name, location, e.toString());
        }
      }
    }
  }
}
