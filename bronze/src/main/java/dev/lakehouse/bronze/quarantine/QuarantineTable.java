package dev.lakehouse.bronze.quarantine;

import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code bronze.<name>_quarantine}: the records of a bronze table that could not be parsed, with
 * their raw text ({@code _raw}), where they came from ({@code _source}), why ({@code _reason}) and
 * the lineage columns. Same format as the table, next to it ({@code <location>_quarantine}).
 * Appends carry their own batch mark, so a replayed batch is quarantined once.
 */
public final class QuarantineTable {
  private final LakehouseTable table;

  public QuarantineTable(TableSpec of) {
    this.table = new LakehouseTable(nameFor(of.name()), Companion.QUARANTINE.locationOf(of), List.of(), List.of(), of.format());
  }

  public static TableName nameFor(TableName table) {
    return Companion.QUARANTINE.nameOf(table);
  }

  public LakehouseTable table() {
    return table;
  }

  /** Appends {@code bad} (already with lineage); registers the table for SQL on its first write. */
  public void append(Dataset<Row> bad, BatchMark mark) {
    boolean existed = table.exists(bad.sparkSession());
    table.append(bad, Optional.of(mark.by(BatchMark.Writer.BAD_RECORDS)));
    if (!existed) {
      table.register(bad.sparkSession());
    }
  }
}
