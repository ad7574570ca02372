package dev.lakehouse.core.spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated pipeline: its tables (in declaration order) and the settings they run with.
 * Every table named as an upstream exists in {@link #tables()}, and the tables form no cycle.
 *
 * @param schedule when an orchestrator runs it ({@code pipeline.schedule}); {@link ScheduleSpec#DEFAULT} when not set
 * @param sqlFiles the {@code sql-file}s of its gold tables, relative to the pipeline file: they ship with it
 */
public record PipelineSpec(
    String name,
    Optional<String> description,
    Optional<String> owner,
    LakehouseSettings settings,
    Map<TableName, TableSpec> tables,
    String sourceFile,
    ScheduleSpec schedule,
    List<String> sqlFiles) {

  public TableSpec table(TableName name) {
    TableSpec spec = tables.get(name);
    if (spec == null) {
      throw new IllegalArgumentException("Cannot find table " + name + " in pipeline " + this.name
          + "; it has " + tables.keySet());
    }
    return spec;
  }

  /** The tables that read {@code name} directly. */
  public List<TableName> downstreamOf(TableName name) {
    List<TableName> out = new ArrayList<>();
    for (TableSpec t : tables.values()) {
      if (t.upstream().contains(name)) {
        out.add(t.name());
      }
    }
    return out;
  }
}
