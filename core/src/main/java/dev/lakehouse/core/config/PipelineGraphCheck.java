package dev.lakehouse.core.config;

import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the tables as a graph: every upstream exists, data flows only from a layer to itself or a
 * later one, and no table depends on itself through others.
 */
final class PipelineGraphCheck {
  private final Map<TableName, TableSpec> tables;
  /** Each gold table's key that holds its query: sql, sql-file or aggregate.from. */
  private final Map<TableName, String> queryKeys;
  private final List<ConfigProblem> problems;

  PipelineGraphCheck(Map<TableName, TableSpec> tables, Map<TableName, String> queryKeys, List<ConfigProblem> problems) {
    this.tables = tables;
    this.queryKeys = queryKeys;
    this.problems = problems;
  }

  void check() {
    for (TableSpec t : tables.values()) {
      if (t.layer() == null) {
        continue;
      }
      for (TableName up : upstreamOf(t)) {
        String path = "pipeline.tables." + t.name() + "." + keyReading(t, up);
        if (!tables.containsKey(up)) {
          problems.add(new ConfigProblem(path, t.origin(), "Cannot find table " + up + " read by " + t.name()
              + ": it is not declared in this pipeline; declared tables are " + tables.keySet()));
        } else if (!t.name().layer().mayReadFrom(up.layer())) {
          problems.add(new ConfigProblem(path, t.origin(), "Cannot let " + t.name() + " read " + up + ": a "
              + t.name().layer().id() + " table may not read from the later layer " + up.layer().id()
              + "; data flows bronze -> silver -> gold"));
        }
      }
    }
    findCycles();
  }

  /** The key of {@code t}'s block that names {@code up}: its source or query, or an expectation's reference. */
  private String keyReading(TableSpec t, TableName up) {
    if (!t.layer().upstream().contains(up)) {
      return "expectations";
    }
    return t.name().layer() == dev.lakehouse.core.spec.Layer.GOLD ? queryKeys.getOrDefault(t.name(), "sql") : "source";
  }

  private static List<TableName> upstreamOf(TableSpec t) {
    return t.upstream();
  }

  private void findCycles() {
    Map<TableName, Integer> state = new HashMap<>(); // 1 = on the current path, 2 = done
    for (TableName start : tables.keySet()) {
      visit(start, state, new ArrayList<>());
    }
  }

  private void visit(TableName node, Map<TableName, Integer> state, List<TableName> path) {
    Integer s = state.get(node);
    if (s != null && s == 2) {
      return;
    }
    if (s != null && s == 1) {
      List<TableName> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
      cycle.add(node);
      TableSpec spec = tables.get(node);
      problems.add(new ConfigProblem("pipeline.tables." + node, spec.origin(), "Cannot order the tables: they form a cycle "
          + String.join(" -> ", cycle.stream().map(TableName::toString).toList())
          + "; a table may not depend on itself, remove one of these reads"));
      return;
    }
    state.put(node, 1);
    path.add(node);
    TableSpec spec = tables.get(node);
    if (spec != null && spec.layer() != null) {
      for (TableName up : upstreamOf(spec)) {
        if (tables.containsKey(up)) {
          visit(up, state, path);
        }
      }
    }
    path.remove(path.size() - 1);
    state.put(node, 2);
  }
}
