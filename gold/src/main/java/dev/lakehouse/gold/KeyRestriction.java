package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.AtomicType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;

/**
 * A gold query's rows cut to the keys a refresh recomputes, written so that Spark reads no more of
 * the sources than those keys need. Per key column a filter of literals goes first: Spark pushes it
 * below the aggregate into the scans (and, through the query's join equalities, into the other
 * sides' scans), where file statistics skip the files it excludes. Up to {@value #MAX_IN_LIST}
 * values it is an {@code IN} list; past that a list costs more to plan and test than it saves, and
 * the filter is the keys' range, {@code BETWEEN min AND max}. The range still skips the files that
 * hold none of it, which is what appended facts with growing keys (order ids, event times) leave:
 * new keys above every old file's maximum. The exact, null-safe semi-join then keeps precisely the
 * affected keys.
 */
final class KeyRestriction {
  static final int MAX_IN_LIST = 1000;

  private KeyRestriction() {}

  /** {@code rows} whose {@code keys} are among those of {@code affected}. */
  static Dataset<Row> of(Dataset<Row> rows, Dataset<Row> affected, List<String> keys) {
    Dataset<Row> filtered = rows;
    for (String k : keys) {
      Column key = col(quote(k));
      List<Row> values = affected.select(key).distinct().limit(MAX_IN_LIST + 1).collectAsList();
      if (values.size() <= MAX_IN_LIST) {
        List<Object> nonNull = new ArrayList<>();
        boolean hasNull = false;
        for (Row v : values) {
          if (v.isNullAt(0)) {
            hasNull = true;
          } else {
            nonNull.add(v.get(0));
          }
        }
        filtered = filtered.where(orNull(key.isin(nonNull.toArray()), key, hasNull));
      } else if (ordered(affected.schema().apply(k).dataType())) {
        Row range = affected.agg(min(key), max(key), max(when(key.isNull(), lit(true)).otherwise(lit(false)))).head();
        filtered = filtered.where(orNull(key.between(lit(range.get(0)), lit(range.get(1))), key, range.getBoolean(2)));
      }
    }
    // Both sides descend from the same tables: aliases keep their key columns apart.
    return filtered.as("r").join(affected.as("k"), LakehouseTable.keysMatch(keys, "r", "k"), "left_semi");
  }

  private static Column orNull(Column condition, Column key, boolean hasNull) {
    return hasNull ? condition.or(key.isNull()) : condition;
  }

  /** Types whose values have an order that file statistics keep (numbers, dates, times, text). */
  private static boolean ordered(DataType type) {
    return type instanceof AtomicType && !(type instanceof BinaryType);
  }

  private static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
