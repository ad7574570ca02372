package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Locale;

/**
 * How a {@code write = scd2} table keeps history ({@code history { ... }} in its spec).
 *
 * @param track the columns whose change starts a new version; empty: every column except {@code except}
 * @param except with an empty {@code track}: columns whose change alone starts no new version
 * @param validFrom column holding the sequence value at which a version starts
 * @param validTo column holding the sequence value at which it ends (null while current)
 * @param isCurrent column true for the current version of each key
 * @param deletes what a delete does
 * @param isDeleted with {@code deletes = flag}: the column true on the version a delete starts
 */
public record Scd2Spec(
    List<String> track,
    List<String> except,
    String validFrom,
    String validTo,
    String isCurrent,
    Deletes deletes,
    String isDeleted) {

  public static final Scd2Spec DEFAULT =
      new Scd2Spec(List.of(), List.of(), "valid_from", "valid_to", "is_current", Deletes.CLOSE, "is_deleted");

  /** The columns the framework adds to the table's own. */
  public List<String> historyColumns() {
    return deletes == Deletes.FLAG ? List.of(validFrom, validTo, isCurrent, isDeleted) : List.of(validFrom, validTo, isCurrent);
  }

  /** What a delete of a key does to its history. */
  public enum Deletes {
    /** The current version ends at the delete; the key then has no current version. */
    CLOSE,
    /** The current version ends and a new current version with {@code is_deleted = true} starts. */
    FLAG;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }
}
