package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The declarative cleansing of a silver table, applied to each micro-batch in this order:
 * {@code delete-when} (on the rows as read), {@code select}, {@code rename}, {@code trim},
 * {@code case}, {@code cast}, {@code defaults}, {@code derive}, {@code filter}, then masking of
 * PII columns.
 *
 * @param select Spark SQL expressions that make the columns (all columns when empty)
 * @param rename old name → new name
 * @param trim columns whose leading and trailing white space is removed ({@code "*"}: every string column)
 * @param caseOf column → upper, lower or initcap
 * @param cast column → target type, with a pattern and time zone for dates and timestamps
 * @param defaults column → Spark SQL expression used where the column is null
 * @param derive {@code "<expr> AS <name>"} columns added (or replaced) in order, each may use the previous ones
 * @param filter rows where this Spark SQL boolean is not true are left out
 * @param deleteWhen rows where this Spark SQL boolean (over the rows as read) is true delete their key (see silver's ChangeRows)
 * @param masks column → how its values are masked before they are written
 */
public record Cleansing(
    List<String> select,
    Map<String, String> rename,
    List<String> trim,
    Map<String, Case> caseOf,
    Map<String, Cast> cast,
    Map<String, String> defaults,
    List<String> derive,
    Optional<String> filter,
    Optional<String> deleteWhen,
    Map<String, Mask> masks) {

  public static final Cleansing NONE = new Cleansing(List.of(), Map.of(), List.of(), Map.of(), Map.of(), Map.of(),
      List.of(), Optional.empty(), Optional.empty(), Map.of());

  /**
   * A cast to a Spark type; {@code pattern} (Spark datetime pattern) and {@code timeZone} (the zone
   * the text's wall-clock time is in) apply to {@code date} and {@code timestamp} only.
   */
  public record Cast(String type, Optional<String> pattern, Optional<String> timeZone) {}

  /** Letter case normalisation of a string column. */
  public enum Case {
    UPPER, LOWER, INITCAP;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** How a PII column is masked: its values never reach the table in clear. */
  public enum Mask {
    /** Kept as is (explicitly: the column stays in clear). */
    KEEP,
    /** SHA-256 of the value's text, hex: equal values stay equal, so joins and counts still work. */
    HASH,
    /** Replaced by {@code ****}. */
    REDACT,
    /** All but the last four characters replaced by {@code *}. */
    LAST4;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
