package dev.lakehouse.core.run;

import dev.lakehouse.core.format.BatchMark;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a micro-batch function knows about the batch it processes.
 *
 * @param runId the id of the run (one per command or API call), shared by every table it runs
 * @param batchId the streaming micro-batch id, increasing per table checkpoint
 * @param mark identifies this batch for idempotent appends
 * @param quarantined counts the rows of this batch that went to quarantine (see {@link #quarantine})
 */
public record BatchContext(String runId, long batchId, BatchMark mark, LongAdder quarantined) {
  public BatchContext(String runId, long batchId, BatchMark mark) {
    this(runId, batchId, mark, new LongAdder());
  }

  /** Records that {@code rows} rows of this batch were kept aside (quarantined) instead of written. */
  public void quarantine(long rows) {
    quarantined.add(rows);
  }
}
