package dev.lakehouse.core.spec;

import java.util.Locale;

/** How a Kafka source reads message values: parsed {@code json}, a {@code string}, or raw {@code bytes}. */
public enum KafkaValue {
  JSON,
  STRING,
  BYTES;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
