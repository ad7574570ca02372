package dev.lakehouse.silver.scd;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.TimestampType;

/**
 * Reads the rows tables hold for one set of keys. The keys' range is found once, at the first
 * lookup in a table that exists, and filters every lookup.
 */
final class StoredRows {
  private final List<String> keys;
  private final Dataset<Row> wanted;
  private Optional<Column> range;

  /** @param wanted the keys, columns named as {@code keys} */
  StoredRows(List<String> keys, Dataset<Row> wanted) {
    this.keys = keys;
    this.wanted = wanted;
  }

  /** The rows of {@code table} whose keys appear among the wanted ones; empty when the table does not exist. */
  Optional<Dataset<Row>> in(LakehouseTable table) {
    SparkSession spark = wanted.sparkSession();
    if (!table.exists(spark)) {
      return Optional.empty();
    }
    if (range == null) {
      range = firstKeyRange(wanted, keys.get(0));
    }
    Dataset<Row> stored = table.read(spark).as("t");
    if (range.isPresent()) {
      stored = stored.where(range.get());
    }
    return Optional.of(stored.join(wanted.as("k"), LakehouseTable.keysMatch(keys, "t", "k"), "left_semi"));
  }

  /**
   * The range of the first key's values in {@code wanted}, as a condition on the table's rows
   * (alias {@code t}), which file statistics (Delta's minimum and maximum per file) skip whole files
   * by. Keys that grow with time (order numbers, event ids) make a batch of new facts reach only the
   * newest files, so its lookup reads those, not the whole table; random keys skip nothing, for the
   * price of one aggregate over the wanted keys. Empty for a key type without a useful order.
   */
  private static Optional<Column> firstKeyRange(Dataset<Row> wanted, String key) {
    if (!List.of(wanted.columns()).contains(key)) {
      return Optional.empty();
    }
    DataType type = wanted.schema().apply(key).dataType();
    if (!(type instanceof NumericType || type instanceof DateType || type instanceof TimestampType
        || type instanceof StringType)) {
      return Optional.empty();
    }
    Column k = col("`" + key.replace("`", "``") + "`");
    Row r = wanted.agg(min(k), max(k), count(when(k.isNull(), lit(1)))).head();
    Column stored = col("t.`" + key.replace("`", "``") + "`");
    Column nulls = r.getLong(2) > 0 ? stored.isNull() : lit(false);
    // Keys match null-safely: a wanted null key finds a stored null key.
    return Optional.of(r.isNullAt(0) ? nulls : stored.between(lit(r.get(0)), lit(r.get(1))).or(nulls));
  }
}
