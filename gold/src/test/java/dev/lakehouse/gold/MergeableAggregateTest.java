package dev.lakehouse.gold;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.Test;

/**
 * Which queries merge their partial aggregates, and that merging the states of changed rows into
 * stored states gives what the query gives over the changed table, value for value (decimal
 * averages rounded as Spark rounds them, groups that lose their last row gone).
 */
class MergeableAggregateTest {
  private static final TableName ORDERS = TableName.parse("silver.orders");
  private static final String COLUMNS = "order_id BIGINT, customer STRING, region STRING, amount DECIMAL(12,2), qty INT, score DOUBLE";
  private static final String QUERY = """
      SELECT customer, region, count(*) AS orders, sum(amount) AS amount, avg(amount) AS avg_amount,
             avg(qty) AS avg_qty, sum(qty) AS qty, count(score) AS scored, sum(amount) / count(*) AS per_order
      FROM silver.orders WHERE amount >= 0
      GROUP BY customer, region ORDER BY amount DESC""";

  private final SparkSession spark = SharedSpark.session();

  @Test
  void onlyExactSumsCountsAndAveragesOfOneFilteredTableMerge() {
    Dataset<Row> rows = orders("(1, 'a', 'x', 1.00, 1, 0.5)");
    assertThat(whyNot(QUERY, List.of("customer", "region"), rows)).isNull();
    assertThat(whyNot(QUERY, List.of("customer"), rows)).contains("not its GROUP BY columns");
    assertThat(whyNot("SELECT customer, sum(score) AS s FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("double values");
    assertThat(whyNot("SELECT customer, max(amount) AS m FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("max cannot take rows out");
    assertThat(whyNot("SELECT customer, count(DISTINCT region) AS r FROM silver.orders GROUP BY customer", List.of("customer"), rows))
        .contains("DISTINCT");
    assertThat(whyNot("SELECT customer, count(*) AS n FROM silver.orders WHERE rand() < 0.5 GROUP BY customer",
        List.of("customer"), rows)).contains("non-deterministic");
    assertThat(whyNot("SELECT o.customer, count(*) AS n FROM silver.orders o JOIN silver.orders p ON o.order_id = p.order_id"
        + " GROUP BY o.customer", List.of("customer"), rows)).contains("Join");
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
    MergeableAggregate m = MergeableAggregate.of(spark, new GoldQuery(QUERY), ORDERS, old, keys).aggregate();

    Dataset<Row> stored = m.partial(spark, old);
    assertSame(m.result(spark, stored, old), query(old));

    Dataset<Row> merged = m.merge(m.partial(spark, after), m.partial(spark, before), stored);
    // Touched: a, b, c, d, e; b has no row left and so no result row.
    assertThat(merged.count()).isEqualTo(5);
    assertThat(merged.where("customer = 'b'").first().<Long>getAs(MergeableAggregate.ROWS)).isZero();
    Dataset<Row> untouched = query(old).where("customer NOT IN ('a', 'b', 'c', 'd', 'e')");
    assertSame(m.result(spark, merged, now).unionByName(untouched), query(now));
  }

  private String whyNot(String sql, List<String> keys, Dataset<Row> rows) {
    return MergeableAggregate.of(spark, new GoldQuery(sql), ORDERS, rows, keys).whyNot();
  }

  private Dataset<Row> query(Dataset<Row> rows) {
    return new GoldQuery(QUERY).evaluate(spark, Map.of(ORDERS, rows));
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
