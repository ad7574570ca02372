package dev.lakehouse.quality;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.RefreshJob;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** A pipeline parsed from a test's HOCON, its tables on disk, and a runner that applies expectations. */
final class QualityFixture {
  final SparkSession spark = SharedSpark.session();
  final Path root;
  final PipelineSpec spec;
  final QualityResults results;

  QualityFixture(String name, String tables) {
    root = SharedSpark.newDir(name);
    Path file = root.resolve("pipeline.conf");
    try {
      Files.writeString(file, "pipeline {\n  name = " + name + "\n  tables {\n" + tables + "\n  }\n}\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    spec = PipelineParser.load(new ConfigLayers.Request(file, Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", root.toString())));
    results = new QualityResults(spark, spec.settings());
  }

  LakehouseTable table(String name) {
    return LakehouseTable.of(spec.table(TableName.parse(name)));
  }

  TableExpectations expectations(String name) {
    return new TableExpectations(spec.table(TableName.parse(name)), spec.settings(), results,
        t -> LakehouseTable.of(spec.table(t)));
  }

  TableRunner runner(String runId) {
    return new TableRunner(spark, runId, Duration.ofMillis(200),
        job -> expectations(job.target().name().toString()));
  }

  /** Reads {@code from} as a stream and appends each checked batch to {@code to}: the layers' hook, no more. */
  TableJob job(String from, String to) {
    LakehouseTable source = table(from);
    LakehouseTable target = table(to);
    return new TableJob() {
      public LakehouseTable target() {
        return target;
      }

      public List<LakehouseTable> sources() {
        return List.of(source);
      }

      public Dataset<Row> input(SparkSession s) {
        return source.readStream(s);
      }

      public long processBatch(Dataset<Row> batch, BatchContext context) {
        Dataset<Row> rows = LakehouseSpark.materialize(context.checked(batch));
        long n = rows.count();
        target.append(rows, Optional.of(context.mark()));
        return n;
      }
    };
  }

  /**
   * Replaces {@code to} with the checked rows of {@code from}, once per run: a gold table's refresh
   * in batch mode, no more. When {@code crash} says so, it dies between its checks and its write.
   */
  RefreshJob refresh(String from, String to, BooleanSupplier crash) {
    TableJob append = job(from, to);
    return new RefreshJob() {
      public LakehouseTable target() {
        return append.target();
      }

      public List<LakehouseTable> sources() {
        return append.sources();
      }

      public Dataset<Row> input(SparkSession s) {
        return append.input(s);
      }

      public long processBatch(Dataset<Row> batch, BatchContext context) {
        throw new UnsupportedOperationException("refreshed in batch mode only");
      }

      public OptionalLong refreshOnce(SparkSession s, BatchContext context) {
        Dataset<Row> rows = LakehouseSpark.materialize(context.checked(append.sources().get(0).read(s)));
        long n = rows.count();
        if (crash.getAsBoolean()) {
          throw new IllegalStateException("killed between its checks and its write");
        }
        append.target().overwrite(rows, Optional.empty());
        return OptionalLong.of(n);
      }
    };
  }

  String checkpoint(String table) {
    return spec.table(TableName.parse(table)).checkpoint();
  }

  Dataset<Row> results(String runId) {
    return spark.read().format("delta").load(results.location()).where("run_id = '" + runId + "'");
  }
}
