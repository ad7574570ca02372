package dev.lakehouse.core.spec;

import java.util.Locale;

/** What a bronze table does when records carry columns its schema does not have. */
public enum SchemaDrift {
  /** Stop the run with an error naming the new columns; nothing of that batch is written. */
  FAIL,
  /** Add the new columns to the table's schema; earlier rows read them as null. */
  ADD_NEW_COLUMNS,
  /** Keep the unknown fields, as a JSON object, in the rescue column {@code _rescued_data}. */
  RESCUE;

  public String id() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
