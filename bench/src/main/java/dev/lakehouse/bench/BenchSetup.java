package dev.lakehouse.bench;

import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.SparkSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
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
}
