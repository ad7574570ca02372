package dev.lakehouse.core.run;

import dev.lakehouse.core.format.LakehouseTable;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * One table's work, as its layer defines it. {@link TableRunner} turns it into one streaming query:
 * {@link #input} is read as a stream and each micro-batch goes to {@link #processBatch}.
 *
 * <p>{@code processBatch} must be deterministic given its input and the target's state, so that a
 * micro-batch replayed after a crash does not change the outcome.
 */
public interface TableJob {
  /** The table this job writes. */
  LakehouseTable target();

  /** The tables this job reads, whose versions the run records. */
  List<LakehouseTable> sources();

  /**
   * The tables {@link #input} is a stream of, in that order, when it is a stream of those tables and
   * of nothing else, with no other work (the pipeline's {@link #sources} for silver, a table outside
   * the pipeline for a bronze table that ingests one); empty otherwise. Then a batch run whose
   * checkpoint has read every version of them starts no stream: it would find nothing new, and a
   * stream's start costs a second or more (it plans its last batch again; from a checkpoint of one
   * batch, that is the source's whole first snapshot).
   */
  default Optional<List<LakehouseTable>> streamedTables() {
    return Optional.empty();
  }

  /** The streaming input whose new rows make up the micro-batches. */
  Dataset<Row> input(SparkSession spark);

  /**
   * Whether {@link #processBatch} reads its batch more than once. Then the runner materialises
   * each micro-batch first (one read of the source, kept in memory and disk) and counts it. A job
   * that reads it once says no: it gets the batch as the source gives it, and must report the rows
   * it read through {@link BatchContext#read}.
   */
  default boolean rereadsBatch() {
    return true;
  }

  /**
   * Does the layer's work on one micro-batch and commits it to the target.
   *
   * @param batch the micro-batch: materialised by the runner (reading it twice is cheap) unless
   *     {@link #rereadsBatch} says no
   * @return the number of rows written to the target
   */
  long processBatch(Dataset<Row> batch, BatchContext context);
}
