package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.jobs.pipeline.PipelinePlan;
import dev.lakehouse.jobs.pipeline.PlannedTable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "plan", description = "Show the tables in run order and what a run would do to each (starts no Spark).")
final class PlanCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--tables", split = ",", description = "Selectors: layer.name, layer.name+ (downstream), +layer.name (upstream).")
  List<String> tables = new ArrayList<>();

  @Option(names = "--layer", description = "Only this layer: bronze, silver or gold.")
  String layer;

  @Override
  public Integer call() {
    PipelineSpec spec = PipelineParser.load(common.request());
    List<String> selectors = new ArrayList<>(tables);
    if (layer != null) {
      selectors.add(layer);
    }
    List<PlannedTable> plan = PipelinePlan.plan(spec, selectors);
    System.out.println("Pipeline " + spec.name() + ": " + plan.size() + " table(s) in run order");
    for (PlannedTable p : plan) {
      System.out.print(String.format("%3d. %-32s %-5s reads %s%n", p.step(), p.table(), p.format().id(),
          p.reads().isEmpty() ? "(source)" : p.reads().toString()));
      System.out.println("       " + p.action());
    }
    return LakehouseMain.OK;
  }
}
