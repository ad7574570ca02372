package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.WriteMode;
import java.util.List;
import java.util.Optional;

/** Reads a silver table's {@code cdc} block. */
final class CdcParser {
  static final List<String> CDC_KEYS = List.of("format", "operation-column", "delete-values", "max-deleted-fraction",
      "ignore-snapshots");
  private static final String FORMATS = "debezium, operation-column or snapshot";

  private CdcParser() {}

  /** The change-event format of {@code name}, or empty when its spec has no {@code cdc} block. */
  static Optional<CdcSpec> parse(TableName name, SpecReader table, List<String> keys, Optional<String> sequenceBy,
      WriteMode write) {
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
    for (String k : List.of("max-deleted-fraction", "ignore-snapshots")) {
      if (!format.equals("snapshot") && c.has(k)) {
        c.problem(k, "Cannot use " + k + " with format = " + format + ": it applies to format = snapshot; remove it");
      }
    }
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
      case "snapshot" -> {
        return Optional.of(snapshot(name, table, c, sequenceBy, write));
      }
      default -> {
        if (!format.isEmpty()) {
          c.problem("format", "Cannot read change events in format '" + format + "': supported formats are " + FORMATS);
        }
        return Optional.empty();
      }
    }
  }

  private static CdcSpec.Snapshot snapshot(TableName name, SpecReader table, SpecReader c, Optional<String> sequenceBy,
      WriteMode write) {
    for (String k : List.of("operation-column", "delete-values")) {
      if (c.has(k)) {
        c.problem(k, "Cannot use " + k + " with format = snapshot: a key is deleted when a snapshot lacks it; remove it");
      }
    }
    if (table.has("delete-when")) {
      table.problem("delete-when", "Cannot use delete-when on " + name + ", which reads snapshots: a key is deleted"
          + " when a snapshot lacks it; remove delete-when (or filter out the rows that should not be kept)");
    }
    if (sequenceBy.isEmpty()) {
      table.problem("cdc", "Cannot tell the snapshots of " + name + " apart: declare sequence-by = <column that names"
          + " each snapshot>, the same on all its rows and greater for each later one, e.g. the extract date");
    }
    if (write == WriteMode.APPEND) {
      table.problem("write", "Cannot append the snapshots of " + name + ": their differences update and delete keys;"
          + " set write = scd1 (the newest snapshot) or scd2 (every version)");
    }
    double max = c.optionalNumber("max-deleted-fraction").orElse(CdcSpec.Snapshot.DEFAULT_MAX_DELETED_FRACTION);
    if (max < 0 || max > 1) {
      c.problem("max-deleted-fraction", "Cannot use max-deleted-fraction = " + max + ": it is the fraction of the"
          + " keys of a snapshot that the next one may delete, from 0 to 1 (1: no limit)");
    }
    return new CdcSpec.Snapshot(max, c.stringList("ignore-snapshots"));
  }
}
