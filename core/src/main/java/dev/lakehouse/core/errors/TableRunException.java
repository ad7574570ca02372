package dev.lakehouse.core.errors;

import dev.lakehouse.core.spec.TableName;

/** A table run failed after its configuration was accepted. */
public final class TableRunException extends LakehouseException {
  private final TableName table;

  public TableRunException(TableName table, String message, Throwable cause) {
    super(message, cause);
    this.table = table;
  }

  public TableName table() {
    return table;
  }
}
