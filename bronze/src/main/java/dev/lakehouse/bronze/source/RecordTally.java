package dev.lakehouse.bronze.source;

import java.io.Serializable;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.util.LongAccumulator;

/**
 * Counts good and bad records of one micro-batch while a pass that writes them runs, so the batch
 * is read once instead of once to count and once to write. Spark applies a result task's
 * accumulator updates once per partition, however often a task is retried; a bronze append's
 * scan runs in its result stage.
 */
public final class RecordTally implements Serializable {
  static final String COLUMN = "_lakehouse_is_bad";

  private final LongAccumulator good;
  private final LongAccumulator bad;

  public RecordTally(SparkSession spark) {
    this.good = spark.sparkContext().longAccumulator("records parsed");
    this.bad = spark.sparkContext().longAccumulator("records not parsed");
  }

  /** {@code isBad}, counted once per record when evaluated (never folded away: non-deterministic). */
  Column count(Column isBad) {
    LongAccumulator g = good;
    LongAccumulator b = bad;
    UserDefinedFunction f = org.apache.spark.sql.functions.udf((UDF1<Boolean, Boolean>) v -> {
      (v ? b : g).add(1);
      return v;
    }, DataTypes.BooleanType).asNondeterministic();
    return f.apply(isBad);
  }

  public long good() {
    return good.value();
  }

  public long bad() {
    return bad.value();
  }

  /** Whether any record was counted: false when no pass ran (or the batch had no records). */
  public boolean counted() {
    return good.value() + bad.value() > 0;
  }
}
