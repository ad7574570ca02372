package dev.lakehouse.silver.scd;

import dev.lakehouse.core.format.LakehouseTable;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Reads the rows a table holds for some keys. */
final class StoredRows {
  private StoredRows() {}

  /** The rows of {@code table} whose {@code keys} appear in {@code wanted}; empty when the table does not exist. */
  static java.util.Optional<Dataset<Row>> forKeys(LakehouseTable table, List<String> keys, Dataset<Row> wanted) {
    SparkSession spark = wanted.sparkSession();
    if (!table.exists(spark)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(table.read(spark).as("t").join(wanted.as("k"), LakehouseTable.keysMatch(keys, "t", "k"), "left_semi"));
  }
}
