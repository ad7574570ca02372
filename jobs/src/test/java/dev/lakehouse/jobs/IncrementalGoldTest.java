package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Incremental gold refresh equals full refresh: drops of new orders on new and old dates, orders
 * moved to another date or customer, customers moved to another region (which moves their whole
 * history between groups), late stale events that must lose, a change no group sees, lost
 * partial aggregates of a mergeable query, partial aggregates of a join whose both sides change, a drop that reaches most groups (refreshed in full),
 * and an update of a column no gold query reads.
 */
class IncrementalGoldTest {
  private static final Path CONF = Path.of("src/test/resources/pipelines/sales.conf");
  private static final LocalDate START = LocalDate.of(2024, 1, 1);
  /** The mergeable table's query, as the pipeline declares it. */
  private static final String CUSTOMER_DAILY = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.customer-daily");
  /** A join keyed by a column of one side, as the pipeline declares it. */
  private static final String DAILY_REGIONS = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.daily-regions");
  /** A join of sums, counts and averages, merged into partial aggregates. */
  private static final String REGION_SPEND = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.region-spend");
  /** A join keyed by a column of one side, filtered by the other's. */
  private static final String REGION_R0_DAILY = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.region-r0-daily");
  /** A top n (ORDER BY ... LIMIT 5) and the rows it ranks, as the pipeline declares them. */
  private static final String TOP_CUSTOMERS = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.top-customers");
  private static final String CUSTOMER_SPENDING =
      ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.customer-spending");

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void incrementalRefreshEqualsFullRefreshAfterEveryDrop(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("sales-" + format.id());
    Pipeline p = Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id()),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
    Random random = new Random(42);

