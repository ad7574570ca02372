package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.errors.UsageException;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.spec.TopN;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;

/**
 * The tables of a pipeline in an order that runs every table after the tables it reads
 * (by layer, then name, among independent tables), and the selection of tables a run covers.
 */
public final class PipelinePlan {
  private PipelinePlan() {}

  /** Every table, upstream before downstream. The spec is validated, so there is no cycle. */
  public static List<TableName> order(PipelineSpec pipeline) {
    Map<TableName, Integer> unmet = new HashMap<>();
    for (TableSpec t : pipeline.tables().values()) {
      unmet.put(t.name(), (int) t.upstream().stream().distinct().count());
    }
    List<TableName> order = new ArrayList<>();
    Deque<TableName> ready = new ArrayDeque<>();
    for (TableName t : pipeline.tables().keySet()) {
      if (unmet.get(t) == 0) {
        ready.add(t);
      }
    }
    // Kahn's algorithm, taking layers first and then names: the same spec always gives the same plan.
    while (!ready.isEmpty()) {
      TableName next = ready.stream().min(java.util.Comparator.comparing(TableName::layer)
          .thenComparing(TableName::name)).orElseThrow();
      ready.remove(next);
      order.add(next);
      for (TableName down : pipeline.downstreamOf(next)) {
        if (unmet.merge(down, -1, Integer::sum) == 0) {
          ready.add(down);
        }
      }
    }
    return order;
  }

  /**
   * The tables selected by {@code selectors}, in run order. A selector is a table name
   * ({@code silver.orders}), a table with everything downstream ({@code silver.orders+}), a table
   * with everything upstream ({@code +gold.revenue}), or a layer ({@code silver}).
   *
   * @throws UsageException naming a selector that matches no table, or a layer without tables
   */
  public static List<TableName> select(PipelineSpec pipeline, List<String> selectors) {
    Set<TableName> chosen = new LinkedHashSet<>();
    for (String raw : selectors) {
      String s = raw.trim();
      boolean up = s.startsWith("+");
      boolean down = s.endsWith("+");
      String core = s.substring(up ? 1 : 0, s.length() - (down && s.length() > 1 ? 1 : 0));
      Layer layer = Layer.fromId(core);
      if (layer != null && !up && !down) {
        List<TableName> ofLayer = pipeline.tables().keySet().stream().filter(t -> t.layer() == layer).toList();
        if (ofLayer.isEmpty()) {
          throw new UsageException("Cannot select layer '" + raw + "': pipeline " + pipeline.name() + " has no "
              + layer.id() + " table; its tables are " + pipeline.tables().keySet());
        }
        chosen.addAll(ofLayer);
        continue;
      }
      TableName t = TableName.parse(core);
      if (t == null && !core.contains(".") && !up && !down) {
        throw new UsageException("Cannot select '" + raw + "': no such layer or table in pipeline " + pipeline.name()
            + "; layers are bronze, silver and gold, tables are layer.name: " + pipeline.tables().keySet());
      }
      if (t == null || !pipeline.tables().containsKey(t)) {
        throw new UsageException("Cannot select '" + raw + "': no such table in pipeline " + pipeline.name()
            + "; tables are " + pipeline.tables().keySet() + " (append + for downstream, prefix + for upstream)");
      }
      chosen.add(t);
      if (up) {
        closure(pipeline, t, true, chosen);
      }
      if (down) {
        closure(pipeline, t, false, chosen);
      }
    }
    return order(pipeline).stream().filter(chosen::contains).toList();
  }

  private static void closure(PipelineSpec pipeline, TableName from, boolean upstream, Set<TableName> into) {
    List<TableName> next = upstream ? pipeline.table(from).upstream() : pipeline.downstreamOf(from);
    for (TableName n : next) {
      if (into.add(n)) {
        closure(pipeline, n, upstream, into);
      }
    }
  }


  /** What a run of {@code selectors} (all tables when empty) would do, in run order. */
  public static List<PlannedTable> plan(PipelineSpec pipeline, List<String> selectors) {
    List<TableName> order = selectors.isEmpty() ? order(pipeline) : select(pipeline, selectors);
    List<PlannedTable> out = new ArrayList<>();
    for (TableName t : order) {
      TableSpec ts = pipeline.table(t);
      out.add(new PlannedTable(out.size() + 1, t, ts.format(), ts.upstream(), describe(ts), ts.location()));
    }
    return out;
  }

  private static boolean isTopN(String sql) {
    try {
      return TopN.of(CatalystSqlParser$.MODULE$.parsePlan(sql)).isPresent();
    } catch (Exception e) { // validation parsed it already
      return false;
    }
  }

  /** What a table's run does, in one line, as {@code plan} prints it. */
  public static String describe(TableSpec t) {
    if (t.layer() instanceof LayerSpec.Silver s) {
      if (s.write() == dev.lakehouse.core.spec.WriteMode.SCD2) {
        return "cleanse new rows of " + s.source().table() + ", keep every version per " + t.keys() + " by "
            + s.sequenceBy().orElse("?") + " (SCD type 2, late changes repair history)";
      }
      return "cleanse new rows of " + s.source().table()
          + (t.keys().isEmpty() ? "" : ", keep the newest per " + t.keys() + s.sequenceBy().map(q -> " by " + q).orElse(""))
          + ", write " + s.write().id();
    }
    if (t.layer() instanceof LayerSpec.Gold g) {
      String what = g.aggregate().map(a -> "aggregate " + a.from() + " by " + a.keys()).orElse("run its query");
      return switch (g.refresh()) {
        case FULL -> what + " over " + g.sources() + " when they change, replace all rows";
        case INCREMENTAL -> isTopN(g.sql())
            ? "run its query without its final ORDER BY ... LIMIT for the keys " + t.keys() + " that changes of "
                + g.sources() + " reach, replace those rows in the table of the rows it ranks, rank them, replace the top n"
            : what + " for the keys " + t.keys() + " that changes of " + g.sources() + " reach, replace those rows";
      };
    }
    LayerSpec.Bronze b = (LayerSpec.Bronze) t.layer();
    String what;
    if (b.source() instanceof SourceSpec.Files f) {
      what = "append new " + f.format().id() + " files from " + f.path();
    } else if (b.source() instanceof SourceSpec.Kafka k) {
      what = "append new " + k.value().id() + " messages of " + k.topicPattern().map(p -> "topics matching " + p)
          .orElse("topics " + String.join(", ", k.topics()));
    } else if (b.source() instanceof SourceSpec.Jdbc j) {
      what = "append rows of " + j.table().orElse("a query") + " past the high-water mark of " + j.watermarkColumn();
    } else if (b.source() instanceof SourceSpec.TablePath tp) {
      what = "append rows added to the " + tp.format().id() + " table at " + tp.path();
    } else {
      what = "append new rows of " + b.source().tables();
    }
    return what + "; bad records: " + b.badRecords().id() + ", schema drift: " + b.schemaDrift().id()
        + (b.driftStructs().isEmpty() ? "" : " (also in the fields of " + String.join(", ", b.driftStructs()) + ")");
  }

}
