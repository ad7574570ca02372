package dev.lakehouse.gold;

import static dev.lakehouse.gold.OrdersFixture.LINES;
import static dev.lakehouse.gold.OrdersFixture.ORDERS;
import static dev.lakehouse.gold.OrdersFixture.REVENUE;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * Which rows of a source a gold query can see at all, and that leaving out the change rows it
 * cannot still finds every key whose row the changes alter.
 */
class SourceConditionsTest {
  /** Orders by customer, of their line items over 20: the key comes from the orders, the condition is the line items'. */
  private static final String BIG_LINES = """
      SELECT o.customer, count(*) AS n, sum(l.price) AS revenue
      FROM silver.orders o JOIN silver.lineitem l ON l.order_id = o.order_id
      WHERE l.price > 20
      GROUP BY o.customer""";

  private final SparkSession spark = SharedSpark.session();

  @Test
  void anOrderTheQueryFiltersOutIsNotSeen() {
    // Order 1 passes amount > 0, order 2 does not; both in customer c0, region r0.
    Dataset<Row> rows = orders(List.of("(1, 'c0', 'r0', 10.00, DATE '2024-01-05')", "(2, 'c0', 'r0', -1.00, DATE '2024-01-06')"));
    assertThat(seen(KeyLineageTest.BY_ORDER, rows)).containsExactly(1L);
    assertThat(seen(REVENUE, rows)).containsExactly(1L);
    // Through a projection's alias, and a condition on a GROUP BY column above the aggregate.
    assertThat(seen("SELECT customer, count(*) AS n FROM (SELECT *, amount * 2 AS doubled FROM silver.orders)"
        + " WHERE doubled > 0 GROUP BY customer", rows)).containsExactly(1L);
    assertThat(seen("SELECT order_date, customer, count(*) AS n FROM silver.orders GROUP BY order_date, customer"
        + " HAVING order_date < DATE '2024-01-06'", rows)).containsExactly(1L);
    // Every row is seen: a HAVING on an aggregate counts them all; an outer join's ON keeps the
    // preserved side's rows it fails; a subquery, and another source's columns, may change apart.
    List<Long> both = List.of(1L, 2L);
    assertThat(seen("SELECT customer, count(*) AS n FROM silver.orders GROUP BY customer HAVING max(amount) > 0", rows)).containsExactlyElementsOf(both);
    assertThat(seen("SELECT o.customer, count(l.sku) AS n FROM silver.orders o LEFT JOIN silver.lineitem l"
        + " ON l.order_id = o.order_id AND o.amount > 0 GROUP BY o.customer", rows))
        .containsExactlyElementsOf(both);
    assertThat(seen("SELECT customer, count(*) AS n FROM silver.orders WHERE amount > (SELECT min(price) FROM silver.lineitem)"
        + " GROUP BY customer", rows)).containsExactlyElementsOf(both);
    assertThat(seen("SELECT o.order_id, count(*) AS n FROM silver.orders o JOIN silver.lineitem l ON l.order_id = o.order_id"
        + " WHERE l.price > o.amount GROUP BY o.order_id", rows)).containsExactlyElementsOf(both);
  }



  @Test
  void aLineItemTheQueryFiltersOutIsNotSeenUnlessItDecidesAnOuterJoin() {
    // Line 1 of order 1 at 30, line 2 of order 2 at 10.
    Dataset<Row> lines = lines("(1, 1, 30.00)", "(2, 2, 10.00)");
    assertThat(seenLines(BIG_LINES, lines)).containsExactly(1L);
    // The orders' condition carried to the line items through the WHERE equality of their ids.
    assertThat(seenLines("SELECT o.customer, count(*) AS n FROM silver.orders o, silver.lineitem l"
        + " WHERE l.order_id = o.order_id AND o.order_id > 1 GROUP BY o.customer", lines)).containsExactly(2L);
    // The null-supplying side of an outer join: line 2 fails the WHERE, but whether order 2 has a
    // line decides whether its null-extended row (which passes it) appears.
    assertThat(seenLines("SELECT o.customer, count(*) AS n FROM silver.orders o LEFT JOIN silver.lineitem l"
        + " ON l.order_id = o.order_id WHERE l.price > 20 OR l.price IS NULL GROUP BY o.customer", lines))
        .containsExactly(1L, 2L);
    // ... while a condition below the outer join, on the line items alone, still holds.
    assertThat(seenLines("SELECT o.customer, count(*) AS n FROM silver.orders o LEFT JOIN"
        + " (SELECT * FROM silver.lineitem WHERE price > 20) l ON l.order_id = o.order_id GROUP BY o.customer", lines))
        .containsExactly(1L);
  }

