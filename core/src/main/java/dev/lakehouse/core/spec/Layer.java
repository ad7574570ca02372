package dev.lakehouse.core.spec;

import java.util.Locale;

/** The medallion layers, in the only order data may flow: a layer reads from itself or earlier. */
public enum Layer {
  BRONZE,
  SILVER,
  GOLD;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether a table of this layer may read from a table of {@code upstream}. */
  public boolean mayReadFrom(Layer upstream) {
    return upstream.ordinal() <= ordinal();
  }

  public static Layer fromId(String id) {
    for (Layer l : values()) {
      if (l.id().equals(id)) {
        return l;
      }
    }
    return null;
  }
}
