package dev.lakehouse.silver;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.testing.BronzeSchemas;
import dev.lakehouse.core.testing.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * A silver table declared in HOCON as a user writes it, reading a real bronze table (Delta or
 * Hudi) under a fresh storage root: rows landed in bronze, then the silver table run for real.
 */
final class SilverScenario {
  final Path root;
  final TableSpec bronze;
  final TableSpec silver;
  private final PipelineSpec pipeline;
  private final StructType bronzeSchema;

  private SilverScenario(Path root, PipelineSpec pipeline, String first, StructType bronzeSchema) {
    this.root = root;
    this.pipeline = pipeline;
    this.bronze = pipeline.table(TableName.parse("bronze.input"));
    this.silver = pipeline.table(TableName.parse("silver." + first));
    this.bronzeSchema = bronzeSchema;
  }

  /**
   * @param bronzeSchema DDL of the bronze rows, e.g. "id BIGINT, name STRING"
   * @param silverBlock the body of {@code silver.t { ... }}; its source is bronze.input
   */
  static SilverScenario of(String format, String bronzeSchema, String silverBlock) {
    return of(format, bronzeSchema, Map.of("t", silverBlock));
  }

  /** Several silver tables over the same bronze table, by name; the first in name order is {@link #silver}. */
  static SilverScenario of(String format, String bronzeSchema, Map<String, String> silverBlocks) {
    return at(SharedSpark.newDir("silver-" + format), format, bronzeSchema, silverBlocks);
  }

  /** The scenario's tables declared anew over the same storage (a spec changed between runs). */
  SilverScenario respecified(String format, Map<String, String> silverBlocks) {
    return at(root, format, bronzeSchema.toDDL(), silverBlocks);
  }

  private static SilverScenario at(Path root, String format, String bronzeSchema, Map<String, String> silverBlocks) {
    try {
      Path conf = root.resolve("pipeline.conf");
      StringBuilder silver = new StringBuilder();
      java.util.TreeMap<String, String> sorted = new java.util.TreeMap<>(silverBlocks);
      sorted.forEach((name, block) -> silver.append(name).append(" {\nsource { type = table, table = bronze.input }\n")
          .append(block).append("\n}\n"));
      Files.writeString(conf, "pipeline { name = test, format = " + format + ", tables {\n"
          + "bronze { input { source { type = files, format = json, path = landing/input, schema = \"" + BronzeSchemas.declared(bronzeSchema)
          + "\" } } }\n"
          + "silver {\n" + silver + "}\n} }\n");
      PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
          Map.of("LAKEHOUSE_ROOT", root.toString())));
      return new SilverScenario(root, p, sorted.firstKey(), StructType.fromDDL(bronzeSchema));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Another silver table of this scenario, by name. */
  SilverScenario table(String name) {
    return new SilverScenario(root, pipeline, name, bronzeSchema);
  }

  Dataset<Row> dataset(List<Object[]> rows) {
    List<Row> out = new ArrayList<>();
    for (Object[] r : rows) {
      out.add(RowFactory.create(r));
    }
    return SharedSpark.session().createDataFrame(out, bronzeSchema);
  }

  /** Appends rows to the bronze table, as an ingest would. */
  void land(List<Object[]> rows) {
    LakehouseTable.of(bronze).append(dataset(rows), Optional.empty());
  }

  SilverTransform job() {
    return new SilverTransform(silver, bronze);
  }

  TableRunResult run() {
    return new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
        .runBatch(job(), silver.checkpoint(), false);
  }

  TableRunner.RunningTable startStream() {
    return new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
        .start(job(), silver.checkpoint(), RunMode.STREAM, false);
  }

  Dataset<Row> rows() {
    return job().target().read(SharedSpark.session());
  }

  /** The cleansed rows of {@code input}, without any table: the cleansing as a preview. */
  Dataset<Row> cleansed(List<Object[]> input) {
    return job().cleanse(dataset(input));
  }

  static List<String> lines(Dataset<Row> rows, String... columns) {
    List<String> out = new ArrayList<>();
    for (Row r : rows.selectExpr(columns).collectAsList()) {
      List<String> cells = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        cells.add(String.valueOf(r.get(i)));
      }
      out.add(String.join("|", cells));
    }
    return out;
  }
}
