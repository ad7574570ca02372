package dev.lakehouse.core.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A gold table declared as an aggregate rather than written as SQL. It compiles to the one query
 * the table runs ({@link #toSql}), so both kinds of gold table refresh the same way.
 *
 * @param from the table aggregated
 * @param filter a Spark SQL boolean expression applied before grouping
 * @param timeGrain an optional time bucket, the first output column
 * @param groupBy Spark SQL expressions to group by, each a column or {@code expr AS name}
 * @param measures Spark SQL aggregate expressions, each {@code expr AS name}
 * @param keys the output columns that identify a row: the time bucket, then the group-by names
 */
public record Aggregate(
    TableName from,
    Optional<String> filter,
    Optional<TimeGrain> timeGrain,
    List<String> groupBy,
    List<String> measures,
    List<String> keys) {

  /** Truncation of a date or timestamp column to a calendar unit. */
  public enum Grain {
    HOUR, DAY, WEEK, MONTH, QUARTER, YEAR;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param column the date or timestamp column
   * @param grain the unit; weeks start on Monday
   * @param as the output column, by default {@code <column>_<grain>}
   */
  public record TimeGrain(String column, Grain grain, String as) {
    /** A DATE for day and coarser units, a TIMESTAMP for hours. */
    String expression() {
      String truncated = "date_trunc('" + grain.name() + "', `" + column + "`)";
      return (grain == Grain.HOUR ? truncated : "CAST(" + truncated + " AS DATE)") + " AS `" + as + "`";
    }
  }

  /** The Spark SQL query this aggregate stands for. */
  public String toSql() {
    List<String> select = new ArrayList<>();
    timeGrain.ifPresent(g -> select.add(g.expression()));
    select.addAll(groupBy);
    int groups = select.size();
    select.addAll(measures);
    StringBuilder sql = new StringBuilder("SELECT ").append(String.join(", ", select))
        .append("\nFROM ").append(from);
    filter.ifPresent(f -> sql.append("\nWHERE ").append(f));
    if (groups > 0) {
      List<String> ordinals = new ArrayList<>();
      for (int i = 1; i <= groups; i++) {
        ordinals.add(String.valueOf(i));
      }
      sql.append("\nGROUP BY ").append(String.join(", ", ordinals));
    }
    return sql.toString();
  }
}
