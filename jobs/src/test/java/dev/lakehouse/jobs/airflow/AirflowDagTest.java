package dev.lakehouse.jobs.airflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.jobs.cli.LakehouseMain;
import dev.lakehouse.jobs.pipeline.PipelinePlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The committed DAG of the demo pipeline is what the generator writes; tasks and dependencies come
 * from the pipeline graph. (airflow-dags/tests/test_dags.py loads the DAG and runs it.)
 */
class AirflowDagTest {
  private static final Path PIPELINE = Path.of("../conf/pipelines/tpch.conf");

  private static PipelineSpec spec(String... overrides) {
    return PipelineParser.load(new ConfigLayers.Request(PIPELINE, Optional.empty(), List.of(overrides), Map.of()));
  }

  @Test
  void committedDemoDagHasNotDrifted() {
    assertThat(LakehouseMain.execute("airflow-dag", "--conf", PIPELINE.toString(), "--out", "../airflow-dags", "--check"))
        .as("airflow-dags/lakehouse_tpch.py differs from the spec; regenerate: bin/lakehouse airflow-dag --conf conf/pipelines/tpch.conf")
        .isZero();
  }

  @Test
  void checkFailsWhenTheDagDiffers() throws Exception {
    Path out = Files.createTempDirectory("dag");
    Files.writeString(out.resolve("lakehouse_tpch.py"), "# edited by hand\n");
    assertThat(LakehouseMain.execute("airflow-dag", "--conf", PIPELINE.toString(), "--out", out.toString(), "--check"))
        .isEqualTo(LakehouseMain.RUN_FAILED);
  }

  @Test
  void oneTaskPerTableWaitsForTheTablesItReads() {
    PipelineSpec spec = spec("pipeline.schedule.tasks=table");
    Map<String, List<String>> tasks = new AirflowDag(spec, "pipelines/tpch.conf").tasks();
    assertThat(tasks.keySet()).containsExactlyElementsOf(PipelinePlan.order(spec).stream().map(Object::toString).toList());
    assertThat(tasks.get("gold.revenue_daily")).containsExactly("silver.lineitem", "silver.orders");
    assertThat(tasks.get("bronze.lineitem")).isEmpty();
    assertThat(new AirflowDag(spec, "pipelines/tpch.conf").render())
        .contains("    gold_revenue_daily = lakehouse_task(\"gold.revenue_daily\", \"--tables\", \"gold.revenue_daily\")\n")
        .contains("    [silver_lineitem, silver_orders] >> gold_revenue_daily\n")
        // after every table no other table reads: the gold tables and the one silver table no gold table reads
        .endsWith("\n    [silver_customer_history, gold_forecast_revenue_change, gold_local_supplier_volume,"
            + " gold_monthly_orders_by_priority, gold_pricing_summary, gold_returned_item_reporting, gold_revenue_daily,"
            + " gold_shipping_priority] >> maintain\n");
  }

  @Test
  void maintenanceIsTheLastTaskUnlessTurnedOff() {
    String py = new AirflowDag(spec("pipeline.schedule.tasks=layer"), "pipelines/tpch.conf").render();
    assertThat(py).contains("    maintain = maintenance_task(\"maintain\")\n").endsWith("    gold >> maintain\n")
        .contains("return spark_submit(task_id, \"maintain\", \"--all\")");
    String without = new AirflowDag(spec("pipeline.schedule.tasks=layer", "pipeline.schedule.maintenance=none"), "pipelines/tpch.conf")
        .render();
    assertThat(without).doesNotContain("maintain").endsWith("    silver >> gold\n");
  }

  @Test
  void oneTaskPerLayerWaitsForTheLayersItReads() {
    AirflowDag dag = new AirflowDag(spec("pipeline.schedule.tasks=layer", "pipeline.schedule.retries=0"), "pipelines/tpch.conf");
    assertThat(dag.tasks()).containsExactly(
        Map.entry("bronze", List.of()), Map.entry("silver", List.of("bronze")), Map.entry("gold", List.of("silver")));
    String py = dag.render();
    assertThat(py).contains("    silver = lakehouse_task(\"silver\", \"--layer\", \"silver\")\n")
        .contains("    bronze >> silver\n").contains("    silver >> gold\n").contains("\"retries\": 0,");
  }

  @Test
  void withoutAScheduleTheDagRunsOnlyWhenTriggered() {
    PipelineSpec unscheduled = PipelineParser.load(ConfigLayers.Request.of(Path.of("src/test/resources/pipelines/events.conf")));
    String py = new AirflowDag(unscheduled, "pipelines/events.conf").render();
    assertThat(py).contains("    schedule=None,\n").contains("\"retries\": 0, \"retry_delay\": timedelta(seconds=300)");
  }

  @Test
  void pythonStringsAreEscaped() {
    assertThat(AirflowDag.str("a \"b\" \\ c\nd é")).isEqualTo("\"a \\\"b\\\" \\\\ c\\nd \\u00e9\"");
  }
}
