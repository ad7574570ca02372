package dev.lakehouse.gold;

import static dev.lakehouse.gold.OrdersFixture.LINES;
import static dev.lakehouse.gold.OrdersFixture.ORDERS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The keys that new orders reach, found by running the query over them joined with the line items,
 * as TPC-H Q3 is refreshed: exactly the keys whose rows differ, and the join reads only the line
 * items' files that the new orders' ids can match.
 */
class AffectedKeysTest {
  /** Per order, its line items over 20: most new orders have none, so they reach no key. */
  private static final String BIG_LINES = """
      SELECT o.order_id, count(*) AS n, sum(l.price) AS revenue
      FROM silver.orders o JOIN silver.lineitem l ON l.order_id = o.order_id
      WHERE l.price > 20 AND o.amount > 0
      GROUP BY o.order_id""";
  private static final SparkSession SPARK = SharedSpark.session();
  private static Dataset<Row> lines;

  /**
   * A Delta table of line items: those of orders 1 to 3000 in four files, then those of orders 3001
   * to 4500 appended in one; every order's line costs 5, every hundredth's 50.
   */
  @BeforeAll
  static void lineItems() {
    String table = SharedSpark.newDir("affected-keys").resolve("lines").toString();
    String[] line = {"id AS order_id", "'sku' AS sku", "CAST(IF(id % 100 = 0, 50, 5) AS DECIMAL(10,2)) AS price"};
    SPARK.range(1, 3001, 1, 4).selectExpr(line).write().format("delta").save(table);
    SPARK.range(3001, 4501, 1, 1).selectExpr(line).write().format("delta").mode("append").save(table);
    lines = SPARK.read().format("delta").load(table);
  }

  @Test
  void newOrdersReachTheKeysOfTheirQualifyingLinesAndJoinOnlyTheNewFiles() {
    Dataset<Row> before = orders(1, 3001);
    Dataset<Row> after = before.union(orders(3001, 4501));
    Dataset<Row> changes = LakehouseSpark.materialize(orders(3001, 4501).withColumn(TableFormat.CHANGE_TYPE,
        org.apache.spark.sql.functions.lit(TableFormat.INSERT)));
    Map<TableName, Dataset<Row>> now = Map.of(ORDERS, after, LINES, lines);
    Map<TableName, Dataset<Row>> last = Map.of(ORDERS, before, LINES, lines);
    GoldQuery query = new GoldQuery(BIG_LINES);

    Dataset<Row> keys = new AffectedKeys(query, List.of("order_id"), query.evaluate(SPARK, now).queryExecution().analyzed())
        .of(SPARK, ORDERS, changes, now, last);

    // The keys whose rows differ, by the query run before and after: the new hundredth orders.
    List<Long> differing = query.evaluate(SPARK, now).exceptAll(query.evaluate(SPARK, last))
        .select("order_id").as(Encoders.LONG()).collectAsList();
    assertThat(keys.as(Encoders.LONG()).collectAsList()).containsExactlyInAnyOrderElementsOf(differing).hasSize(15);
    // 1,500 new orders: past an IN list, their ids' range, which only the appended file holds.
    assertThat(lines.inputFiles()).hasSize(5);
    assertThat(keys.inputFiles()).hasSize(1);
  }

  /** Orders {@code from} to {@code to} (exclusive), each of amount 1. */
  private static Dataset<Row> orders(long from, long to) {
    return SPARK.range(from, to, 1, 1).selectExpr("id AS order_id", "concat('c', id % 10) AS customer", "'r0' AS region",
        "CAST(1 AS DECIMAL(12,2)) AS amount", "DATE '2024-01-01' AS order_date");
  }
}
