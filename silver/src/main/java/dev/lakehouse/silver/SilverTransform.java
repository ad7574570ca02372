package dev.lakehouse.silver;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.row_number;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.cdc.ChangeEvents;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * A silver table: one upstream table's new rows, cleansed by the spec's {@code select} and
 * {@code filter}, reduced to the newest row per key, and appended or upserted (SCD type 1).
 */
public final class SilverTransform implements TableJob {
  private final TableSpec spec;
  private final LayerSpec.Silver silver;
  private final LakehouseTable target;
  private final LakehouseTable upstream;

  public SilverTransform(TableSpec spec, TableSpec upstreamSpec) {
    this.spec = spec;
    this.silver = (LayerSpec.Silver) spec.layer();
    this.target = LakehouseTable.of(spec);
    this.upstream = LakehouseTable.of(upstreamSpec);
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return List.of(upstream);
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    return upstream.readStream(spark);
  }

  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    Dataset<Row> changes = silver.cdc().map(cdc -> ChangeEvents.decode(cdc, batch, spec.name())).orElse(batch);
    Dataset<Row> rows = cleanse(changes);
    if (!spec.keys().isEmpty()) {
      rows = newestPerKey(rows);
    }
    rows = LakehouseSpark.materialize(silver.cdc().isPresent() ? checkedChanges(rows, context) : context.checked(rows));
    long n = rows.count();
    if (silver.cdc().isPresent()) {
      rows = newerThanTable(rows, batch.sparkSession());
      // The newest change of each key decides: its row replaces the key's row, or a delete removes it.
      Dataset<Row> keys = rows.select(spec.keys().stream().map(functions::col).toArray(Column[]::new));
      target.replaceKeys(rows.where(col(CdcSpec.DELETED).equalTo(false)).drop(CdcSpec.DELETED), keys, "cdc");
      return n;
    }
    switch (silver.write()) {
      case APPEND -> target.append(rows, Optional.of(context.mark()));
      case SCD1 -> target.upsert(rows, silver.sequenceBy());
    }
    return n;
  }

  /**
   * Leaves out changes that are not newer than the row the table holds for their key: a late or
   * redelivered event must not undo a later change.
   */
  private Dataset<Row> newerThanTable(Dataset<Row> changes, SparkSession spark) {
    String seq = silver.sequenceBy().orElseThrow();
    if (!target.exists(spark)) {
      return changes;
    }
    Dataset<Row> current = target.read(spark).select(
        java.util.stream.Stream.concat(spec.keys().stream(), java.util.stream.Stream.of(seq)).map(functions::col).toArray(Column[]::new));
    return changes.as("c")
        .join(current.as("t"), LakehouseTable.keysMatch(spec.keys(), "c", "t"), "left_outer")
        .where(col("t.`" + seq + "`").isNull().or(col("c.`" + seq + "`").gt(col("t.`" + seq + "`"))))
        .select("c.*");
  }

  /** Expectations judge the rows a change writes; a delete writes none, so it is never dropped or quarantined. */
  private static Dataset<Row> checkedChanges(Dataset<Row> rows, BatchContext context) {
    Dataset<Row> deletes = rows.where(col(CdcSpec.DELETED).equalTo(true));
    return context.checked(rows.where(col(CdcSpec.DELETED).equalTo(false))).unionByName(deletes);
  }

  /** Applies {@code select} then {@code filter}; public so tests and notebooks can preview it. */
  public Dataset<Row> cleanse(Dataset<Row> rows) {
    List<String> select = new ArrayList<>(silver.select());
    if (silver.cdc().isPresent() && !select.isEmpty()) {
      // The change columns are the framework's, not the user's: they stay whatever the select names.
      for (String c : List.of(CdcSpec.DELETED, CdcSpec.OPERATION, CdcSpec.LSN, CdcSpec.COMMITTED_AT)) {
        if (List.of(rows.columns()).contains(c)) {
          select.add("`" + c + "`");
        }
      }
    }
    Dataset<Row> out = select.isEmpty() ? rows : rows.selectExpr(select.toArray(String[]::new));
    if (silver.filter().isPresent()) {
      out = out.where(silver.filter().get());
    }
    return out;
  }

  /**
   * One row per key: the greatest {@code sequence-by} value wins; ties (and tables without a
   * sequence) are broken by the row's full content, so the choice never depends on file order.
   */
  private Dataset<Row> newestPerKey(Dataset<Row> rows) {
    List<Column> order = new ArrayList<>();
    silver.sequenceBy().ifPresent(seq -> order.add(col(seq).desc_nulls_last()));
    order.add(functions.to_json(functions.struct(col("*"))).desc());
    Column[] keys = spec.keys().stream().map(functions::col).toArray(Column[]::new);
    return rows
        .withColumn("_rank", row_number().over(Window.partitionBy(keys).orderBy(order.toArray(Column[]::new))))
        .where(col("_rank").equalTo(1))
        .drop("_rank");
  }
}
