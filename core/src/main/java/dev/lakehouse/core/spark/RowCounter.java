package dev.lakehouse.core.spark;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF0;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.LongAccumulator;

/**
 * Counts the rows of a dataset while the one pass that reads them runs (typically the
 * {@link LakehouseSpark#materialize} that stores what is computed from them), so a batch is not
 * read a second time only to be counted.
 *
 * <p>The count is exact when that pass reads the rows once, in its result stage (no shuffle below
 * the materialisation): Spark applies a result task's accumulator updates once per partition,
 * however often the task is retried. A plan that reads {@link #counting} twice counts twice.
 */
public final class RowCounter implements Serializable {
  private final LongAccumulator rows;

  public RowCounter(SparkSession spark, String what) {
    this.rows = spark.sparkContext().longAccumulator(what);
  }

  /**
   * {@code input}, each row counted when read. The counting filter is non-deterministic, so the
   * optimizer neither removes it nor moves filters above it below it: it sees every input row.
   */
  public Dataset<Row> counting(Dataset<Row> input) {
    LongAccumulator counter = rows;
    UserDefinedFunction seen = functions.udf((UDF0<Boolean>) () -> {
      counter.add(1);
      return true;
    }, DataTypes.BooleanType).asNondeterministic();
    return input.where(seen.apply());
  }

  /** The rows counted so far: read it after the pass. */
  public long count() {
    return rows.value();
  }
}
