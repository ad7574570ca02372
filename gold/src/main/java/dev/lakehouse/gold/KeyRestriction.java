package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * keys it is an {@code IN} list; past that a list costs more to plan and test than it saves, and
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
    for (Column values : literalFilters(affected, keys).orElse(List.of(lit(false)))) {
      filtered = filtered.where(values);
    }
    // Both sides descend from the same tables: aliases keep their key columns apart.
    return filtered.as("r").join(affected.as("k"), LakehouseTable.keysMatch(keys, "r", "k"), "left_semi");
  }

  /**
   * {@code rows} with a filter per column in {@code columns} that every one of them meets: the
   * column's values in {@code rows}, as literals. It removes no row; it is there for Spark to carry
   * through the query's join equalities to the other sides, whose scans it lets skip files (the
   * rows of a source changed since the last refresh, joined with the other sources to find the
   * keys they reach, read those only where their join columns can match). Empty when there are
   * no rows, which the same Spark job tells.
   */
  static Optional<Dataset<Row>> withOwnValues(Dataset<Row> rows, List<String> columns) {
    return literalFilters(rows, columns).map(filters -> {
      Dataset<Row> filtered = rows;
      for (Column values : filters) {
        filtered = filtered.where(values);
      }
      return filtered;
    });
  }

  /**
   * Per column of {@code columns}, a filter of literals that each of its values in {@code rows}
   * meets (nulls included), and few others: for up to {@value #MAX_IN_LIST} rows the {@code IN}
   * list of their values, past that the range (none for a type without an order). Two Spark jobs
   * at most, however many columns: on two cores a job costs more than the rows it reads here.
   * Empty when {@code rows} has none.
   */
  private static Optional<List<Column>> literalFilters(Dataset<Row> rows, List<String> columns) {
    List<Column> cols = columns.stream().map(c -> col(quote(c))).toList();
    List<Row> few = rows.select(cols.toArray(Column[]::new)).limit(MAX_IN_LIST + 1).collectAsList();
    if (few.isEmpty()) {
      return Optional.empty();
    }
    List<Column> filters = new ArrayList<>();
    if (few.size() <= MAX_IN_LIST) {
      for (int i = 0; i < cols.size(); i++) {
        Set<Object> values = new LinkedHashSet<>();
        boolean hasNull = false;
        for (Row r : few) {
          if (r.isNullAt(i)) {
            hasNull = true;
          } else {
            values.add(r.get(i));
          }
        }
        filters.add(orNull(cols.get(i).isin(values.toArray()), cols.get(i), hasNull));
      }
      return Optional.of(filters);
    }
    List<Column> ranged = new ArrayList<>();
    List<Column> bounds = new ArrayList<>();
    for (int i = 0; i < cols.size(); i++) {
      if (ordered(rows.schema().apply(columns.get(i)).dataType())) {
        Column c = cols.get(i);
        ranged.add(c);
        bounds.addAll(List.of(min(c), max(c), max(when(c.isNull(), lit(true)).otherwise(lit(false)))));
      }
    }
    if (ranged.isEmpty()) {
      return Optional.of(filters);
    }
    Row r = rows.agg(bounds.get(0), bounds.subList(1, bounds.size()).toArray(Column[]::new)).head();
    for (int i = 0; i < ranged.size(); i++) {
      Column c = ranged.get(i);
      filters.add(orNull(c.between(lit(r.get(3 * i)), lit(r.get(3 * i + 1))), c, r.getBoolean(3 * i + 2)));
    }
    return Optional.of(filters);
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
