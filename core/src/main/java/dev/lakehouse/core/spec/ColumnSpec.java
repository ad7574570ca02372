package dev.lakehouse.core.spec;

import java.util.Optional;

/**
 * What the spec says about one column: documentation for the catalog and its classification
 * (e.g. {@code pii}), which later layers act on.
 */
public record ColumnSpec(String name, Optional<String> description, Optional<String> classification,
    Optional<Cleansing.Mask> mask) {
  public ColumnSpec(String name, Optional<String> description, Optional<String> classification) {
    this(name, description, classification, Optional.empty());
  }

  public boolean isPii() {
    return classification.map(c -> c.equalsIgnoreCase("pii")).orElse(false);
  }
}
