package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.Aggregate;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.Refresh;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.junit.jupiter.api.Test;

/** Gold specs: declarative aggregates compile to SQL; what cannot refresh incrementally is refused. */
class GoldSpecTest {
  private static ConfigLayers.Request request(String file) {
    return new ConfigLayers.Request(Path.of(file), Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", "/tmp/lakehouse-test-root"));
  }

  @Test
  void aDeclarativeAggregateCompilesToTheQueryItRunsAndIsKeyedByItsGroups() {
    PipelineSpec p = PipelineParser.load(request("../conf/pipelines/tpch.conf"));
    TableSpec t = p.table(TableName.parse("gold.monthly_orders_by_priority"));
    LayerSpec.Gold g = (LayerSpec.Gold) t.layer();
    Aggregate a = g.aggregate().orElseThrow();

    assertThat(g.refresh()).isEqualTo(Refresh.INCREMENTAL);
    assertThat(t.keys()).containsExactly("order_month", "o_orderpriority");
    assertThat(g.sources()).containsExactly(TableName.parse("silver.orders"));
    assertThat(g.sql()).isEqualTo(a.toSql()).isEqualTo("""
        SELECT CAST(date_trunc('MONTH', `o_orderdate`) AS DATE) AS `order_month`, o_orderpriority, \
        count(*) AS orders, sum(o_totalprice) AS total_price
        FROM silver.orders
        GROUP BY 1, 2""");
    // Spark's own parser accepts what the aggregate compiles to.
    assertThat(CatalystSqlParser$.MODULE$.parsePlan(g.sql())).isNotNull();
  }

  @Test
  void refusesWhatCannotBeRefreshedIncrementallyOrNamed() {
    List<String> all;
    try {
      PipelineParser.load(request("src/test/resources/broken/bad-gold.conf"));
      throw new AssertionError("accepted");
    } catch (ConfigException e) {
      all = e.problems().stream().map(ConfigProblem::toString).toList();
    }
    String at = "src/test/resources/broken/bad-gold.conf:";
    assertThat(all).containsExactlyInAnyOrder(
        at + "28: pipeline.tables.gold.monthly.aggregate.time-grain.grain: Cannot use grain = fortnight: supported values are hour, day, week, month, quarter, year",
        at + "29: pipeline.tables.gold.monthly.aggregate.group-by: Cannot name the column that \"upper(status)\" makes: add an alias, e.g. \"upper(status) AS <name>\"",
        at + "30: pipeline.tables.gold.monthly.aggregate.measures: Cannot name the column that the measure \"sum(amount)\" makes: write it as \"<aggregate> AS <name>\"",
        at + "12: pipeline.tables.gold.top_orders.refresh: Cannot refresh gold.top_orders incrementally: its query uses LIMIT or OFFSET, so a change can alter rows it does not reach; use refresh = full",
        at + "17: pipeline.tables.gold.big_customers.refresh: Cannot refresh gold.big_customers incrementally: its query uses HAVING, so a change can alter rows it does not reach; use refresh = full",
        at + "22: pipeline.tables.gold.total.refresh: Cannot refresh gold.total incrementally without keys: declare keys = [<output column>, ...], the columns that identify a row of the result (its GROUP BY columns)");
  }
}
