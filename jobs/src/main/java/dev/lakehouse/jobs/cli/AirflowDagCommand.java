package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.jobs.airflow.AirflowDag;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "airflow-dag", description = "Write an Airflow DAG for the pipeline: a spark-submit task per table"
    + " (or per layer), dependencies from the pipeline graph, schedule and retries from pipeline.schedule, and a last task"
    + " running maintain --all unless pipeline.schedule.maintenance = none (starts no Spark).")
final class AirflowDagCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--out", description = "Folder to write <dag id>.py into (default: ${DEFAULT-VALUE}).", defaultValue = "airflow-dags")
  Path out;

  @Option(names = "--check", description = "Write nothing; exit 1 when the file in --out differs from what would be written.")
  boolean check;

  @Override
  public Integer call() throws IOException {
    PipelineSpec spec = PipelineParser.load(common.request());
    Path pipeline = common.conf.toAbsolutePath().normalize();
    String relative = ConfigLayers.confDir(pipeline).relativize(pipeline).toString().replace('\\', '/');
    AirflowDag dag = new AirflowDag(spec, relative);
    Path file = out.resolve(dag.fileName());
    String text = dag.render();
    if (check) {
      if (Files.isRegularFile(file) && Files.readString(file).equals(text)) {
        System.out.println(file + " is up to date");
        return LakehouseMain.OK;
      }
      System.err.println("Cannot accept " + file + ": it differs from the pipeline spec " + common.conf
          + "; regenerate it with bin/lakehouse airflow-dag --conf " + common.conf + " --out " + out);
      return LakehouseMain.RUN_FAILED;
    }
    Files.createDirectories(out);
    Files.writeString(file, text);
    System.out.println("Wrote " + file + ": DAG " + dag.dagId() + ", " + dag.tasks().size() + " task(s) ("
        + spec.schedule().tasks().id() + " per task)" + (dag.maintains() ? " and maintain --all after them" : "")
        + ", schedule " + spec.schedule().cron().orElse("none (triggered by hand)"));
    return LakehouseMain.OK;
  }
}
