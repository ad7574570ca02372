package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import java.util.Optional;

/** Reads a silver table's {@code cdc} block. */
final class CdcParser {
  static final List<String> CDC_KEYS = List.of("format", "operation-column", "delete-values");
  private static final String FORMATS = "debezium or operation-column";

  private CdcParser() {}

  /** The change-event format of {@code name}, or empty when its spec has no {@code cdc} block. */
  static Optional<CdcSpec> parse(TableName name, SpecReader table, List<String> keys, Optional<String> sequenceBy) {
    Optional<SpecReader> block = table.object("cdc");
    if (block.isEmpty()) {
      return Optional.empty();
    }
    SpecReader c = block.get();
    c.rejectUnknownKeys(CDC_KEYS);
    if (keys.isEmpty()) {
      table.problem("cdc", "Cannot apply change events to " + name + " without keys: declare keys = [<primary key column>, ...]");
    }
    String format = c.requiredString("format", "the change event format: " + FORMATS);
    switch (format) {
      case "debezium" -> {
        for (String k : List.of("operation-column", "delete-values")) {
          if (c.has(k)) {
            c.problem(k, "Cannot use " + k + " with format = debezium: Debezium events carry their operation in op; remove it");
          }
        }
        return Optional.of(new CdcSpec.Debezium());
      }
      case "operation-column" -> {
        String column = c.requiredString("operation-column", "the column that holds each row's operation, e.g. operation-column = op");
        List<String> deletes = c.stringList("delete-values");
        if (deletes.isEmpty()) {
          c.problem("delete-values", "Cannot tell deletes from upserts: list the operation values that delete a key, e.g. delete-values = [D]");
        }
        if (sequenceBy.isEmpty()) {
          table.problem("cdc", "Cannot order the change events of " + name
              + ": declare sequence-by = <column that grows with each change of a key>, e.g. a log position or change time");
        }
        return Optional.of(new CdcSpec.OperationColumn(column, deletes));
      }
      default -> {
        if (!format.isEmpty()) {
          c.problem("format", "Cannot read change events in format '" + format + "': supported formats are " + FORMATS);
        }
        return Optional.empty();
      }
    }
  }
}
