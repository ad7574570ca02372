package dev.lakehouse.gold;

import dev.lakehouse.core.spec.TableName;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** Orders and line items that the gold lineage tests bind their queries to. */
final class OrdersFixture {
  static final TableName ORDERS = TableName.parse("silver.orders");
  static final TableName LINES = TableName.parse("silver.lineitem");
  /** Revenue per order date: a join, a filter on the orders, a count of distinct orders. */
  static final String REVENUE = """
      SELECT o.order_date AS day, count(DISTINCT o.order_id) AS orders, sum(l.price) AS revenue
      FROM silver.orders o JOIN silver.lineitem l ON l.order_id = o.order_id
      WHERE o.amount > 0
      GROUP BY o.order_date""";

  private OrdersFixture() {}

  /** The analysed plan of a gold query over one order and one line item, as a refresh analyses it. */
  static org.apache.spark.sql.catalyst.plans.logical.LogicalPlan analysed(SparkSession spark, String sql) {
    return new GoldQuery(sql).evaluate(spark, java.util.Map.of(ORDERS, orders(spark, List.of("(1, 'c0', 'r0', 1.00, DATE '2024-01-01')")),
        LINES, spark.sql("SELECT 1L AS order_id, 'sku0' AS sku, CAST(1 AS DECIMAL(10,2)) AS price"))).queryExecution().analyzed();
  }

  /** Orders from SQL value tuples {@code (order_id, customer, region, amount, order_date)}. */
  static Dataset<Row> orders(SparkSession spark, List<String> values) {
    return spark.sql("SELECT * FROM VALUES " + String.join(", ", values) + " AS t(order_id, customer, region, amount, order_date)")
        .selectExpr("CAST(order_id AS BIGINT) order_id", "customer", "region", "CAST(amount AS DECIMAL(12,2)) amount",
            "order_date");
  }
}
