package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.errors.UsageException;
import dev.lakehouse.jobs.cli.LakehouseMain;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.jobs.pipeline.PipelinePlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline graph of the demo: run order and selectors, without running anything. */
class PipelinePlanTest {
  private static final PipelineSpec TPCH = Lakehouse.validate(new ConfigLayers.Request(
      Path.of("../conf/pipelines/tpch.conf"), Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", "/tmp/plan-test")));

  private static List<String> select(String... selectors) {
    return PipelinePlan.select(TPCH, List.of(selectors)).stream().map(TableName::toString).toList();
  }

  @Test
  void everyTableRunsAfterTheTablesItReads() {
    List<TableName> order = PipelinePlan.order(TPCH);
    assertThat(order).hasSize(TPCH.tables().size());
    for (TableName t : order) {
      for (TableName upstream : TPCH.table(t).upstream()) {
        assertThat(order.indexOf(upstream)).as(upstream + " before " + t).isLessThan(order.indexOf(t));
      }
    }
  }

  @Test
  void selectorsPickATableItsUpstreamItsDownstreamOrALayer() {
    assertThat(select("gold.revenue_daily")).containsExactly("gold.revenue_daily");
    // silver.orders' customer_known expectation references silver.customer: it runs first.
    assertThat(select("+gold.revenue_daily")).containsExactlyInAnyOrder("bronze.lineitem", "bronze.orders",
        "bronze.customer", "silver.customer", "silver.lineitem", "silver.orders", "gold.revenue_daily");
    assertThat(select("+gold.revenue_daily").get(6)).isEqualTo("gold.revenue_daily");
    // Q6 and Q1 read only line items; every other gold table reads orders.
    assertThat(select("silver.orders+")).containsExactlyInAnyOrder("silver.orders", "gold.shipping_priority",
        "gold.local_supplier_volume", "gold.returned_item_reporting", "gold.revenue_daily", "gold.monthly_orders_by_priority");
    assertThat(select("gold")).hasSize(7).allMatch(t -> t.startsWith("gold."));
    assertThat(select("bronze.region+")).containsExactly("bronze.region", "silver.region", "gold.local_supplier_volume");
    assertThatThrownBy(() -> select("gold.nothing")).isInstanceOf(UsageException.class).hasMessageContaining("gold.nothing");
  }

  /**
   * A selector that matches nothing is a wrong request, not a failed run: exit code 2 (1 is a table
   * that failed), and a misspelt layer is called a layer or a table.
   */
  @Test
  void aSelectorThatMatchesNothingIsAUsageError(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> select("golld")).isInstanceOf(UsageException.class)
        .hasMessageStartingWith("Cannot select 'golld': no such layer or table in pipeline tpch; layers are bronze, silver and gold");
    assertThat(EventsPipelineTest.captureErr(() -> LakehouseMain.execute("plan", "--tables", "gold.revenue_dayly",
        "--conf", "../conf/pipelines/tpch.conf"), LakehouseMain.CONFIG_ERROR))
        .contains("Cannot select 'gold.revenue_dayly': no such table in pipeline tpch");
    Path conf = Files.writeString(dir.resolve("bronze-only.conf"), """
        pipeline { name = landing, tables { bronze { events { source { type = files, format = json, path = in,
          schema = "id BIGINT" } } } } }
        """);
    PipelineSpec bronzeOnly = Lakehouse.validate(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", dir.toString())));
    assertThatThrownBy(() -> PipelinePlan.select(bronzeOnly, List.of("gold"))).isInstanceOf(UsageException.class)
        .hasMessage("Cannot select layer 'gold': pipeline landing has no gold table; its tables are [bronze.events]");
  }

  @Test
  void thePlanSaysHowEachGoldTableRefreshes() {
    PipelineSpec sales = Lakehouse.validate(new ConfigLayers.Request(Path.of("src/test/resources/pipelines/sales.conf"),
        Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", "/tmp/plan-test")));
    assertThat(PipelinePlan.describe(sales.table(TableName.parse("gold.top_customers_incremental"))))
        .isEqualTo("run its query without its final ORDER BY ... LIMIT for the keys [customer_id] that changes of"
            + " [silver.orders, silver.customers] reach, replace those rows in the table of the rows it ranks,"
            + " rank them, replace the top n");
    assertThat(PipelinePlan.describe(TPCH.table(TableName.parse("gold.shipping_priority"))))
        .startsWith("run its query over ").endsWith(" when they change, replace all rows");
    assertThat(PipelinePlan.describe(TPCH.table(TableName.parse("gold.revenue_daily"))))
        .isEqualTo("run its query for the keys [order_date] that changes of [silver.orders, silver.lineitem] reach,"
            + " replace those rows");
  }
}