  @Test
  void onlyAConditionBeyondASourcesOwnCanLeaveOutMoreOfItsRows() {
    // Revenue per day: the orders' own condition, and the equality that joins them to their lines.
    assertThat(leavesOutMore(REVENUE, ORDERS)).isFalse();
    // For the line items, the orders' condition is another source's: it leaves out the lines of orders it leaves out.
    assertThat(leavesOutMore(REVENUE, LINES)).isTrue();
    assertThat(leavesOutMore(REVENUE, List.of(ORDERS, LINES))).isFalse();
    // The line items' condition: their own, but it leaves out orders (those whose lines are all cheap).
    assertThat(leavesOutMore(BIG_LINES, LINES)).isFalse();
    assertThat(leavesOutMore(BIG_LINES, ORDERS)).isTrue();
    String byDay = "SELECT o.order_date, count(*) AS n FROM silver.orders o JOIN silver.lineitem l ON l.order_id = o.order_id ";
    // A condition across the sources that is not an equality of columns, a HAVING, a filter on a
    // window's result, a semi join (IN), a limit, a subquery.
    assertThat(leavesOutMore(byDay + "WHERE l.price > o.amount GROUP BY o.order_date", ORDERS)).isTrue();
    assertThat(leavesOutMore(byDay + "GROUP BY o.order_date HAVING count(*) > 1", ORDERS)).isTrue();
    assertThat(leavesOutMore("SELECT order_date, count(*) AS n FROM (SELECT o.*, row_number() OVER (PARTITION BY o.customer"
        + " ORDER BY o.amount DESC) AS r FROM silver.orders o) WHERE r = 1 GROUP BY order_date", ORDERS)).isTrue();
    assertThat(leavesOutMore("SELECT order_date, count(*) AS n FROM silver.orders"
        + " WHERE order_id IN (SELECT order_id FROM silver.lineitem) GROUP BY order_date", ORDERS)).isTrue();
    assertThat(leavesOutMore(byDay.replace("silver.lineitem l", "(SELECT * FROM silver.lineitem LIMIT 5) l")
        + "GROUP BY o.order_date", ORDERS)).isTrue();
    assertThat(leavesOutMore(byDay + "WHERE o.amount > (SELECT min(price) FROM silver.lineitem) GROUP BY o.order_date",
        ORDERS)).isTrue();
    // Read twice (a self-join): a change on one side moves rows of the other.
    assertThat(leavesOutMore("SELECT a.order_date, count(*) AS n FROM silver.orders a JOIN silver.orders b"
        + " ON a.customer = b.customer GROUP BY a.order_date", ORDERS)).isTrue();
  }

  private boolean leavesOutMore(String sql, TableName source) {
    return leavesOutMore(sql, List.of(source));
  }

  private boolean leavesOutMore(String sql, List<TableName> sources) {
    return SourceConditions.leavesOutMore(OrdersFixture.analysed(spark, sql), sources);
  }

