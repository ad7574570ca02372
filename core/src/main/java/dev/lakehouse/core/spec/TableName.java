package dev.lakehouse.core.spec;

import java.util.regex.Pattern;

/** A table's name, {@code layer.name}, e.g. {@code silver.customer}; also its Spark catalog name. */
public record TableName(Layer layer, String name) implements Comparable<TableName> {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

  public static boolean isIdentifier(String s) {
    return IDENTIFIER.matcher(s).matches();
  }

  /** Parses {@code layer.name}; returns null when {@code text} is not of that form. */
  public static TableName parse(String text) {
    int dot = text.indexOf('.');
    if (dot < 0 || text.indexOf('.', dot + 1) >= 0) {
      return null;
    }
    Layer layer = Layer.fromId(text.substring(0, dot));
    String name = text.substring(dot + 1);
    return layer == null || !isIdentifier(name) ? null : new TableName(layer, name);
  }

  @Override
  public int compareTo(TableName o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return layer.id() + "." + name;
  }
}
