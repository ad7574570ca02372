package dev.lakehouse.bronze;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.testing.SharedSpark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A bronze table declared in HOCON, as a user writes it, under a fresh storage root; runs it for real. */
final class Bronze {
  final Path root;
  final TableSpec spec;

  private Bronze(Path root, TableSpec spec) {
    this.root = root;
    this.spec = spec;
  }

  /** {@code tableBlock} is the body of {@code bronze.<name> { ... }}. */
  static Bronze table(String name, String format, String tableBlock) {
    Path root = SharedSpark.newDir("bronze-" + name);
    return new Bronze(root, parse(root, name, format, tableBlock));
  }

  static TableSpec parse(Path root, String name, String format, String tableBlock) {
    try {
      Path conf = root.resolve("pipeline.conf");
      Files.writeString(conf, "pipeline { name = test, format = " + format + ", tables { bronze { " + name + " {\n"
          + tableBlock + "\n} } } }\n");
      PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
          Map.of("LAKEHOUSE_ROOT", root.toString())));
      return p.table(TableName.parse("bronze." + name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The same table (name, root, checkpoint) declared anew with {@code tableBlock}: a spec edited between runs. */
  Bronze withBlock(String tableBlock) {
    return new Bronze(root, parse(root, spec.name().name(), spec.format().id(), tableBlock));
  }

    Path landing(String folder) {
    try {
      return Files.createDirectories(root.resolve(folder));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a file atomically (written aside, then renamed), as a landing process should. */
  static void land(Path dir, String file, String content) {
    try {
      Path tmp = dir.getParent().resolve("." + file + ".tmp");
      Files.writeString(tmp, content);
      Files.move(tmp, dir.resolve(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  TableRunResult run() {
    return run(false);
  }

  /** With {@code fullRefresh}, as {@code run --full-refresh}: the table and its checkpoint deleted first. */
  TableRunResult run(boolean fullRefresh) {
    return new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
        .runBatch(new BronzeIngest(spec), spec.checkpoint(), fullRefresh);
  }

  TableRunner.RunningTable startStream() {
    return new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
        .start(new BronzeIngest(spec), spec.checkpoint(), RunMode.STREAM, false);
  }

  Dataset<Row> rows() {
    return new BronzeIngest(spec).target().read(SharedSpark.session());
  }

  Dataset<Row> quarantined() {
    return new BronzeIngest(spec).quarantineTable().read(SharedSpark.session());
  }
}
