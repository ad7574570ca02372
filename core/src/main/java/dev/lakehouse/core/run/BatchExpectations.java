package dev.lakehouse.core.run;

import java.util.function.UnaryOperator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A table's expectations, applied to the rows a micro-batch is about to write. Layers call it
 * through {@link BatchContext#checked} just before they commit, in batch and stream mode alike.
 */
@FunctionalInterface
public interface BatchExpectations {
  /** A table without expectations: every row is written. */
  BatchExpectations NONE = (rows, context) -> rows;

  /** Whether there is nothing to check: {@link #check} then returns its rows without reading them. */
  default boolean isEmpty() {
    return this == NONE;
  }

  /**
   * Checks {@code rows} and returns the rows to write; rows kept aside (quarantined) are counted in
   * {@code context}.
   *
   * @throws dev.lakehouse.core.errors.LakehouseException when an expectation with {@code action = fail}
   *     is broken: nothing of the batch is written
   */
  Dataset<Row> check(Dataset<Row> rows, BatchContext context);

  /**
   * As {@link #check(Dataset, BatchContext)} for a write that replaces part of a table (an
   * incremental gold refresh): row rules judge {@code rows}, the rules that judge a whole batch
   * (row count, completeness, statistics, freshness, anomalies) judge the table as the write would
   * leave it, {@code tableAfter} applied to the rows that pass, so that they say what a full
   * refresh's check would say.
   */
  default Dataset<Row> check(Dataset<Row> rows, UnaryOperator<Dataset<Row>> tableAfter, BatchContext context) {
    return check(rows, context);
  }
}
