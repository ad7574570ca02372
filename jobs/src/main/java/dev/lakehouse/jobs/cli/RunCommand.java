package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import dev.lakehouse.jobs.pipeline.StreamingRun;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "run", description = "Run tables: batch (process what is new, then stop) or stream (keep running).")
final class RunCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Selection selection;

  static final class Selection {
    @Option(names = "--tables", split = ",", description = "Selectors: layer.name, layer.name+ (with downstream), +layer.name (with upstream).")
    List<String> tables;

    @Option(names = "--layer", description = "Every table of one layer: bronze, silver or gold.")
    String layer;

    @Option(names = "--all", description = "Every table of the pipeline.")
    boolean all;

    /** As {@code Pipeline} takes them: no selector for {@code --all}. */
    List<String> selectors() {
      List<String> selectors = new ArrayList<>();
      if (tables != null) {
        selectors.addAll(tables);
      }
      if (layer != null) {
        selectors.add(layer);
      }
      return selectors;
    }
  }

  @Option(names = "--mode", description = "batch or stream (default: ${DEFAULT-VALUE}).", defaultValue = "batch")
  String mode;

  @Option(names = "--full-refresh", description = "Delete the selected tables, the tables kept beside them (quarantine, tombstones, SCD2 changes) and their checkpoints, then rebuild them from their sources.")
  boolean fullRefresh;

  @Override
  public Integer call() throws InterruptedException {
    RunMode runMode = switch (mode) {
      case "batch" -> RunMode.BATCH;
      case "stream" -> RunMode.STREAM;
      default -> throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
          "Cannot use --mode " + mode + ": use batch or stream");
    };
    List<String> selectors = selection.selectors();
    Pipeline pipeline = Lakehouse.open(common.request());
    try (RunProgress progress = RunProgress.start(pipeline.spark(), System.out)) {
      return run(pipeline, runMode, selectors);
    }
  }

  private int run(Pipeline pipeline, RunMode runMode, List<String> selectors) throws InterruptedException {
    CountDownLatch stopRequested = new CountDownLatch(1);
    StopSignals signals = StopSignals.install(System.out, signal -> {
      // A batch run (or a stream run's catch-up) stops after its current micro-batches; streams stop below.
      pipeline.cancel(signal);
      stopRequested.countDown();
    });
    if (runMode == RunMode.BATCH) {
      RunReport report = pipeline.run(selectors, fullRefresh, r -> RunSummary.progress(System.out, r));
      System.out.println();
      RunSummary.table(System.out, report.tables());
      pipeline.qualityReport(report.runId()).ifPresent(f -> System.out.println("Quality report: " + f));
      if (report.succeeded()) { // the signal came after the last table had ended: the run is whole
        return LakehouseMain.OK;
      }
      return signals.exitCode().orElse(LakehouseMain.RUN_FAILED);
    }
    StreamingRun streams;
    try {
      streams = pipeline.startStreams(selectors, fullRefresh, r -> RunSummary.progress(System.out, r));
    } catch (LakehouseException e) {
      if (signals.exitCode().isPresent()) { // the catch-up pass was cancelled: its tables say so above
        return signals.exitCode().get();
      }
      throw e;
    }
    System.out.println("Streaming " + streams.tables().size() + " table(s), new input every "
        + pipeline.spec().settings().triggerInterval().toSeconds() + "s; stop with Ctrl-C.");
    // A signal stops the queries after their current micro-batch, records the run and exits: the
    // way a stream is stopped, so an exit code of 0 when every table succeeded.
    streams.awaitStopOrEnd(stopRequested);
    System.out.println("Stopping ...");
    List<TableRunResult> results = streams.stop();
    RunSummary.table(System.out, results);
    return results.stream().allMatch(r -> r.status() == TableRunResult.Status.SUCCEEDED) ? LakehouseMain.OK : LakehouseMain.RUN_FAILED;
  }
}