    // Drop 1: 300 orders of 30 customers in 3 regions over 90 days.
    List<String> orders = new ArrayList<>();
    for (long id = 1; id <= 300; id++) {
      orders.add(order(id, 1 + random.nextInt(30), START.plusDays(random.nextInt(90)), random, 1));
    }
    List<String> customers = new ArrayList<>();
    for (long c = 1; c <= 30; c++) {
      customers.add(customer(c, "r" + (c % 3), 1));
    }
    JsonDrops.land(root, "orders", 1, orders);
    JsonDrops.land(root, "customers", 1, customers);
    Set<String> pools = ConcurrentHashMap.newKeySet();
    SparkListener poolOfEachJob = new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart job) {
        pools.add(String.valueOf(job.properties().getProperty("spark.scheduler.pool")));
      }
    };
    p.spark().sparkContext().addSparkListener(poolOfEachJob);
    RunReport first = p.run();
    p.spark().sparkContext().listenerBus().waitUntilEmpty();
    p.spark().sparkContext().removeSparkListener(poolOfEachJob);
    assertEqualToFull(p, first);
    // Each table's jobs, its stream's included, run in the table's own pool of the fair scheduler.
    assertThat(p.spark().sparkContext().getSchedulingMode().toString()).isEqualTo("FAIR");
    assertThat(pools).contains("bronze.orders", "bronze.customers", "silver.orders", "gold.region_daily_incremental");
    // Independent tables run side by side (lakehouse.run.parallelism = 2): their runs overlap in time.
    TableRunResult orders1 = first.table("bronze.orders");
    TableRunResult customers1 = first.table("bronze.customers");
    assertThat(orders1.startedAt()).isBefore(customers1.startedAt().plus(customers1.duration()));
    assertThat(customers1.startedAt()).isBefore(orders1.startedAt().plus(orders1.duration()));

    // Drop 2: a few new orders on new and old dates, some orders change amount, date or customer.
    orders.clear();
    for (long id = 301; id <= 310; id++) {
      orders.add(order(id, 1 + random.nextInt(30), START.plusDays(random.nextInt(120)), random, 2));
    }
    for (long id : new long[] {5, 17, 42}) {
      orders.add(order(id, 1 + random.nextInt(30), START.plusDays(random.nextInt(90)), random, 2));
    }
    JsonDrops.land(root, "orders", 2, orders);
    RunReport second = p.run();
    assertEqualToFull(p, second);
    // The cost follows the change: far fewer rows recomputed than a full refresh writes.
    assertThat(second.table("gold.region_daily_incremental").rowsWritten())
        .isPositive().isLessThan(second.table("gold.region_daily_full").rowsWritten() / 3).isLessThan(20);
    // Its rules on the whole table judged the table (enough_rows: at least 20), not the rows it wrote.
    assertThat(tableRuleOutcomes(p, second, "gold.region_daily_incremental"))
        .containsEntry("enough_rows", metric(p.table("gold.region_daily_incremental").count()));
    assertThat(p.sql("SELECT passed FROM _lakehouse.quality_results WHERE run_id = '" + second.runId()
        + "' AND rule = 'enough_rows'").as(org.apache.spark.sql.Encoders.BOOLEAN()).collectAsList()).containsExactly(true, true);
    assertThat(tableRuleOutcomes(p, second, "gold.monthly_incremental")).hasSize(4);
    // The mergeable query keeps its groups' partial aggregates beside it and rewrites only the touched groups.
    Path states = root.resolve("gold/customer_daily_incremental.state");
    assertThat(states).isDirectory();
    assertThat(second.table("gold.customer_daily_incremental").rowsWritten())
        .isPositive().isLessThan(p.sql(CUSTOMER_DAILY).count() / 3);
    // The join's partial aggregates too: the orders' changes joined with the customers reach a few groups.
    assertThat(root.resolve("gold/region_spend_incremental.state")).isDirectory();
    assertThat(second.table("gold.region_spend_incremental").rowsWritten())
        .isPositive().isLessThan(p.sql(REGION_SPEND).count() / 3);
    // The days the orders' changes reach, read off the change rows: a few of them, not all.
    assertThat(second.table("gold.daily_regions_incremental").rowsWritten())
        .isPositive().isLessThan(p.sql(DAILY_REGIONS).count() / 3);

    // Drop 3: two customers move region (all their orders move group), a late event for an order
    // that is older than what silver holds (must lose), and an order whose amount drops to 0
    // (leaves the monthly aggregate's filter: its group must shrink or vanish). And the mergeable
    // table's states are lost, as after a crash between their commit and the table's: rebuilt.
    JsonDrops.land(root, "customers", 3, List.of(customer(7, "r_new", 3), customer(8, "r0", 3)));
    JsonDrops.land(root, "orders", 3, List.of(order(17, 3, START, random, 0), order(100, 4, START.plusDays(3), "0.00", 3)));
    LakehouseTable.deletePath(p.spark(), states.toString());
    RunReport third = p.run();
    assertEqualToFull(p, third);
    assertThat(states).isDirectory();
    // Both sides of the join changed: the customers' moves joined with the orders as they are now,
    // the orders' changes with the customers as they were. A few groups, not a rebuild.
    assertThat(third.table("gold.region_spend_incremental").rowsWritten())
        .isPositive().isLessThan(p.sql(REGION_SPEND).count() / 2);
    // The top n replaced the rows of the few customers these changes reach among the rows it ranks, and ranked them again.
    assertThat(third.table("gold.top_customers_incremental").rowsWritten()).isEqualTo(5);
    if (format == FormatKind.DELTA) {
      assertThat(io.delta.tables.DeltaTable.forPath(p.spark(), root.resolve("gold/top_customers_incremental.unranked").toString())
          .history(1).select("operation").first().getString(0)).isEqualTo("MERGE");
    }

    // Drop 4: an order of 20 of the 30 customers in each of the first three months reaches about
    // two thirds of the monthly aggregate's groups: recomputing most keys costs more than a full
    // refresh, which it does instead (it writes every row, not only the touched ones). Its 60
    // days are also most of daily_regions' days, read off the orders' change rows: nothing in its
    // query but the orders' own amount > 0 leaves an order out, so it goes full at once, without the
    // query over them (SourceConditions.leavesOutMore). Of region r0's days they reach about 15,
    // those of the orders of its five customers among the 20, and customer 9 leaves r0 with its
    // orders' days: read off, most days; found by the query, far fewer, which region_r0_daily
    // recomputes alone.
    orders.clear();
    for (long c = 1; c <= 20; c++) {
      for (int month = 0; month < 3; month++) {
        orders.add(order(1000 + c * 10 + month, c, START.plusMonths(month).plusDays(c % 28), random, 4));
      }
    }
    JsonDrops.land(root, "orders", 4, orders);
    JsonDrops.land(root, "customers", 4, List.of(customer(9, "r_new", 4)));
    RunReport fourth = p.run();
    assertEqualToFull(p, fourth);
    assertThat(fourth.table("gold.monthly_incremental").rowsWritten())
        .isEqualTo(fourth.table("gold.monthly_full").rowsWritten());
    assertThat(fourth.table("gold.daily_regions_incremental").rowsWritten()).isEqualTo(p.sql(DAILY_REGIONS).count());
    assertThat(fourth.table("gold.region_r0_daily_incremental").rowsWritten())
        .isPositive().isLessThan(p.sql(REGION_R0_DAILY).count() / 2);

    // Drop 5: customer 5 arrives again, newer but in the region it had. Silver updates its row (its
    // updated_at), which no gold query reads: the update's old and new images cancel, and no key
    // is recomputed (before, the join of its change rows with the orders reached its orders' days).
    // And order 100, of amount 0 since drop 3, moves to another day: daily_regions' WHERE o.amount > 0
    // keeps both its images out, so it reaches none of its days (before, it reached two).
    JsonDrops.land(root, "customers", 5, List.of(customer(5, "r2", 5)));
    JsonDrops.land(root, "orders", 5, List.of(order(100, 4, START.plusDays(40), "0.00", 5)));
    RunReport fifth = p.run();
    assertEqualToFull(p, fifth);
    assertThat(fifth.table("silver.customers").rowsWritten()).isEqualTo(1);
    assertThat(fifth.table("silver.orders").rowsWritten()).isEqualTo(1);
    assertThat(fifth.table("gold.region_daily_incremental").rowsWritten()).isPositive(); // no filter: its days change
    assertThat(fifth.table("gold.daily_regions_incremental").rowsWritten()).isZero();
    // The partial aggregates' WHERE amount > 0 keeps it out too: no group touched (on Delta this
    // was a MERGE of no keys, which failed in the Bloom filter of its keys).
    assertThat(fifth.table("gold.customer_daily_incremental").rowsWritten()).isZero();
    assertThat(fifth.table("gold.monthly_incremental").rowsWritten()).isZero();
    assertThat(fifth.table("gold.region_spend_incremental").rowsWritten()).isZero();
    assertThat(fifth.table("gold.top_customers_incremental").rowsWritten()).isZero();
    assertThat(fifth.table("gold.region_daily_full").rowsWritten()).isPositive();

    // Drop 6: two orders are deleted (cancelled upstream), one of drop 1 and one of drop 2. Their
    // groups shrink or vanish in every incremental table. (On Hudi, whose incremental query shows
    // no row for a deleted key, the refreshes kept them before its changes found the keys gone.)
    JsonDrops.land(root, "orders", 6, List.of("{\"order_id\":5,\"updated_at\":6,\"deleted\":true}",
        "{\"order_id\":301,\"updated_at\":6,\"deleted\":true}"));
    long ordersBefore = p.table("silver.orders").count();
    RunReport sixth = p.run();
    assertEqualToFull(p, sixth);
    assertThat(p.table("silver.orders").count()).isEqualTo(ordersBefore - 2);

    // No new files: nothing refreshed, nothing written.
    RunReport idle = p.run();
    assertThat(idle.table("gold.region_daily_incremental").batches()).isZero();
    // Drop 5's refresh that reached no key recorded the versions it read: nothing is read again.
    assertThat(idle.table("gold.top_customers_incremental").batches()).isZero();
    assertThat(idle.table("gold.monthly_incremental").batches()).isZero();
    assertEqualToFull(p, idle);
  }

  private static void assertEqualToFull(Pipeline p, RunReport report) {
    assertThat(report.succeeded()).as(report.tables().toString()).isTrue();
    for (String t : List.of("region_daily", "monthly")) {
      assertSameRows(t, p.table("gold." + t + "_incremental"), p.table("gold." + t + "_full"));
      Map<String, String> incremental = tableRuleOutcomes(p, report, "gold." + t + "_incremental");
      if (!incremental.isEmpty()) { // a refresh whose changes reach no key writes and checks nothing
        assertThat(incremental).as(t + "'s rules on the whole table").isEqualTo(tableMetrics(p, "gold." + t + "_full"));
      }
    }
    assertSameRows("customer_daily", p.table("gold.customer_daily_incremental"), p.sql(CUSTOMER_DAILY));
    assertSameRows("region_spend", p.table("gold.region_spend_incremental"), p.sql(REGION_SPEND));
    assertSameRows("daily_regions", p.table("gold.daily_regions_incremental"), p.sql(DAILY_REGIONS));
    assertSameRows("region_r0_daily", p.table("gold.region_r0_daily_incremental"), p.sql(REGION_R0_DAILY));
    assertSameRows("top_customers", p.table("gold.top_customers_incremental"), p.sql(TOP_CUSTOMERS));
    assertThat(p.table("gold.top_customers_incremental").count()).isEqualTo(5);
    LakehouseTable unranked = LakehouseTable.of(p.spec().table(TableName.parse("gold.top_customers_incremental")))
        .keptBeside(LakehouseTable.Kept.UNRANKED);
    assertSameRows("the rows top_customers ranks", unranked.read(p.spark()), p.sql(CUSTOMER_SPENDING));
  }

  /** The metric of each rule on the whole table (sales.conf's table-rules), as the run recorded it. */
  private static Map<String, String> tableRuleOutcomes(Pipeline p, RunReport report, String table) {
    Map<String, String> out = new java.util.TreeMap<>();
    for (Row r : p.sql("SELECT rule, metric_value FROM _lakehouse.quality_results WHERE run_id = '" + report.runId()
        + "' AND table_name = '" + table + "'").collectAsList()) {
      out.put(r.getString(0), metric(r.getDouble(1)));
    }
    return out;
  }

  /** The same metrics computed by Spark SQL over a table (the full twin): what a full refresh's rules would measure. */
  private static Map<String, String> tableMetrics(Pipeline p, String table) {
    Row m = p.table(table).selectExpr("count(*)", "avg(orders)", "max(orders)", "count(orders) / count(*)").first();
    return new java.util.TreeMap<>(Map.of("enough_rows", metric(m.getLong(0)), "orders_per_group", metric(m.getDouble(1)),
        "largest_group", metric(m.getLong(2)), "orders_counted", metric(m.getDouble(3))));
  }

  /** Sums in another order may differ in the last bits of a double. */
  private static String metric(double value) {
    return String.format("%.9f", value);
  }

  private static void assertSameRows(String t, Dataset<Row> incremental, Dataset<Row> full) {
    assertThat(incremental.columns()).containsExactly(full.columns());
    assertThat(incremental.count()).as(t).isEqualTo(full.count()).isPositive();
    assertThat(incremental.exceptAll(full).collectAsList()).as(t + " rows not in the full refresh").isEmpty();
    assertThat(full.exceptAll(incremental).collectAsList()).as(t + " rows missing from the incremental refresh").isEmpty();
  }

  private static String order(long id, long customer, LocalDate date, Random random, long updatedAt) {
    return order(id, customer, date, (10 + random.nextInt(990)) + "." + random.nextInt(10) + "0", updatedAt);
  }

  private static String order(long id, long customer, LocalDate date, String amount, long updatedAt) {
    return String.format("{\"order_id\":%d,\"customer_id\":%d,\"order_date\":\"%s\",\"amount\":%s,\"updated_at\":%d}",
        id, customer, date, amount, updatedAt);
  }

  private static String customer(long id, String region, long updatedAt) {
    return String.format("{\"customer_id\":%d,\"region\":\"%s\",\"updated_at\":%d}", id, region, updatedAt);
  }
}
