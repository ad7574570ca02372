package dev.lakehouse.core.spec;

import java.util.Locale;

/** The file formats a bronze {@code files} source reads. */
public enum FileFormat {
  CSV,
  JSON,
  PARQUET,
  AVRO,
  TEXT;

  /** The Spark data source name. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
