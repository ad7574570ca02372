package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.lit;
import static dev.lakehouse.gold.OrdersFixture.LINES;
import static dev.lakehouse.gold.OrdersFixture.ORDERS;
import static dev.lakehouse.gold.OrdersFixture.REVENUE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Which columns of a source a gold query reads, and that the source's change rows cut to them,
 * equal images cancelled, still turn the query's old result into its new one.
 */
class NetChangesTest {

  private final SparkSession spark = SharedSpark.session();

  @Test
  void readsTheColumnsItNamesAndWholeRowsWhereItComparesThem() {
    assertThat(read(REVENUE, ORDERS)).containsExactlyInAnyOrder("order_id", "order_date", "amount");
    assertThat(read(REVENUE, LINES)).containsExactlyInAnyOrder("order_id", "price");
    assertThat(read("SELECT DISTINCT customer FROM silver.orders", ORDERS)).containsExactly("customer");
    assertThat(read("SELECT * FROM silver.orders WHERE amount > 0", ORDERS)).hasSize(5);
    // A subquery's columns count; a UNION lines up its inputs' columns by position.
    assertThat(read("SELECT customer FROM silver.orders WHERE amount > (SELECT avg(amount) FROM silver.orders"
        + " WHERE region = 'r1')", ORDERS)).containsExactlyInAnyOrder("customer", "amount", "region");
    assertThat(read("SELECT count(*) AS n FROM (SELECT customer, region FROM silver.orders"
        + " UNION SELECT sku, sku FROM silver.lineitem)", ORDERS)).containsExactlyInAnyOrder("customer", "region");
    assertThat(read("SELECT customer, count(*) AS n FROM silver.orders GROUP BY customer", ORDERS)).containsExactly("customer");
  }

  @Test
  void theNetChangesTurnTheOldResultIntoTheNewOne() {
    Random random = new Random(11);
    List<String> old = new ArrayList<>();
    for (int id = 1; id <= 60; id++) {
      old.add(order(id, "c" + random.nextInt(4), random));
    }
    List<String> now = new ArrayList<>(old);
    List<String> before = new ArrayList<>();
    List<String> after = new ArrayList<>();
    // New customers only, a column REVENUE does not read: these updates must cancel.
    for (int id : new int[] {2, 5, 17, 18, 44}) {
      String moved = old.get(id - 1).replaceFirst("'c\\d'", "'c9'");
      before.add(old.get(id - 1));
      after.add(moved);
      now.set(id - 1, moved);
    }
    // New dates and amounts (some leave the filter), a delete, an insert, and an update undone later.
    for (int id : new int[] {3, 11, 29}) {
      String changed = order(id, "c1", random);
      before.add(old.get(id - 1));
      after.add(changed);
      now.set(id - 1, changed);
    }
    before.add(old.get(6));
    now.remove(old.get(6));
    String added = order(61, "c2", random);
    after.add(added);
    now.add(added);
    String detour = order(40, "c3", random);
    before.addAll(List.of(old.get(39), detour));
    after.addAll(List.of(detour, old.get(39)));

    Dataset<Row> changes = orders(before).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.UPDATE_PREIMAGE))
        .unionByName(orders(after).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.UPDATE)));
    Dataset<Row> lines = spark.sql("SELECT id % 70 AS order_id, CAST(id AS DECIMAL(10,2)) AS price FROM range(1, 200)");
    Dataset<Row> net = NetChanges.of(changes, analysed(REVENUE), ORDERS);

    // Of 22 change rows, the 10 of the customer moves and the 4 of the update undone cancel.
    assertThat(changes.count()).isEqualTo(22);
    assertThat(net.count()).isEqualTo(8);
    assertThat(net.columns()).containsExactlyInAnyOrder("order_id", "order_date", "amount", TableFormat.CHANGE_TYPE);
    Dataset<Row> cutOld = orders(old).selectExpr(net.drop(TableFormat.CHANGE_TYPE).columns());
    Dataset<Row> applied = cutOld.exceptAll(net.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))
        .unionByName(net.where(org.apache.spark.sql.functions.not(TableFormat.isBeforeImage())).drop(TableFormat.CHANGE_TYPE));
    Dataset<Row> expected = run(REVENUE, orders(now), lines);
    Dataset<Row> got = run(REVENUE, applied, lines);
    assertThat(expected.exceptAll(run(REVENUE, orders(old), lines)).count()).isGreaterThan(3);
    assertThat(got.exceptAll(expected).collectAsList()).isEmpty();
    assertThat(expected.exceptAll(got).collectAsList()).isEmpty();
  }

  /** What a merge of partial aggregates gets: each side's images, or null for a side without rows (no term to join). */
  @Test
  void splitGivesEachSideOfTheNetChangesOrNoneWhenItHasNoRows() {
    Random random = new Random(5);
    String first = order(1, "c0", random);
    String second = order(2, "c0", random);
    String moved = first.replaceFirst("'c0'", "'c9'"); // a customer, which REVENUE does not read
    String changed = order(2, "c0", random);

    MergeableAggregate.Images appends = split(List.of(first, second), List.of());
    assertThat(appends.after().count()).isEqualTo(2);
    assertThat(appends.before()).isNull();
    assertThat(appends.after().columns()).containsExactlyInAnyOrder("order_id", "order_date", "amount");

    MergeableAggregate.Images cancelled = split(List.of(moved), List.of(first));
    assertThat(cancelled.after()).isNull();
    assertThat(cancelled.before()).isNull();

    MergeableAggregate.Images updated = split(List.of(moved, changed), List.of(first, second));
    assertThat(updated.after().collectAsList()).isEqualTo(orders(List.of(changed)).select("order_id", "order_date", "amount")
        .selectExpr(updated.after().columns()).collectAsList());
    assertThat(updated.before().collectAsList()).isEqualTo(orders(List.of(second)).select("order_id", "order_date", "amount")
        .selectExpr(updated.before().columns()).collectAsList());
  }

  private MergeableAggregate.Images split(List<String> after, List<String> before) {
    Dataset<Row> changes = orders(after).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.INSERT));
    if (!before.isEmpty()) {
      changes = changes.unionByName(orders(before).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.UPDATE_PREIMAGE)));
    }
    return NetChanges.split(changes, analysed(REVENUE), ORDERS);
  }

  private Set<String> read(String sql, TableName source) {
    return NetChanges.readColumns(analysed(sql), source);
  }

  private org.apache.spark.sql.catalyst.plans.logical.LogicalPlan analysed(String sql) {
    return run(sql, orders(List.of(order(1, "c0", new Random(1)))),
        spark.sql("SELECT 1L AS order_id, 'sku0' AS sku, CAST(1 AS DECIMAL(10,2)) AS price")).queryExecution().analyzed();
  }

  private Dataset<Row> run(String sql, Dataset<Row> orders, Dataset<Row> lines) {
    return new GoldQuery(sql).evaluate(spark, Map.of(ORDERS, orders, LINES, lines));
  }

  private static String order(int id, String customer, Random random) {
    return "(" + id + ", '" + customer + "', 'r" + random.nextInt(3) + "', " + (random.nextInt(50) - 5)
        + ".50, DATE '2024-01-01' + " + random.nextInt(90) + ")";
  }

  private Dataset<Row> orders(List<String> values) {
    return OrdersFixture.orders(spark, values);
  }
}