  @Test
  void keysFoundByTheQueryOverTheSeenChangesHoldEveryKeyWhoseRowChanges() {
    Dataset<Row> orders = orders(List.of("(1, 'c0', 'r0', 5.00, DATE '2024-01-01')", "(2, 'c1', 'r0', 5.00, DATE '2024-01-01')",
        "(3, 'c2', 'r0', 5.00, DATE '2024-01-01')", "(4, 'c3', 'r0', 5.00, DATE '2024-01-01')"));
    // Order 1's line rises over 20 (c0 gains it), order 2's falls under (c1 loses it), order 3's
    // stays under 20 (c2 sees nothing of it), order 4's is deleted over 20 (c3 loses it).
    Dataset<Row> before = lines("(1, 1, 10.00)", "(2, 2, 30.00)", "(3, 3, 12.00)", "(4, 4, 40.00)");
    Dataset<Row> after = lines("(1, 1, 25.00)", "(2, 2, 15.00)", "(3, 3, 18.00)");
    // Each order also has a line that stays at 50 (line 9): its customer's row is there before and after.
    Dataset<Row> unchanged = lines("(1, 9, 50.00)", "(2, 9, 50.00)", "(3, 9, 50.00)", "(4, 9, 50.00)");
    Dataset<Row> old = before.unionByName(unchanged);
    Dataset<Row> now = after.unionByName(unchanged);
    Dataset<Row> changes = before.withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.DELETE))
        .unionByName(after.withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.INSERT)));
    Dataset<Row> was = new GoldQuery(BIG_LINES).evaluate(spark, Map.of(ORDERS, orders, LINES, old));
    Dataset<Row> is = new GoldQuery(BIG_LINES).evaluate(spark, Map.of(ORDERS, orders, LINES, now));
    List<String> differing = was.exceptAll(is).union(is.exceptAll(was)).select("customer").distinct()
        .as(Encoders.STRING()).collectAsList();
    Dataset<Row> seen = changes.where(SourceConditions.of(OrdersFixture.analysed(spark, BIG_LINES), LINES));
    List<String> found = new AffectedKeys(new GoldQuery(BIG_LINES), List.of("customer"), is.queryExecution().analyzed())
        .of(spark, LINES, seen, Map.of(ORDERS, orders, LINES, now), Map.of(ORDERS, orders, LINES, old))
        .distinct().as(Encoders.STRING()).collectAsList();
    assertThat(differing).containsExactlyInAnyOrder("c0", "c1", "c3");
    // The seen change rows lose no key the changes reach (c2's line never reached the result).
    assertThat(found).containsExactlyInAnyOrderElementsOf(differing);
    // Of the 7 change rows, those over 20: order 2's and 4's old images, order 1's new one. When none
    // is, the refresh runs no query over them at all.
    assertThat(seen.select("order_id", TableFormat.CHANGE_TYPE).collectAsList()).map(Row::toString)
        .containsExactlyInAnyOrder("[2,delete]", "[4,delete]", "[1,insert]");
  }

  /** The order ids of {@code rows} that the query's conditions on the orders let through. */
  private List<Long> seen(String sql, Dataset<Row> rows) {
    return rows.where(SourceConditions.of(OrdersFixture.analysed(spark, sql), ORDERS)).orderBy("order_id").select("order_id")
        .as(Encoders.LONG()).collectAsList();
  }

  /** The line numbers of {@code rows} that the query's conditions on the line items let through. */
  private List<Long> seenLines(String sql, Dataset<Row> rows) {
    return rows.where(SourceConditions.of(OrdersFixture.analysed(spark, sql), LINES)).orderBy("line").select("line")
        .as(Encoders.LONG()).collectAsList();
  }

  private Dataset<Row> orders(List<String> values) {
    return OrdersFixture.orders(spark, values);
  }

  /** Line items from {@code (order_id, line, price)}; the sku is the line's. */
  private Dataset<Row> lines(String... values) {
    return spark.sql("SELECT * FROM VALUES " + String.join(", ", values) + " AS t(order_id, line, price)")
        .selectExpr("CAST(order_id AS BIGINT) order_id", "CAST(line AS BIGINT) line", "concat('sku', line) AS sku",
            "CAST(price AS DECIMAL(10,2)) price");
  }
}
