package dev.lakehouse.core.run;

import dev.lakehouse.core.format.BatchMark;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What a micro-batch function knows about the batch it processes.
 *
 * @param runId the id of the run (one per command or API call), shared by every table it runs
 * @param batchId the streaming micro-batch id, increasing per table checkpoint
 * @param mark identifies this batch for idempotent appends
 * @param quarantined counts the rows of this batch that went to quarantine (see {@link #quarantine})
 * @param expectations the table's data-quality rules (see {@link #checked})
 * @param read counts the rows of this batch a job that reads its batch once reported (see
 *     {@link TableJob#rereadsBatch})
 * @param attempt what identifies the batch across its attempts: a batch run again after it failed
 *     (a micro-batch Spark replays, a refresh after its write failed) has the same, so what it
 *     recorded on the way (its metrics in the quality history) is replaced, not added twice
 */
public record BatchContext(String runId, long batchId, BatchMark mark, LongAdder quarantined,
    BatchExpectations expectations, LongAdder read, String attempt) {
  public BatchContext(String runId, long batchId, BatchMark mark, LongAdder quarantined, BatchExpectations expectations,
      LongAdder read) {
    this(runId, batchId, mark, quarantined, expectations, read, mark.appId() + " batch " + batchId);
  }

  public BatchContext(String runId, long batchId, BatchMark mark, LongAdder quarantined, BatchExpectations expectations) {
    this(runId, batchId, mark, quarantined, expectations, new LongAdder());
  }

  public BatchContext(String runId, long batchId, BatchMark mark) {
    this(runId, batchId, mark, new LongAdder());
  }

  public BatchContext(String runId, long batchId, BatchMark mark, LongAdder quarantined) {
    this(runId, batchId, mark, quarantined, BatchExpectations.NONE);
  }

  /** Records that the job read {@code rows} rows of this batch (when the runner did not count them). */
  public void read(long rows) {
    read.add(rows);
  }

  /** Records that {@code rows} rows of this batch were kept aside (quarantined) instead of written. */
  public void quarantine(long rows) {
    quarantined.add(rows);
  }

  /**
   * The rows of {@code rows} that may be written, after the table's expectations: call it just
   * before the write. Throws when an expectation with {@code action = fail} is broken.
   */
  public Dataset<Row> checked(Dataset<Row> rows) {
    return expectations.check(rows, this);
  }

  /**
   * As {@link #checked(Dataset)} for a write that replaces part of a table: the rules that judge a
   * whole batch judge the table as the write leaves it, {@code tableAfter} of the rows written
   * (see {@link BatchExpectations#check(Dataset, UnaryOperator, BatchContext)}).
   */
  public Dataset<Row> checked(Dataset<Row> rows, UnaryOperator<Dataset<Row>> tableAfter) {
    return expectations.check(rows, tableAfter, this);
  }
}
