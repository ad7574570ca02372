package dev.lakehouse.core.spec;

import java.util.Locale;

/** How a silver table takes in a micro-batch ({@code write = append | scd1 | scd2}). */
public enum WriteMode {
  /** Every row is added; nothing already in the table changes. */
  APPEND,
  /** Upsert by the table's keys: the row with the newest sequence value wins (SCD type 1). */
  SCD1,
  /** Keep every version of a key with its validity (SCD type 2); see {@link Scd2Spec}. */
  SCD2;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
