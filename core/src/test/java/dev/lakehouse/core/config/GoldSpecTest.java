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
import dev.lakehouse.core.spec.TopN;
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
  void aQueryNamesPipelineTablesAsSparkResolvesThem() {
    // spark_catalog.Silver.Orders is silver.orders to Spark; before, only two-part names counted,
    // and the refresh read this one at the catalog's newest version, not as a dependency.
    PipelineSpec p = PipelineParser.load(request("src/test/resources/gold-table-names.conf"));
    TableSpec t = p.table(TableName.parse("gold.by_region"));
    assertThat(((LayerSpec.Gold) t.layer()).sources()).containsExactly(TableName.parse("silver.orders"),
        TableName.parse("silver.customers"));
    assertThat(t.upstream()).containsExactlyInAnyOrder(TableName.parse("silver.orders"), TableName.parse("silver.customers"));
  }

  @Test
  void aTopNIsTheRowsItRanksAndItsRanking() {
    TopN top = TopN.of(CatalystSqlParser$.MODULE$.parsePlan(
        "SELECT id, sum(amount) AS total FROM silver.orders GROUP BY id ORDER BY total DESC, id LIMIT 10")).orElseThrow();
    assertThat(top.unranked()).isInstanceOf(org.apache.spark.sql.catalyst.plans.logical.Aggregate.class);
    assertThat(top.limit().toString()).isEqualTo("10");
    assertThat(top.order().size()).isEqualTo(2);
    // Inside a WITH, the ranking is the WITH's final query's; a LIMIT without ORDER BY is no top n.
    assertThat(TopN.of(CatalystSqlParser$.MODULE$.parsePlan("WITH t AS (SELECT 1 AS a) SELECT a FROM t ORDER BY a LIMIT 1"))
        .orElseThrow().unranked()).isInstanceOf(org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith.class);
    assertThat(TopN.of(CatalystSqlParser$.MODULE$.parsePlan("SELECT a FROM t LIMIT 1"))).isEmpty();
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
        at + "12: pipeline.tables.gold.top_orders.refresh: Cannot refresh gold.top_orders incrementally: its query uses a LIMIT or OFFSET other than a final ORDER BY ... LIMIT, so a change can alter rows it does not reach; use refresh = full",
        at + "35: pipeline.tables.gold.top_inside.refresh: Cannot refresh gold.top_inside incrementally: its query uses a LIMIT or OFFSET other than a final ORDER BY ... LIMIT, so a change can alter rows it does not reach; use refresh = full",
        at + "17: pipeline.tables.gold.big_customers.refresh: Cannot refresh gold.big_customers incrementally: its query uses HAVING, so a change can alter rows it does not reach; use refresh = full",
        at + "41: pipeline.tables.gold.rolling.refresh: Cannot refresh gold.rolling incrementally: its query uses current_timestamp(), whose value moves between refreshes with no change of the rows (a row ages out of a window over the clock, and no change reaches its key), so a change can alter rows it does not reach; use refresh = full",
        at + "46: pipeline.tables.gold.today.refresh: Cannot refresh gold.today incrementally: its query uses current_date, whose value moves between refreshes with no change of the rows (a row ages out of a window over the clock, and no change reaches its key), so a change can alter rows it does not reach; use refresh = full",
        at + "22: pipeline.tables.gold.total.refresh: Cannot refresh gold.total incrementally without keys: declare keys = [<output column>, ...], the columns that identify a row of the result (its GROUP BY columns)");
  }
}
