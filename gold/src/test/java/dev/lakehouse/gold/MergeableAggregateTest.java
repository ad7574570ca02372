package dev.lakehouse.gold;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;
import scala.Tuple2;
import scala.collection.JavaConverters;

/**
 * Which queries merge their partial aggregates, and that merging the states of changed rows into
 * stored states gives what the query gives over the changed tables, value for value (decimal
 * averages rounded as Spark rounds them, groups that lose their last row gone), for one table and
 * for a join whose both sides changed.
 */
class MergeableAggregateTest {
  private static final TableName ORDERS = TableName.parse("silver.orders");
  private static final TableName CUSTOMERS = TableName.parse("silver.customers");
  private static final String JOINED = """
      SELECT c.region, o.customer, count(*) AS orders, sum(o.amount) AS amount, avg(o.amount) AS avg_amount
      FROM silver.orders o JOIN silver.customers c ON o.customer = c.customer
      WHERE o.amount >= 0 AND c.region <> 'q'
      GROUP BY c.region, o.customer""";
  private static final String COLUMNS = "order_id BIGINT, customer STRING, region STRING, amount DECIMAL(12,2), qty INT, score DOUBLE";
  private static final String QUERY = """
      SELECT customer, region, count(*) AS orders, sum(amount) AS amount, avg(amount) AS avg_amount,
             avg(CAST(qty AS DECIMAL(10,0))) AS avg_qty, sum(qty) AS qty, count(score) AS scored, sum(amount) / count(*) AS per_order
      FROM silver.orders WHERE amount >= 0
      GROUP BY customer, region ORDER BY amount DESC""";

  private final SparkSession spark = SharedSpark.session();

