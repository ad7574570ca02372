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

/**
 * A Delta table in which the framework records its own work ({@code _lakehouse.runs},
 * {@code _lakehouse.quality_results}), registered under its name for SQL. Always Delta, whatever
 * the pipeline's format: appends of tables running side by side never conflict.
 *
 * <p>Each run or checked batch appends a few rows in a commit of its own, so the table gains a
 * small file each time, and every read of it (a query, the quality report's history) opens them
 * all: after a month of runs every five minutes, over 8,000. The table is made with Delta's auto
 * compaction on ({@value #AUTO_COMPACT}): once a write leaves enough small files (50, Delta's
 * {@code spark.databricks.delta.autoCompact.minNumFiles}), the writer compacts them after its
 * commit. A table made before this is switched to it when registered. The files compacted away
 * stay for time travel until {@link #maintain} ({@code bin/lakehouse maintain --all}) deletes them.
 */
public final class SystemTable {
  static final String AUTO_COMPACT = "delta.autoOptimize.autoCompact";
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
    var write = rows.coalesce(1).write().format("delta").mode("append"); // a few rows: one file, not one per core
    if (!existed) {
      write = write.option(AUTO_COMPACT, "true"); // a table property: set where the table is made
    }
    write.save(location);
    if (!existed) {
      register();
    }
  }

  /**
   * Compacts what auto compaction left and deletes the files no version within {@code keep-history}
   * needs (Delta's OPTIMIZE and VACUUM). No stream or gold table reads a system table, so nothing
   * else is kept. Appends of runs meanwhile do not conflict with it (they read nothing); an auto
   * compaction of the same files does, and then this fails and is left for next time.
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
      if (!"true".equals(DeltaLog.forTable(spark, location).update(false, scala.Option.empty(), scala.Option.empty())
          .metadata().configuration().getOrElse(AUTO_COMPACT, () -> null))) {
        try {
          spark.sql("ALTER TABLE " + name + " SET TBLPROPERTIES ('" + AUTO_COMPACT + "' = 'true')");
        } catch (Exception e) { // another run switching it at the same time (Delta's metadata conflict): the next register tries again
          LOG.warn("Cannot turn auto compaction on for {} at {}: {}", name, location, e.toString());
        }
      }
    }
  }
}
