package dev.lakehouse.bench;

import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.SparkSettings;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.silver.SilverTransform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.spark.sql.SparkSession;

/** What every benchmark starts with: {@code --key value} arguments over defaults, and one local session. */
final class BenchSetup {
  private BenchSetup() {}

  /** {@code defaults} with the {@code --key value} pairs of {@code args} applied. */
  static Map<String, String> args(Map<String, String> defaults, String[] args) {
    Map<String, String> a = new HashMap<>(defaults);
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    return a;
  }

  /** An embedded {@code local[*]} session with the framework's settings, storage under {@code work/root}. */
  static SparkSession session(Path work, String appName) {
    return LakehouseSpark.getOrCreate(new LakehouseSettings(work.resolve("root").toString(), FormatKind.DELTA,
        new SparkSettings("local[*]", appName, sparkConf()), 1, Duration.ofSeconds(10)));
  }

  /** The framework's own Spark defaults (reference.conf), so a benchmark measures what users run. */
  private static Map<String, String> sparkConf() {
    Map<String, String> conf = new HashMap<>();
    ConfigFactory.defaultReference().getConfig("lakehouse.spark.conf").root().unwrapped()
        .forEach((k, v) -> conf.put(k, String.valueOf(v)));
    conf.put("spark.driver.host", "127.0.0.1");
    return conf;
  }

  /** The pipeline {@code hocon} declares, written to {@code root/pipeline.conf}, its storage under {@code root}. */
  static PipelineSpec pipeline(Path root, String hocon) throws IOException {
    Files.createDirectories(root);
    Path conf = root.resolve("pipeline.conf");
    Files.writeString(conf, hocon);
    return PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", root.toString())));
  }

  /** Runs a silver table over the new rows of its bronze table, as a batch; seconds. */
  static double runSilver(SparkSession spark, TableSpec silver, TableSpec bronze) {
    long t0 = System.nanoTime();
    TableRunResult r = new TableRunner(spark, UUID.randomUUID().toString(), Duration.ofSeconds(10))
        .runBatch(new SilverTransform(silver, bronze), silver.checkpoint(), false);
    if (r.error().isPresent()) {
      throw new IllegalStateException(r.error().get());
    }
    return seconds(t0);
  }

  /** Seconds since {@code since} ({@link System#nanoTime()}). */
  static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
