package dev.lakehouse.core.format;

/**
 * One committed state of a table: a Delta version number, or a Hudi commit's completion time.
 * Opaque to the layers; only the format that produced it interprets it.
 */
public record TableVersion(String id) {
  @Override
  public String toString() {
    return id;
  }
}
