package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.jobs.Lakehouse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "validate", description = "Check the whole configuration; report every problem with its file:line.")
final class ValidateCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Override
  public Integer call() {
    PipelineSpec spec = Lakehouse.validate(common.request());
    System.out.println("Pipeline " + spec.name() + " is valid: " + spec.tables().size() + " tables, storage root "
        + spec.settings().root());
    return LakehouseMain.OK;
  }
}