  @Test
  void onlyExactSumsCountsAndAveragesOfFilteredTablesAndTheirInnerJoinsMerge() {
    Dataset<Row> rows = orders("(1, 'a', 'x', 1.00, 1, 0.5)");
    assertThat(whyNot(QUERY, List.of("customer", "region"), rows)).isNull();
    assertThat(whyNot(QUERY, List.of("customer"), rows)).contains("not its GROUP BY columns");
    assertThat(whyNot("SELECT customer, sum(score) AS s FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("double values");
    // Spark sums an integer's average as a double: it would drift as a double sum does.
    assertThat(whyNot("SELECT customer, avg(qty) AS a FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("int values as double");
    assertThat(whyNot("SELECT customer, max(amount) AS m FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("max cannot take rows out");
    assertThat(whyNot("SELECT customer, count(DISTINCT region) AS r FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("DISTINCT");
    assertThat(whyNot("SELECT customer, count(*) AS n FROM silver.orders WHERE rand() < 0.5 GROUP BY customer",
        List.of("customer"), rows)).contains("non-deterministic");
    assertThat(whyNot("SELECT o.customer, count(*) AS n FROM silver.orders o JOIN silver.orders p ON o.order_id = p.order_id"
        + " GROUP BY o.customer", List.of("customer"), rows)).contains("reads silver.orders 2 times");
    Map<TableName, Dataset<Row>> both = Map.of(ORDERS, rows, CUSTOMERS, customers("('a', 'x')"));
    assertThat(whyNot(JOINED, List.of("region", "customer"), both)).isNull();
    assertThat(whyNot("SELECT c.region, count(*) AS n FROM silver.orders o, silver.customers c WHERE o.customer = c.customer"
        + " GROUP BY c.region", List.of("region"), both)).isNull();
    assertThat(whyNot("SELECT c.region, count(*) AS n FROM silver.orders o LEFT JOIN silver.customers c ON o.customer = c.customer"
        + " GROUP BY c.region", List.of("region"), both)).contains("LEFT OUTER JOIN");
    assertThat(whyNot("SELECT customer, count(*) AS n FROM silver.orders WHERE customer IN (SELECT customer FROM silver.customers)"
        + " GROUP BY customer", List.of("customer"), both)).contains("subquery");
    assertThat(whyNot("SELECT sum(amount) AS a FROM silver.orders", List.of(), rows)).contains("no GROUP BY");
  }

  @Test
  void mergingChangedRowsEqualsTheQueryOverTheChangedTable() {
    Dataset<Row> old = orders("(1, 'a', 'x', 10.00, 1, 0.5)", "(2, 'a', 'x', 20.01, 2, NULL)", "(3, 'b', 'y', 5.00, 3, 1.5)",
        "(4, 'c', NULL, 7.77, 4, 2.5)", "(5, 'd', 'z', 1.00, 5, NULL)");
    // Order 2 changes amount, 3 moves to customer d (b loses its only row), 5 leaves the filter, 6 and 7 are new.
    Dataset<Row> before = orders("(2, 'a', 'x', 20.01, 2, NULL)", "(3, 'b', 'y', 5.00, 3, 1.5)", "(5, 'd', 'z', 1.00, 5, NULL)");
    Dataset<Row> after = orders("(2, 'a', 'x', 0.01, 2, 3.5)", "(3, 'd', 'z', 5.00, 3, 1.5)", "(5, 'd', 'z', -1.00, 5, NULL)",
        "(6, 'c', NULL, 3.33, 6, NULL)", "(7, 'e', 'x', 2.22, NULL, NULL)");
    Dataset<Row> now = orders("(1, 'a', 'x', 10.00, 1, 0.5)", "(2, 'a', 'x', 0.01, 2, 3.5)", "(3, 'd', 'z', 5.00, 3, 1.5)",
        "(4, 'c', NULL, 7.77, 4, 2.5)", "(5, 'd', 'z', -1.00, 5, NULL)", "(6, 'c', NULL, 3.33, 6, NULL)",
        "(7, 'e', 'x', 2.22, NULL, NULL)");
    List<String> keys = List.of("customer", "region");
    MergeableAggregate m = MergeableAggregate.of(spark, new GoldQuery(QUERY), Map.of(ORDERS, old), keys).aggregate();

    Dataset<Row> stored = m.partial(spark, Map.of(ORDERS, old));
    assertSame(m.result(spark, stored, Map.of(ORDERS, old)), query(QUERY, Map.of(ORDERS, old)));

    Dataset<Row> delta = m.delta(spark, Map.of(ORDERS, now),
        Map.of(ORDERS, new MergeableAggregate.Images(after, before)), t -> { throw new AssertionError("no old version needed"); });
    Dataset<Row> merged = m.merge(delta, stored);
    // Touched: a, b, c, d, e; b has no row left and so no result row.
    assertThat(merged.count()).isEqualTo(5);
    assertThat(merged.where("customer = 'b'").first().<Long>getAs(MergeableAggregate.ROWS)).isZero();
    Dataset<Row> untouched = query(QUERY, Map.of(ORDERS, old)).where("customer NOT IN ('a', 'b', 'c', 'd', 'e')");
    assertSame(m.result(spark, merged, Map.of(ORDERS, now)).unionByName(untouched), query(QUERY, Map.of(ORDERS, now)));
  }

  /**
   * An average of bigints near 2^60: Spark sums them as doubles, which lose the small ones, so a
   * merged state (2^60 + 1, then minus 2^60 plus 3) drifts from the sum of the rows as they are
   * (1 + 3). The refresh must give what the query gives: such an average does not merge, and its
   * groups are recomputed from the rows instead (by key).
   */
  @Test
  void anAverageOfBigIntegersRefreshesAsTheQueryOverTheChangedTable() {
    String sql = "SELECT customer, count(*) AS n, avg(big) AS a FROM silver.orders GROUP BY customer";
    String columns = "CAST(order_id AS BIGINT) order_id, customer, CAST(big AS BIGINT) big";
    Dataset<Row> old = spark.sql("SELECT " + columns + " FROM VALUES (1, 'a', 1152921504606846976), (2, 'a', 1) AS t(order_id, customer, big)");
    Dataset<Row> before = old.where("order_id = 1");
    Dataset<Row> after = spark.sql("SELECT " + columns + " FROM VALUES (1, 'a', 3) AS t(order_id, customer, big)");
    Dataset<Row> now = old.where("order_id = 2").unionByName(after);
    List<String> keys = List.of("customer");
    MergeableAggregate m = MergeableAggregate.of(spark, new GoldQuery(sql), Map.of(ORDERS, old), keys).aggregate();
    Dataset<Row> refreshed;
    if (m == null) {
      refreshed = query(sql, Map.of(ORDERS, now)); // refreshed by key: the touched group recomputed from its rows
    } else {
      Dataset<Row> delta = m.delta(spark, Map.of(ORDERS, now), Map.of(ORDERS, new MergeableAggregate.Images(after, before)),
          t -> { throw new AssertionError("no old version needed"); });
      refreshed = m.result(spark, m.merge(delta, m.partial(spark, Map.of(ORDERS, old))), Map.of(ORDERS, now));
    }
    assertSame(refreshed, query(sql, Map.of(ORDERS, now)));
    assertThat(refreshed.first().<Double>getAs("a")).isEqualTo(2.0);
  }

  /**
   * Both sides of the join change, and their changes meet: a new customer's new order, an order
   * moved to a customer who moved region, a deleted customer whose orders stay. The states of the
   * rows the join gains and loses, merged into the stored ones, give the query over the new rows,
   * whichever source's change is taken first.
   */
  @Test
  void mergingTheChangesOfBothSidesOfAJoinEqualsTheQueryOverTheChangedTables() {
    Dataset<Row> oldOrders = orders("(1, 'a', 'x', 10.00, 1, 0.5)", "(2, 'a', 'x', 20.01, 2, NULL)", "(3, 'b', 'y', 5.00, 3, 1.5)",
        "(4, 'c', NULL, 7.77, 4, 2.5)", "(5, 'd', 'z', 1.00, 5, NULL)", "(8, 'd', 'z', 4.00, 8, NULL)");
    Dataset<Row> oldCustomers = customers("('a', 'x')", "('b', 'y')", "('c', 'q')", "('d', 'z')");
    // Order 3 moves from b to a, 5 leaves the filter, 6 (of c, whose region the query leaves out)
    // and 7 (of e, a new customer) are new; a moves from x to w, d is deleted, e arrives.
    Dataset<Row> orderAfter = orders("(3, 'a', 'y', 5.00, 3, 1.5)", "(5, 'd', 'z', -1.00, 5, NULL)",
        "(6, 'c', NULL, 3.33, 6, NULL)", "(7, 'e', 'x', 2.22, NULL, NULL)");
    Dataset<Row> orderBefore = orders("(3, 'b', 'y', 5.00, 3, 1.5)", "(5, 'd', 'z', 1.00, 5, NULL)");
    Dataset<Row> customerAfter = customers("('a', 'w')", "('e', 'x')");
    Dataset<Row> customerBefore = customers("('a', 'x')", "('d', 'z')");
    Dataset<Row> newOrders = oldOrders.exceptAll(orderBefore).unionByName(orderAfter);
    Dataset<Row> newCustomers = oldCustomers.exceptAll(customerBefore).unionByName(customerAfter);
    List<String> keys = List.of("region", "customer");
    Map<TableName, Dataset<Row>> old = Map.of(ORDERS, oldOrders, CUSTOMERS, oldCustomers);
    MergeableAggregate m = MergeableAggregate.of(spark, new GoldQuery(JOINED), old, keys).aggregate();
    Dataset<Row> stored = m.partial(spark, old);
    assertSame(m.result(spark, stored, old), query(JOINED, old));

    Map<TableName, MergeableAggregate.Images> changes = Map.of(ORDERS, new MergeableAggregate.Images(orderAfter, orderBefore),
        CUSTOMERS, new MergeableAggregate.Images(customerAfter, customerBefore));
    for (List<TableName> order : List.of(List.of(ORDERS, CUSTOMERS), List.of(CUSTOMERS, ORDERS))) {
      Map<TableName, Dataset<Row>> now = new LinkedHashMap<>();
      for (TableName t : order) {
        now.put(t, t.equals(ORDERS) ? newOrders : newCustomers);
      }
      List<TableName> askedForOld = new ArrayList<>();
      Dataset<Row> delta = m.delta(spark, now, changes, t -> {
        askedForOld.add(t);
        return old.get(t);
      });
      assertThat(askedForOld).as("only the source another changed source follows is read as it was").containsExactly(order.get(0));
      Dataset<Row> merged = m.merge(delta, stored);
      // Touched: (x, a) loses its rows to (w, a), (y, b) its only one, (z, d) all of its, (x, e) is new.
      assertThat(merged.select("region", "customer").as(Encoders.tuple(Encoders.STRING(), Encoders.STRING())).collectAsList())
          .containsExactlyInAnyOrder(Tuple2.apply("x", "a"), Tuple2.apply("w", "a"), Tuple2.apply("y", "b"),
              Tuple2.apply("z", "d"), Tuple2.apply("x", "e"));
      Dataset<Row> untouched = query(JOINED, old).join(merged.select("region", "customer"),
          JavaConverters.asScalaBuffer(keys).toSeq(), "left_anti");
      assertSame(m.result(spark, merged, now).unionByName(untouched), query(JOINED, now));
    }
  }

  private String whyNot(String sql, List<String> keys, Dataset<Row> rows) {
    return whyNot(sql, keys, Map.of(ORDERS, rows));
  }

  private String whyNot(String sql, List<String> keys, Map<TableName, Dataset<Row>> sources) {
    return MergeableAggregate.of(spark, new GoldQuery(sql), sources, keys).whyNot();
  }

  private Dataset<Row> query(String sql, Map<TableName, Dataset<Row>> sources) {
    return new GoldQuery(sql).evaluate(spark, sources);
  }

  private Dataset<Row> customers(String... values) {
    return spark.sql("SELECT * FROM VALUES " + String.join(", ", values) + " AS t(customer, region)");
  }

  private Dataset<Row> orders(String... values) {
    return spark.sql("SELECT * FROM VALUES " + String.join(", ", values) + " AS t(order_id, customer, region, amount, qty, score)")
        .selectExpr("CAST(order_id AS BIGINT) order_id", "customer", "region", "CAST(amount AS DECIMAL(12,2)) amount",
            "CAST(qty AS INT) qty", "CAST(score AS DOUBLE) score");
  }

  private static void assertSame(Dataset<Row> actual, Dataset<Row> expected) {
    assertThat(actual.schema().fieldNames()).containsExactly(expected.schema().fieldNames());
    assertThat(Arrays.stream(actual.schema().fields()).map(StructField::dataType))
        .containsExactlyElementsOf(Arrays.stream(expected.schema().fields()).map(StructField::dataType).toList());
    List<Row> a = actual.collectAsList();
    assertThat(a).hasSize((int) expected.count());
    assertThat(actual.exceptAll(expected).collectAsList()).as("rows the query does not give").isEmpty();
    assertThat(expected.exceptAll(actual).collectAsList()).as("rows of the query missing").isEmpty();
  }
}
