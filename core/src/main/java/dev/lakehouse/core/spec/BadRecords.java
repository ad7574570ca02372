package dev.lakehouse.core.spec;

import java.util.Locale;

/**
 * Where a bronze table keeps records it cannot parse (unparsable CSV or JSON, values of the wrong
 * type): never dropped.
 */
public enum BadRecords {
  /** To the table {@code bronze.<name>_quarantine}: raw text, source, reason, lineage. */
  QUARANTINE,
  /** In the table itself, with the raw text in the rescue column {@code _rescued_data}. */
  RESCUE;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
