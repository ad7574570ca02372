package dev.lakehouse.core.errors;

/**
 * A failure a user can act on. Every message follows one shape:
 * {@code Cannot <action> <thing>: <value>} + why + how to fix, naming the table and config path.
 */
public class LakehouseException extends RuntimeException {
  public LakehouseException(String message) {
    super(message);
  }

  public LakehouseException(String message, Throwable cause) {
    super(message, cause);
  }
}
