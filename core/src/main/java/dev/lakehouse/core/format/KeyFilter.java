package dev.lakehouse.core.format;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.xxhash64;

import dev.lakehouse.core.spark.LakehouseSpark;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.sketch.BloomFilter;

/**
 * A condition that holds for every stored row whose key is among some keys, and for few others: a
 * Bloom filter of the keys' hashes. Added to a MERGE's condition on the table's side, it lets the
 * MERGE's scans drop the rows it cannot match before they cross a shuffle, so a small change
 * shuffles about its own size of the table, not the whole table (random keys touch every file, so
 * file statistics skip none). The MERGE matches the same rows with it as without it.
 */
final class KeyFilter {
  /** False positives let at most this share of the other rows through. */
  private static final double FALSE_POSITIVES = 0.01;
  /** Beyond this many keys (a filter of 2.4 MB in every task) the change is most of a table anyway. */
  private static final long MAX_KEYS = 2_000_000;
  private static final String HASH = "__lakehouse_key_hash";

  private KeyFilter() {}

  /**
   * @param keys key values, columns named as {@code keyNames} (materialised: read twice)
   * @param alias the alias of the table's side in the condition (e.g. {@code t})
   * @param table the table's schema: the keys are hashed as the table's types, since a value's hash
   *     depends on its type (xxhash64 of INT 1 is not that of BIGINT 1) and a key hashed as another
   *     type would miss its stored row, which the MERGE would then neither replace nor delete
   * @return the condition; {@code false} for no key, {@code true} for more than {@value #MAX_KEYS} keys
   */
  static Column of(Dataset<Row> keys, List<String> keyNames, String alias, StructType table) {
    long count = LakehouseSpark.count(keys);
    if (count == 0) {
      return lit(false); // and Spark's Bloom filter of no values is null
    }
    if (count > MAX_KEYS) {
      return lit(true);
    }
    Column[] asStored = keyNames.stream().map(k -> {
      Column c = col("`" + k + "`");
      // A key column the table lacks yet is added with the type of the rows (see DeltaFormat).
      for (StructField f : table.fields()) {
        if (f.name().equalsIgnoreCase(k)) {
          return c.cast(f.dataType());
        }
      }
      return c;
    }).toArray(Column[]::new);
    Dataset<Row> hashes = keys.select(xxhash64(asStored).as(HASH));
    BloomFilter filter = hashes.stat().bloomFilter(HASH, Math.max(1, count), FALSE_POSITIVES);
    UDF1<Long, Boolean> mightHold = h -> h != null && filter.mightContainLong(h);
    return udf(mightHold, DataTypes.BooleanType).apply(xxhash64(keyColumns(keyNames, alias)));
  }

  private static Column[] keyColumns(List<String> keyNames, String alias) {
    return keyNames.stream().map(k -> col((alias == null ? "" : alias + ".") + "`" + k + "`")).toArray(Column[]::new);
  }
}
