package dev.lakehouse.silver.guard;

import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * {@code silver.<name>_quarantine}: rows of a silver table kept aside, with why ({@code _reason})
 * and which batch and run ({@code _batch_id}, {@code _run_id}). Same format as the table, next to
 * it ({@code <location>_quarantine}); a replayed batch is quarantined once.
 */
public final class SilverQuarantine {
  public static final String REASON = "_reason";
  private final LakehouseTable table;

  public SilverQuarantine(TableSpec of) {
    this.table = new LakehouseTable(nameFor(of.name()), Companion.QUARANTINE.locationOf(of), List.of(), List.of(), of.format());
  }

  public static TableName nameFor(TableName table) {
    return Companion.QUARANTINE.nameOf(table);
  }

  public LakehouseTable table() {
    return table;
  }

  /** Appends {@code rows}, which carry {@value #REASON}; registers the table for SQL on its first write. */
  void append(Dataset<Row> rows, BatchContext context) {
    boolean existed = table.exists(rows.sparkSession());
    Dataset<Row> out = rows
        .withColumn("_batch_id", functions.lit(context.batchId()))
        .withColumn("_run_id", functions.lit(context.runId()));
    table.appendAddingColumns(out, Optional.of(context.mark().by(BatchMark.Writer.KEY_GUARD)));
    if (!existed) {
      table.register(rows.sparkSession());
    }
  }
}
