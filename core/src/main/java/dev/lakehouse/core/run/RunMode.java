package dev.lakehouse.core.run;

import java.util.Locale;

/**
 * How a table run is triggered. Both modes run the same streaming query with the same micro-batch
 * function; they differ only in the trigger.
 */
public enum RunMode {
  /** Process everything new since the last run, then stop ({@code Trigger.AvailableNow}). */
  BATCH,
  /** Keep running, looking for new input every trigger interval, until stopped. */
  STREAM,
  /** Not a run of the table's query: its files compacted and cleaned ({@code bin/lakehouse maintain}). */
  MAINTAIN;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
