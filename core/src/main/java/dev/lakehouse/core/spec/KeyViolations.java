package dev.lakehouse.core.spec;

import java.util.Locale;

/**
 * What a keyed silver table does with rows whose key is null, or whose key has two different rows
 * with the same sequence value (which dedupe cannot order): {@code key-violations = fail | quarantine}.
 */
public enum KeyViolations {
  /** The micro-batch fails, naming the table, the keys and how many rows; nothing is written. */
  FAIL,
  /** Those rows go to {@code silver.<name>_quarantine} with the reason; the others are written. */
  QUARANTINE;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
