package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;


/**
 * A gold table with {@code refresh = full}: whenever any source table changed, its query is run
 * over the sources' current content and the result replaces the table in one commit. The
 * micro-batch only signals that something changed; no change means no micro-batch and no new version.
 */
public final class GoldRefresh implements TableJob {
  private final LayerSpec.Gold gold;
  private final LakehouseTable target;
  private final List<LakehouseTable> sources;

  public GoldRefresh(TableSpec spec, List<TableSpec> sourceSpecs) {
    this.gold = (LayerSpec.Gold) spec.layer();
    this.target = LakehouseTable.of(spec);
    this.sources = sourceSpecs.stream().map(LakehouseTable::of).toList();
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return sources;
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    Dataset<Row> changes = null;
    for (LakehouseTable source : sources) {
      // Only the fact of a change matters here: one narrow column keeps the union's schemas equal.
      Dataset<Row> signal = source.readStream(spark).select(lit(source.name().toString()).as("_changed_table"));
      changes = changes == null ? signal : changes.union(signal);
    }
    return changes;
  }

  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    Dataset<Row> result = LakehouseSpark.materialize(batch.sparkSession().sql(gold.sql()));
    long n = result.count();
    target.overwrite(result);
    return n;
  }
}
