package dev.lakehouse.jobs;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs every table of a pipeline once in batch mode, in its own JVM, for {@link PipelineCrashTest}
 * to kill; exit code 0 when every table succeeded. Arguments: the pipeline file, the root, the format.
 */
public final class PipelineChild {
  private PipelineChild() {}

  public static void main(String[] args) {
    Pipeline p = Lakehouse.open(request(Path.of(args[0]), Path.of(args[1]), args[2]), SharedSpark.session());
    RunReport report = p.run(List.of(), false, r -> System.out.println("RESULT " + r.table() + " " + r.status() + " " + r.error().orElse("")));
    System.out.flush();
    SharedSpark.session().stop();
    System.exit(report.succeeded() ? 0 : 1);
  }

  static ConfigLayers.Request request(Path conf, Path root, String format) {
    return new ConfigLayers.Request(conf, Optional.empty(), List.of("pipeline.format=" + format), Map.of("LAKEHOUSE_ROOT", root.toString()));
  }
}
