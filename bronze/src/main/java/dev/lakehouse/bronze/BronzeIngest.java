package dev.lakehouse.bronze;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableSpec;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;

/**
 * A bronze table: records from a source, appended unchanged with lineage columns. Bronze never
 * updates or deletes a row; a micro-batch replayed after a crash is recognised and not appended twice.
 */
public final class BronzeIngest implements TableJob {
  /** When the row was ingested. */
  public static final String INGESTED_AT = "_ingested_at";
  /** Where the row came from: for files, the file's path. */
  public static final String SOURCE = "_source";
  /** The micro-batch that ingested the row. */
  public static final String BATCH_ID = "_batch_id";
  /** The run that ingested the row. */
  public static final String RUN_ID = "_run_id";

  private final TableSpec spec;
  private final LakehouseTable target;

  public BronzeIngest(TableSpec spec) {
    this.spec = spec;
    this.target = LakehouseTable.of(spec);
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return List.of();
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    SourceSpec source = ((LayerSpec.Bronze) spec.layer()).source();
    if (source instanceof SourceSpec.Files files) {
      ensureFolder(spark, files.path());
      DataStreamReader reader = spark.readStream().format(files.format().id()).options(files.options());
      if (files.schema().isPresent()) {
        reader = reader.schema(files.schema().get());
      }
      Dataset<Row> rows = reader.load(files.path());
      return rows.select(col("*"), col("_metadata.file_path").as(SOURCE));
    }
    throw new LakehouseException("Cannot ingest " + spec.name() + ": bronze does not read " + source
        + " sources yet; use source { type = files }");
  }

  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    Dataset<Row> rows = batch
        .withColumn(INGESTED_AT, current_timestamp())
        .withColumn(BATCH_ID, lit(context.batchId()))
        .withColumn(RUN_ID, lit(context.runId()));
    target.append(rows, Optional.of(context.mark()));
    return batch.count();
  }

  private void ensureFolder(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.mkdirs(p);
    } catch (IOException e) {
      throw new LakehouseException("Cannot open the landing folder " + path + " of " + spec.name() + ": "
          + e.getMessage() + "; check the path in its source block and its permissions", e);
    }
  }
}
