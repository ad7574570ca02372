package dev.lakehouse.core.spec;

import java.util.Locale;

/** How a gold table is brought up to date when its sources change ({@code refresh = ...}). */
public enum Refresh {
  /** Recompute the whole table and replace it atomically. */
  FULL,
  /**
   * Recompute only the rows (by the table's keys) that the sources' changes since the last refresh
   * touch, and replace those in one commit; the result equals a full refresh.
   */
  INCREMENTAL;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
