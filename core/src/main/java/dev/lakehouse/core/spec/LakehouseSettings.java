package dev.lakehouse.core.spec;

import java.time.Duration;

/**
 * The {@code lakehouse} block: settings of the environment rather than of a pipeline.
 *
 * @param root the storage root: every table, checkpoint and landing folder lives under it
 * @param format the table format of tables that do not name one
 * @param parallelism how many independent tables of one run may run at once
 * @param triggerInterval how often a table in {@code stream} mode looks for new input
 * @param leaseExpiry how long a table run's lease outlives the run's last sign of life when its
 *     process cannot be seen (another host): a second run of the table is refused until then
 * @param maintenance {@code lakehouse.maintenance}: what {@code maintain} does to a table whose own
 *     {@code maintenance} block does not say, and to the system tables
 * @param keepReports {@code lakehouse.maintenance.keep-reports}: how long {@code maintain --all}
 *     keeps a run's quality report
 */
public record LakehouseSettings(String root, FormatKind format, SparkSettings spark, int parallelism,
    Duration triggerInterval, Duration leaseExpiry, Maintenance maintenance, Duration keepReports) {
  /** The lease expiry when none is set. */
  public static final Duration DEFAULT_LEASE_EXPIRY = Duration.ofMinutes(2);
  /** A quarter of reports: what people link to from tickets outlives a week of time travel. */
  public static final Duration DEFAULT_KEEP_REPORTS = Duration.ofDays(90);

  public LakehouseSettings(String root, FormatKind format, SparkSettings spark, int parallelism, Duration triggerInterval) {
    this(root, format, spark, parallelism, triggerInterval, DEFAULT_LEASE_EXPIRY, Maintenance.DEFAULT, DEFAULT_KEEP_REPORTS);
  }

  /** The folder of the framework's own tables ({@code _lakehouse.runs}, ...). */
  public String systemLocation() {
    return root + "/_lakehouse";
  }

  /** The folder of the runs' quality reports. */
  public String reportsLocation() {
    return systemLocation() + "/reports";
  }
}
