package dev.lakehouse.bronze.source;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * What a bronze table reads: a streaming input whose offsets the checkpoint keeps, and how a
 * micro-batch of it turns into records. The pinned schema is what the table already holds (or was
 * declared, or was inferred once); records with more columns are schema drift, handled by the table.
 */
public interface BronzeSource {

  /** The streaming input; {@code pinned} is the data schema records are read with. */
  Dataset<Row> stream(SparkSession spark, StructType pinned);

  /** Parses one micro-batch of {@link #stream}. */
  Records parse(Dataset<Row> batch, StructType pinned);

  /**
   * The data schema to pin when neither a declaration nor the table gives one; called only then.
   *
   * @throws LakehouseException when the source cannot tell (say what to declare)
   */
  StructType inferSchema(SparkSession spark);

  /**
   * Whether {@link #parse} reads the batch once (its rows and bad records are one pass over the
   * input). The ingest then writes straight from the source instead of materialising the batch.
   */
  default boolean readsBatchOnce() {
    return false;
  }

  /**
   * Whether {@link #parse} reads the batch once and stores what it parsed (JSON documents: their
   * keys and values, read again for unknown keys, bad records and the append). The ingest then hands
   * it the batch as the source gives it, counted by that one read, instead of storing it first.
   */
  default boolean storesParsedBatch() {
    return false;
  }

  /** The Delta or Hudi table {@link #stream} is a stream of, and of nothing else, if it is one. */
  default Optional<LakehouseTable> streamedTable() {
    return Optional.empty();
  }

  /** Columns the source adds to every row beside the data (e.g. Kafka's key, topic, partition...). */
  default List<String> metadataColumns() {
    return List.of();
  }

  /**
   * How to rename a column of the records that bronze writes itself ({@link BronzeColumns#RESERVED}),
   * for the error that refuses it: what follows "Rename the column: ".
   */
  default String howToRename() {
    return "where the records are written";
  }

  /** The source of {@code spec}, a bronze table. */
  static BronzeSource of(TableSpec spec) {
    LayerSpec.Bronze bronze = (LayerSpec.Bronze) spec.layer();
    SourceSpec source = bronze.source();
    if (source instanceof SourceSpec.Files f) {
      return new FileSource(spec.name(), f, spec.checkpoint(), bronze.driftStructs());
    }
    if (source instanceof SourceSpec.Kafka k) {
      return new KafkaSource(spec.name(), k, bronze.driftStructs());
    }
    if (source instanceof SourceSpec.Jdbc j) {
      return new JdbcSource(spec.name(), j);
    }
    if (source instanceof SourceSpec.TablePath t) {
      return new TableSource(spec.name(), t);
    }
    throw new LakehouseException("Cannot ingest " + spec.name() + " from " + source + ": a bronze table reads files, "
        + "kafka, jdbc, or a Delta/Hudi table by path (source { type = table, path = ..., format = delta })");
  }

  /** {@code schema} without {@link BronzeColumns#CORRUPT}. */
  static StructType withoutCorrupt(StructType schema) {
    return without(schema, List.of(BronzeColumns.CORRUPT));
  }

  static StructType without(StructType schema, List<String> names) {
    return new StructType(java.util.Arrays.stream(schema.fields())
        .filter(f -> !names.contains(f.name())).toArray(org.apache.spark.sql.types.StructField[]::new));
  }
}
