package dev.lakehouse.gold;

import static dev.lakehouse.gold.OrdersFixture.LINES;
import static dev.lakehouse.gold.OrdersFixture.ORDERS;
import static dev.lakehouse.gold.OrdersFixture.REVENUE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Which keys a source's change rows carry themselves, and that the keys read off them hold every
 * key whose row the changes alter (the query run before and after, compared row by row).
 */
class KeyLineageTest {
  private static final String MONTHLY = """
      SELECT date_trunc('MONTH', order_date) AS month, customer, count(*) AS n, max(amount) AS top
      FROM silver.orders WHERE amount > 0 GROUP BY date_trunc('MONTH', order_date), customer ORDER BY n DESC""";

  /** Keyed by the line items' order id, which the WHERE makes equal to the orders' own. */
  static final String BY_ORDER = """
      SELECT l.order_id, o.order_date, sum(l.price) AS revenue
      FROM silver.orders o, silver.lineitem l
      WHERE l.order_id = o.order_id AND o.amount > 0
      GROUP BY l.order_id, o.order_date""";

  private final SparkSession spark = SharedSpark.session();

  @Test
  void followsEachKeyToTheSourceWhoseRowsHoldIt() {
    assertThat(lineage(REVENUE, List.of("day"), ORDERS)).isPresent();
    // The day comes from the order: a changed line item reaches the day of its order, found by a join.
    assertThat(lineage(REVENUE, List.of("day"), LINES)).isEmpty();
    assertThat(lineage(MONTHLY, List.of("month", "customer"), ORDERS)).isPresent();
    assertThat(lineage("SELECT o.customer, count(l.sku) AS n FROM silver.orders o LEFT JOIN silver.lineitem l"
        + " ON l.order_id = o.order_id GROUP BY o.customer", List.of("customer"), ORDERS)).isPresent();

    // A key of the other source that an equality makes one of this source's: the orders' own id.
    assertThat(lineage(BY_ORDER, List.of("order_id", "order_date"), ORDERS)).isPresent();
    assertThat(lineage(BY_ORDER, List.of("order_id", "order_date"), LINES)).isEmpty();
    // ... but not an outer join's ON, which its unmatched rows do not satisfy.
    assertThat(lineage("SELECT l.order_id, count(*) AS n FROM silver.orders o LEFT JOIN silver.lineitem l"
        + " ON l.order_id = o.order_id GROUP BY l.order_id", List.of("order_id"), ORDERS)).isEmpty();

    // A self-join: a change on one side moves rows whose key comes from the other.
    assertThat(lineage("SELECT o.customer, count(*) AS n FROM silver.orders o JOIN silver.orders p"
        + " ON o.customer = p.region GROUP BY o.customer", List.of("customer"), ORDERS)).isEmpty();
    // A subquery reads the source a second time.
    assertThat(lineage("SELECT customer, count(*) AS n FROM silver.orders"
        + " WHERE amount > (SELECT avg(amount) FROM silver.orders) GROUP BY customer", List.of("customer"), ORDERS)).isEmpty();
    // The null-supplying side of an outer join: a new order turns a line item's key from null to its sku's.
    assertThat(lineage("SELECT l.sku, count(*) AS n FROM silver.lineitem l RIGHT JOIN silver.orders o"
        + " ON l.order_id = o.order_id GROUP BY l.sku", List.of("sku"), LINES)).isEmpty();
    // A key computed by an aggregate: a changed row does not carry its group's total.
    assertThat(lineage("SELECT total, count(*) AS n FROM (SELECT customer, sum(amount) AS total FROM silver.orders"
        + " GROUP BY customer) GROUP BY total", List.of("total"), ORDERS)).isEmpty();
    // A key from both sources.
    assertThat(lineage("SELECT o.customer, l.sku, count(*) AS n FROM silver.orders o JOIN silver.lineitem l"
        + " ON l.order_id = o.order_id GROUP BY o.customer, l.sku", List.of("customer", "sku"), ORDERS)).isEmpty();
  }

