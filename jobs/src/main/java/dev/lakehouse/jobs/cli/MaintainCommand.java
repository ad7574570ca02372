package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.format.MaintenanceResult;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.TableMaintenance;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "maintain", description = "Compact tables' small files and delete the files no kept version needs"
    + " (Delta OPTIMIZE and VACUUM), keeping what the pipeline's streams and incremental gold tables have yet to read;"
    + " with --all, the system tables too, and quality reports older than lakehouse.maintenance.keep-reports."
    + " A table maintained less than its maintenance.every ago is left alone, unless --force.")
final class MaintainCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @ArgGroup(exclusive = true, multiplicity = "1")
  RunCommand.Selection selection;

  @Option(names = "--dry-run", description = "Change nothing; print what would be deleted.")
  boolean dryRun;

  @Option(names = "--force", description = "Maintain the selected tables however recently they were (maintenance.every).")
  boolean force;

  @Override
  public Integer call() {
    Pipeline pipeline = Lakehouse.open(common.request());
    // From the outcomes, not the run results: a system table has an outcome and no run result.
    boolean[] failed = {false};
    pipeline.maintain(selection.selectors(), dryRun, force, o -> {
      failed[0] |= o.error().isPresent();
      print(System.out, o, dryRun);
    });
    return failed[0] ? LakehouseMain.RUN_FAILED : LakehouseMain.OK;
  }

  static void print(PrintStream out, TableMaintenance.Outcome o, boolean dryRun) {
    if (o.error().isPresent()) {
      out.println("[failed]     " + o.table() + ": " + o.error().get());
      return;
    }
    if (o.notDue().isPresent()) {
      TableMaintenance.NotDue n = o.notDue().get();
      Instant now = Instant.now();
      out.println("[not due]    " + o.table() + ": maintained " + human(Duration.between(n.last(), now)) + " ago, every "
          + human(n.every()) + " (maintenance.every); due in " + human(Duration.between(now, n.due())) + ", or now with --force");
      return;
    }
    MaintenanceResult r = o.result().orElseThrow();
    if (o.kind() == TableMaintenance.Kind.QUALITY_REPORTS) {
      String older = " older than " + human(r.kept());
      if (r.filesDeleted() == 0) {
        out.println("[unchanged]  " + o.table() + ": no quality report" + older);
      } else {
        out.println((dryRun ? "[dry run]    " : "[maintained] ") + o.table() + ": " + (dryRun ? "would delete " : "deleted ")
            + r.filesDeleted() + " quality report(s)" + older);
      }
      return;
    }
    if (r.nothingToDo().isPresent()) {
      out.println("[unchanged]  " + o.table() + ": " + r.nothingToDo().get());
      return;
    }
    StringBuilder line = new StringBuilder(dryRun ? "[dry run]    " : "[maintained] ").append(o.table()).append(": ");
    if (!dryRun) {
      line.append(r.filesCompacted() == 0 ? "no small files to compact"
          : "compacted " + r.filesCompacted() + " files into " + r.filesWritten()).append("; ");
    }
    line.append(dryRun ? "would delete " : "deleted ").append(r.filesDeleted()).append(" unreferenced file(s) older than ")
        .append(human(r.kept()));
    if (r.filesKeptForReaders() > 0) {
      line.append("; kept ").append(r.filesKeptForReaders()).append(" older file(s) that readers need: ")
          .append(String.join(", ", o.readers().stream().map(Object::toString).toList()));
    }
    out.println(line);
  }

  private static String human(Duration d) {
    if (d.toDays() >= 2) {
      return d.toDays() + " days";
    }
    if (d.toHours() >= 1) {
      return d.toHours() + (d.toHours() == 1 ? " hour" : " hours");
    }
    return d.toMinutes() + " minutes";
  }
}
