package dev.lakehouse.bronze;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Runs every bronze table of a pipeline file once in batch mode, in its own JVM, for {@link CrashTest} to kill. */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) {
    Path conf = Path.of(args[0]);
    PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", conf.getParent().toString())));
    var spark = SharedSpark.session();
    System.out.println("READY");
    System.out.flush();
    boolean ok = true;
    for (TableSpec t : p.tables().values()) {
      TableRunResult r = new TableRunner(spark, "crash-" + ProcessHandle.current().pid(), Duration.ofSeconds(1))
          .runBatch(new BronzeIngest(t), t.checkpoint(), false);
      System.out.println("RESULT " + t.name() + " " + r.status() + " " + r.batches() + " " + r.error().orElse(""));
      ok &= r.status() == TableRunResult.Status.SUCCEEDED;
    }
    spark.stop();
    System.exit(ok ? 0 : 1);
  }
}
