package dev.lakehouse.core.testing;

import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.SparkSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of a test JVM ({@code local[2]}, UI off, the framework's settings), and
 * fresh folders for each test's tables. Real Spark, real Delta and Hudi: nothing is mocked.
 */
public final class SharedSpark {
  private static final AtomicInteger DIRS = new AtomicInteger();
  private static SparkSession spark;

  private SharedSpark() {}

  public static synchronized SparkSession session() {
    if (spark == null) {
      spark = LakehouseSpark.getOrCreate(settings(workDir().toString()));
    }
    return spark;
  }

  /** Settings for tests: two cores, few partitions, a short stream trigger. */
  public static LakehouseSettings settings(String root) {
    return new LakehouseSettings(root, FormatKind.DELTA,
        new SparkSettings("local[2]", "lakehouse-test", Map.of(
            "spark.sql.shuffle.partitions", "4",
            "spark.databricks.delta.snapshotPartitions", "2",
            "spark.sql.sources.parallelPartitionDiscovery.parallelism", "4",
            "spark.driver.host", "127.0.0.1")),
        2, Duration.ofSeconds(1));
  }

  /** The module's scratch folder, {@code target/test-work}. */
  public static Path workDir() {
    Path dir = Path.of(System.getProperty("lakehouse.test.tmp", "target/test-work")).toAbsolutePath();
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new empty folder under the scratch folder. */
  public static Path newDir(String name) {
    try {
      Path dir = workDir().resolve(name + "-" + ProcessHandle.current().pid() + "-" + DIRS.incrementAndGet());
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
