package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.BronzeLineage;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A Delta or Hudi table outside the pipeline, read incrementally (Delta's change feed, Hudi's
 * incremental stream): rows its commits add or update, from its first commit on.
 */
final class TableSource implements BronzeSource {
  private final TableName table;
  private final SourceSpec.TablePath spec;
  private final LakehouseTable source;

  TableSource(TableName table, SourceSpec.TablePath spec) {
    this.table = table;
    this.spec = spec;
    this.source = new LakehouseTable(table, spec.path(), List.of(), List.of(), spec.format());
  }

  @Override
  public Dataset<Row> stream(SparkSession spark, StructType pinned) {
    requireExists(spark);
    return withUpstreamNames(source.readStream(spark))
        .withColumn(BronzeColumns.SOURCE, lit(spec.format().id() + ":" + spec.path()));
  }

  @Override
  public Optional<LakehouseTable> streamedTable() {
    return Optional.of(source);
  }

  @Override
  public Records parse(Dataset<Row> batch, StructType pinned) {
    return Records.allGood(batch);
  }

  @Override
  public StructType inferSchema(SparkSession spark) {
    requireExists(spark);
    return withUpstreamNames(source.read(spark)).schema();
  }

  /**
   * The source's rows, its columns named as bronze writes its own (another pipeline's bronze table
   * has them all) kept under {@code _upstream} names: its lineage says where each record first
   * came from, and this table's writing over it would lose that. Renamed at once, so a
   * {@code _upstream_source} the source kept from its own source moves out of {@code _source}'s way.
   */
  private static Dataset<Row> withUpstreamNames(Dataset<Row> rows) {
    return rows.toDF(java.util.Arrays.stream(rows.columns()).map(BronzeLineage::upstream).toArray(String[]::new));
  }

  private void requireExists(SparkSession spark) {
    if (!source.exists(spark)) {
      throw new LakehouseException("Cannot ingest " + table + ": there is no " + spec.format().id() + " table at "
          + spec.path() + "; check path and format in its source block");
    }
  }
}
