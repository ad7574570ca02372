package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.run.TableRunResult;
import java.util.List;

/** What one run of a selection of tables did, table by table, in run order. */
public record RunReport(String runId, List<TableRunResult> tables) {
  public boolean succeeded() {
    return tables.stream().allMatch(t -> t.status() == TableRunResult.Status.SUCCEEDED);
  }

  public TableRunResult table(String name) {
    return tables.stream().filter(t -> t.table().toString().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("Cannot find " + name + " in this run; it ran " + tables));
  }
}