  @Test
  void keysReadOffTheChangesHoldEveryKeyWhoseRowChanges() {
    Random random = new Random(7);
    List<String> old = new ArrayList<>();
    for (int id = 1; id <= 60; id++) {
      old.add(order(id, random));
    }
    // Orders change date, customer or amount (some leave the filter), some are deleted, some are new.
    List<String> before = new ArrayList<>();
    List<String> after = new ArrayList<>();
    List<String> now = new ArrayList<>(old);
    for (int id : new int[] {3, 11, 12, 29, 40, 41, 58}) {
      before.add(old.get(id - 1));
      String changed = order(id, random);
      after.add(changed);
      now.set(id - 1, changed);
    }
    for (int id : new int[] {7, 33}) {
      before.add(old.get(id - 1));
      now.remove(old.get(id - 1));
    }
    for (int id = 61; id <= 64; id++) {
      String added = order(id, random);
      after.add(added);
      now.add(added);
    }
    // An order that every query's amount > 0 keeps out, before and after its change, on its own day.
    String unseen = "(65, 'c9', 'r0', -3.00, DATE '2024-06-01')";
    old.add(unseen);
    before.add(unseen);
    String stillUnseen = "(65, 'c9', 'r0', -4.00, DATE '2024-06-02')";
    after.add(stillUnseen);
    now.add(stillUnseen); // (now was copied from old before order 65)
    Dataset<Row> lines = spark.sql("SELECT id % 70 AS order_id, concat('sku', id % 5) AS sku, CAST(id AS DECIMAL(10,2)) AS price"
        + " FROM range(1, 200)");
    Dataset<Row> changes = orders(before).unionByName(orders(after));

    for (var q : List.of(new Object[] {REVENUE, List.of("day")}, new Object[] {MONTHLY, List.of("month", "customer")},
        new Object[] {BY_ORDER, List.of("order_id", "order_date")})) {
      String sql = (String) q[0];
      @SuppressWarnings("unchecked")
      List<String> keys = (List<String>) q[1];
      Dataset<Row> was = run(sql, orders(old), lines);
      Dataset<Row> is = run(sql, orders(now), lines);
      Dataset<Row> differing = keysOf(was.exceptAll(is), keys).union(keysOf(is.exceptAll(was), keys)).distinct();
      List<Column> lineage = lineage(sql, keys, ORDERS).orElseThrow();
      Dataset<Row> readOff = changes.where(SourceConditions.of(OrdersFixture.analysed(spark, sql), ORDERS)).select(lineage.toArray(Column[]::new)).distinct();
      assertThat(differing.count()).as(sql).isGreaterThan(3);
      assertThat(differing.exceptAll(readOff).collectAsList()).as("changed keys not read off the changes: " + sql).isEmpty();
      // ... and no more than the changed rows' own keys: one per changed row at most, none for order 65.
      assertThat(readOff.count()).isLessThanOrEqualTo(changes.count());
      assertThat(readOff.exceptAll(changes.where("order_id <> 65").select(lineage.toArray(Column[]::new))).count())
          .as("keys of the order that amount > 0 keeps out: " + sql).isZero();
    }
  }

  private Optional<List<Column>> lineage(String sql, List<String> keys, TableName source) {
    return KeyLineage.of(OrdersFixture.analysed(spark, sql), source, keys);
  }

  private Dataset<Row> run(String sql, Dataset<Row> orders, Dataset<Row> lines) {
    return new GoldQuery(sql).evaluate(spark, Map.of(ORDERS, orders, LINES, lines));
  }

  private static Dataset<Row> keysOf(Dataset<Row> rows, List<String> keys) {
    return rows.selectExpr(keys.toArray(String[]::new));
  }

  private static String order(int id, Random random) {
    return "(" + id + ", 'c" + random.nextInt(4) + "', 'r" + random.nextInt(3) + "', " + (random.nextInt(50) - 5)
        + ".50, DATE '2024-01-01' + " + random.nextInt(90) + ")";
  }

  private Dataset<Row> orders(List<String> values) {
    return OrdersFixture.orders(spark, values);
  }
}
