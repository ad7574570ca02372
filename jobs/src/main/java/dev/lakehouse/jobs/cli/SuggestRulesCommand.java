package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.quality.RuleSuggestions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "suggest-rules", description = "Profile a table with Deequ and print expectations for it,"
    + " in the pipeline's config syntax, ready to paste into the table's block.")
final class SuggestRulesCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Parameters(index = "0", description = "The table to profile, e.g. silver.orders.")
  String table;

  @Override
  public Integer call() {
    Pipeline pipeline = Lakehouse.open(common.request());
    System.out.print(RuleSuggestions.suggest(TableName.parse(table), pipeline.table(table)));
    return LakehouseMain.OK;
  }
}
