package dev.lakehouse.core.run;

import java.util.OptionalLong;
import org.apache.spark.sql.SparkSession;

/**
 * A job whose target records which versions of its sources it reflects, as a materialised view's
 * refresh does: it can tell by itself whether anything changed. In batch mode the runner calls
 * {@link #refreshOnce} on the calling thread instead of starting a streaming query. Such a job's
 * micro-batch is only a signal that a source changed, and a query's start re-plans its last
 * micro-batch (for a change-feed source, the file list of the changes it read last): seconds
 * per table and run, even when nothing changed.
 */
public interface RefreshJob extends TableJob {
  /**
   * Brings the target up to its sources' current versions, once.
   *
   * @return the rows written; empty when the target already reflects those versions and its spec
   *     (nothing to do: no batch, no new version)
   */
  OptionalLong refreshOnce(SparkSession spark, BatchContext context);
}
