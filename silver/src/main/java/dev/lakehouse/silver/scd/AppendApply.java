package dev.lakehouse.silver.scd;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.ChangeApply;
import dev.lakehouse.silver.ChangeRows;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** {@code write = append}: every row is added (the newest per key only, when the table has keys). */
public final class AppendApply implements ChangeApply {
  private final TableSpec spec;
  private final LakehouseTable target;

  public AppendApply(TableSpec spec) {
    this.spec = spec;
    this.target = LakehouseTable.of(spec);
  }

  @Override
  public long apply(Dataset<Row> changes, BatchContext context) {
    Dataset<Row> rows = spec.keys().isEmpty() ? changes
        : ChangeRows.latestPerKey(changes, spec.keys(), ((LayerSpec.Silver) spec.layer()).sequenceBy());
    rows = LakehouseSpark.materialize(rows);
    // New upstream columns (a bronze table with schema-drift = add-new-columns) are added.
    target.appendAddingColumns(rows, Optional.of(context.mark()));
    return LakehouseSpark.count(rows);
  }
}
