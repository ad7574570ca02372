package dev.lakehouse.core.spec;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One data-quality expectation of a table: a named rule and what happens to the rows (or the batch)
 * that break it. Row rules judge each row; set rules judge the batch as a whole (some of them, such
 * as {@link Unique} and {@link References}, can still name the rows that break them).
 *
 * @param name unique within the table; it names the rule in results, errors and {@code _failed_rules}
 * @param origin {@code file:line} where the expectation is written
 */
public record Expectation(String name, Rule rule, Action action, String origin) {

  /** What a broken expectation does. */
  public enum Action {
    /** Record the outcome and write every row. */
    WARN,
    /** Leave the failing rows out of the table; count them. */
    DROP,
    /** Write the failing rows to {@code <layer>.<name>_quarantine} with the rules they broke, not to the table. */
    QUARANTINE,
    /** Stop the run before anything is written. */
    FAIL;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What an expectation checks. */
  public sealed interface Rule {
    /** The config key that names this rule, e.g. {@code not-null}. */
    String kind();

    /** Whether the rule can name the rows that break it (so drop and quarantine apply). */
    default boolean perRow() {
      return false;
    }
  }

  /** Every named column is not NULL. */
  public record NotNull(List<String> columns) implements Rule {
    public String kind() { return "not-null"; }
    public boolean perRow() { return true; }
  }

  /** The column's value is one of {@code values} (NULL passes: add not-null to forbid it). */
  public record InSet(String column, List<String> values) implements Rule {
    public String kind() { return "in-set"; }
    public boolean perRow() { return true; }
  }

  /** {@code min <= column <= max}, either bound optional (NULL passes). */
  public record Range(String column, Optional<Double> min, Optional<Double> max) implements Rule {
    public String kind() { return "range"; }
    public boolean perRow() { return true; }
  }

  /** The column's text matches the regular expression (NULL passes). */
  public record Pattern(String column, String regex) implements Rule {
    public String kind() { return "pattern"; }
    public boolean perRow() { return true; }
  }

  /** A Spark SQL boolean expression that must be true (NULL fails). */
  public record Sql(String expression) implements Rule {
    public String kind() { return "rule"; }
    public boolean perRow() { return true; }
  }

  /** No two rows share the values of {@code columns} (a primary key); every duplicate row fails. */
  public record Unique(List<String> columns) implements Rule {
    public String kind() { return "unique"; }
    public boolean perRow() { return true; }
  }

  /** Each value of {@code columns} occurs in {@code table}'s {@code refColumns} (a foreign key; NULL fails). */
  public record References(List<String> columns, TableName table, List<String> refColumns) implements Rule {
    public String kind() { return "references"; }
    public boolean perRow() { return true; }
  }

  /** The share of non-NULL values of the column is at least {@code min} (0..1). */
  public record Completeness(String column, double min) implements Rule {
    public String kind() { return "completeness"; }
  }

  /** The batch's row count lies within the bounds. */
  public record RowCount(Optional<Long> min, Optional<Long> max) implements Rule {
    public String kind() { return "row-count"; }
  }

  /** The number of distinct values of the column lies within the bounds. */
  public record DistinctCount(String column, Optional<Long> min, Optional<Long> max) implements Rule {
    public String kind() { return "distinct-count"; }
  }

  /** A statistic of a numeric column (mean, min or max) lies within the bounds. */
  public record Statistic(Stat stat, String column, Optional<Double> min, Optional<Double> max) implements Rule {
    public String kind() { return stat.id(); }
  }

  public enum Stat {
    MEAN, MIN, MAX;

    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The newest value of a timestamp column is at most {@code maxAge} old. */
  public record Freshness(String column, Duration maxAge) implements Rule {
    public String kind() { return "freshness"; }
  }

  /**
   * A metric (the row count, or a column's mean) may change from one batch to the next only within
   * the given ratios {@code new / previous} (Deequ's relative rate of change).
   *
   * @param column empty for the row count
   */
  public record Anomaly(Optional<String> column, Optional<Double> minRatio, Optional<Double> maxRatio)
      implements Rule {
    public String kind() { return "anomaly"; }

    public String metric() {
      return column.map(c -> "mean(" + c + ")").orElse("row-count");
    }
  }
}
