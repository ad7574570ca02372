package dev.lakehouse.core.errors;

/**
 * One problem found in the configuration.
 *
 * @param path the config path the problem is about, e.g. {@code pipeline.tables.silver.orders.keys}
 * @param origin where that path is written, as {@code file:line}, or a description such as
 *     {@code --set} when it came from the command line; empty when the key is missing altogether
 * @param message what is wrong and how to fix it
 */
public record ConfigProblem(String path, String origin, String message) {
  @Override
  public String toString() {
    return (origin.isEmpty() ? "" : origin + ": ") + path + ": " + message;
  }
}
