package dev.lakehouse.quality;

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
 * {@code <layer>.<name>_quarantine}: the rows of a table that broke an expectation with
 * {@code action = quarantine}, with every row rule they broke ({@code _failed_rules}) and the batch
 * and run that checked them ({@code _batch_id}, {@code _run_id}). Same format as the table, next to
 * it; appends carry the batch's mark for this writer ({@link BatchMark.Writer#EXPECTATIONS}), so a
 * replayed batch is quarantined once and the key guard's rows of the same batch are not taken for a replay.
 */
public final class ExpectationQuarantine {
  public static final String FAILED_RULES = "_failed_rules";
  public static final String BATCH_ID = "_batch_id";
  public static final String RUN_ID = "_run_id";

  private final LakehouseTable table;

  public ExpectationQuarantine(TableSpec of) {
    this.table = new LakehouseTable(nameFor(of.name()), Companion.QUARANTINE.locationOf(of), List.of(), List.of(), of.format());
  }

  public static TableName nameFor(TableName table) {
    return Companion.QUARANTINE.nameOf(table);
  }

  public LakehouseTable table() {
    return table;
  }

  /** Appends {@code rows} (with the quarantine columns); registers the table for SQL on its first write. */
  void append(Dataset<Row> rows, BatchMark mark) {
    boolean existed = table.exists(rows.sparkSession());
    // Adding columns: the rows carry the table's, which gain new upstream ones (see the silver README).
    table.appendAddingColumns(rows, Optional.of(mark.by(BatchMark.Writer.EXPECTATIONS)));
    if (!existed) {
      table.register(rows.sparkSession());
    }
  }
}
