package dev.lakehouse.core.spec;

import java.util.Locale;

/** How a gold table is brought up to date when its sources change ({@code refresh = full}). */
public enum Refresh {
  /** Recompute the whole table and replace it atomically. */
  FULL;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
