package dev.lakehouse.core.errors;

/**
 * A call names what the pipeline does not have (a selector that matches no table): the request is
 * wrong, nothing ran. The command line exits 2 for it, as for invalid configuration, so a script
 * tells a typo from a failed run (1).
 */
public final class UsageException extends LakehouseException {
  public UsageException(String message) {
    super(message);
  }
}
