package dev.lakehouse.core.spec;

import java.util.Locale;

/** The open table formats a table can be stored in ({@code format = delta | hudi}). */
public enum FormatKind {
  DELTA,
  HUDI;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
