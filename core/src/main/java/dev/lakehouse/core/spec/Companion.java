package dev.lakehouse.core.spec;

import java.util.Optional;

/**
 * A table the framework keeps next to a declared table, in the same layer and format, named and
 * located by a suffix of the table's own name and location ({@code silver.customer_quarantine} at
 * {@code <root>/silver/customer_quarantine}). A declared table may therefore not take such a name
 * beside its base table: the two would share one location.
 */
public enum Companion {
  /** Rows set aside: bad records (bronze), key violations and quarantined expectations (silver, gold). */
  QUARANTINE("_quarantine", "quarantined rows"),
  /** The deleted keys of an SCD1 table, with the sequence of their delete. */
  TOMBSTONES("_tombstones", "deleted keys"),
  /** Every change event of an SCD2 history. */
  CHANGES("_changes", "change events");

  private final String suffix;
  private final String holds;

  Companion(String suffix, String holds) {
    this.suffix = suffix;
    this.holds = holds;
  }

  public TableName nameOf(TableName table) {
    return new TableName(table.layer(), table.name() + suffix);
  }

  public String locationOf(TableSpec table) {
    return locationOf(table.location());
  }

  /** Its location beside a table at {@code location}. */
  public String locationOf(String location) {
    return location + suffix;
  }

  /** The table whose companion {@code name} would be, when it ends with this suffix. */
  public Optional<TableName> baseOf(TableName name) {
    String n = name.name();
    return n.endsWith(suffix) && n.length() > suffix.length()
        ? Optional.of(new TableName(name.layer(), n.substring(0, n.length() - suffix.length())))
        : Optional.empty();
  }

  /** What it holds, for messages. */
  public String holds() {
    return holds;
  }
}
