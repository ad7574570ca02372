package dev.lakehouse.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hudi.common.model.HoodieRecord;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The hand-written job's reads and writes, in the table format the benchmark runs
 * ({@code BENCH_FORMAT}, {@code delta} by default, or {@code hudi}), written as a data engineer
 * would without the framework: plain appends and overwrites, Delta's MERGE, Hudi's upsert.
 */
final class HandWrites {
  /** {@code BENCH_FORMAT}: the format of both jobs' tables. */
  static final String FORMAT = System.getenv().getOrDefault("BENCH_FORMAT", "delta");

  private HandWrites() {}

  static boolean hudi() {
    return FORMAT.equals("hudi");
  }

  static Dataset<Row> read(SparkSession spark, String path) {
    Dataset<Row> rows = spark.read().format(FORMAT).load(path);
    return hudi() ? rows.drop(HoodieRecord.HOODIE_META_COLUMNS.toArray(String[]::new)) : rows;
  }

  /** Rows added to a keyless table (bronze). */
  static void append(Dataset<Row> rows, String path, String name) {
    rows.write().format(FORMAT).options(hudiOptions(name, List.of(), "insert")).mode(SaveMode.Append).save(path);
  }

  /** The table replaced by {@code rows}; {@code keys} empty for a keyless (gold) table. */
  static void overwrite(Dataset<Row> rows, String path, String name, List<String> keys) {
    rows.write().format(FORMAT).options(hudiOptions(name, keys, "bulk_insert")).mode(SaveMode.Overwrite).save(path);
  }

  /** {@code rows}, one per key, replace the stored rows of their keys or are inserted. */
  static void upsert(SparkSession spark, Dataset<Row> rows, String path, String name, List<String> keys) {
    if (hudi()) {
      rows.write().format(FORMAT).options(hudiOptions(name, keys, "upsert")).mode(SaveMode.Append).save(path);
      return;
    }
    String on = keys.stream().map(k -> "t." + k + " = s." + k).reduce((x, y) -> x + " AND " + y).orElseThrow();
    io.delta.tables.DeltaTable.forPath(spark, path).as("t")
        .merge(rows.as("s"), on).whenMatched().updateAll().whenNotMatched().insertAll().execute();
  }

  private static Map<String, String> hudiOptions(String name, List<String> keys, String operation) {
    Map<String, String> o = new HashMap<>();
    if (!hudi()) {
      return o;
    }
    o.put("hoodie.table.name", name.replace('.', '_'));
    o.put("hoodie.datasource.write.operation", operation);
    if (!keys.isEmpty()) {
      o.put("hoodie.datasource.write.recordkey.field", String.join(",", keys));
      o.put("hoodie.datasource.write.keygenerator.class", "org.apache.hudi.keygen.NonpartitionedKeyGenerator");
    }
    return o;
  }
}
