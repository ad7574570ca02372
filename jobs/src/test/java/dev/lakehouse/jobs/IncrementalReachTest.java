package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Incremental gold tables whose changes reach rows the query over the changed rows alone does not
 * (a self-join, a scalar subquery, a filtered derived-table aggregate) equal their queries after
 * every drop; a NULL group key works on Delta and fails on Hudi, before any write, naming the column.
 */
class IncrementalReachTest {
  private static final Path CONF = Path.of("src/test/resources/pipelines/reaching.conf");
  private static final Config VARS = ConfigFactory.parseFile(CONF.toFile()).resolve().getConfig("vars");

  @Test
  void eachTableEqualsItsQueryAfterChangesThatReachRowsBeyondTheirOwn() throws Exception {
    Path root = SharedSpark.newDir("incremental-reach");
    JsonDrops.land(root, "emps", 1, List.of(emp(1, null, "A", 100), emp(2, null, "B", 100), emp(3, 1L, "A", 10),
        emp(4, 1L, "A", 10), emp(5, 2L, "B", 10), emp(6, 2L, "B", 10)));
    JsonDrops.land(root, "orders", 1, List.of(order(1, 1, 80), order(2, 2, 150)));
    JsonDrops.land(root, "custs", 1, List.of(cust(1, "S1"), cust(2, "S2")));
    Pipeline p = open(root, FormatKind.DELTA);
    assertEqualToQueries(p, p.run());

    // A new report of manager 1 (department A) in department C, earning far above the average;
    // customer 1's second order takes its total past 100.
    JsonDrops.land(root, "emps", 2, List.of(emp(7, 1L, "C", 1000)));
    JsonDrops.land(root, "orders", 2, List.of(order(3, 1, 30)));
    RunReport second = p.run();
    assertEqualToQueries(p, second);
    // The self-join stays incremental: only department A is recomputed (B is untouched).
    assertThat(second.table("gold.managers").rowsWritten()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aNullGroupKeyRefreshesOnDeltaAndFailsBeforeWritingOnHudi(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("incremental-null-key-" + format.id());
    JsonDrops.land(root, "custs", 1, List.of(cust(1, "S1"), cust(2, null)));
    Pipeline p = open(root, format);
    RunReport first = p.run("+gold.segments");
    JsonDrops.land(root, "custs", 2, List.of(cust(3, null), cust(4, "S1")));
    RunReport second = p.run("+gold.segments");
    if (format == FormatKind.DELTA) {
      assertThat(first.succeeded()).as(first.tables().toString()).isTrue();
      assertThat(second.succeeded()).as(second.tables().toString()).isTrue();
      assertSameRows("segments", p.table("gold.segments"), p.sql(VARS.getString("segments")));
      return;
    }
    for (RunReport r : List.of(first, second)) {
      assertThat(r.table("silver.custs").status().toString()).isEqualTo("SUCCEEDED");
      assertThat(r.table("gold.segments").error().orElse("")).contains("gold.segments", "key column 'segment' is NULL",
          "coalesce(segment, '<none>') AS segment", "refresh = full");
    }
    assertThat(root.resolve("gold/segments")).doesNotExist();
  }

  private static void assertEqualToQueries(Pipeline p, RunReport report) {
    assertThat(report.succeeded()).as(report.tables().toString()).isTrue();
    assertSameRows("managers", p.table("gold.managers"), p.sql(VARS.getString("managers")));
    assertSameRows("above_average", p.table("gold.above_average"), p.sql(VARS.getString("above-average")));
    assertSameRows("big_spenders", p.table("gold.big_spenders"), p.sql(VARS.getString("big-spenders")));
  }

  private static void assertSameRows(String t, Dataset<Row> incremental, Dataset<Row> full) {
    Dataset<Row> rows = incremental.select(full.columns()[0], java.util.Arrays.copyOfRange(full.columns(), 1, full.columns().length));
    assertThat(rows.exceptAll(full).collectAsList()).as(t + " rows not in the full refresh").isEmpty();
    assertThat(full.exceptAll(rows).collectAsList()).as(t + " rows missing from the incremental refresh").isEmpty();
  }

  private static Pipeline open(Path root, FormatKind format) {
    return Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id()),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
  }

  private static String emp(long id, Long manager, String dept, int salary) {
    return String.format("{\"id\":%d,\"manager_id\":%s,\"dept\":\"%s\",\"salary\":%d.00,\"updated_at\":1}", id, manager, dept, salary);
  }

  private static String order(long id, long customer, int amount) {
    return String.format("{\"order_id\":%d,\"customer_id\":%d,\"amount\":%d.00,\"updated_at\":1}", id, customer, amount);
  }

  private static String cust(long id, String segment) {
    return String.format("{\"customer_id\":%d,\"segment\":%s,\"updated_at\":1}", id, segment == null ? "null" : "\"" + segment + "\"");
  }
}
