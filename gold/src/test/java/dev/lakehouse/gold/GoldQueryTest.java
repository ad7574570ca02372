package dev.lakehouse.gold;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** A top n (a query that ends in ORDER BY ... LIMIT n): the rows it ranks, and those rows ranked again. */
class GoldQueryTest {
  private final SparkSession spark = SharedSpark.session();

  private Map<TableName, Dataset<Row>> orders() {
    return Map.of(OrdersFixture.ORDERS, OrdersFixture.orders(spark, List.of(
        "(1, 'ann', 'north', 10.00, DATE'2024-01-01')", "(2, 'bob', 'south', 30.00, DATE'2024-01-02')",
        "(3, 'cid', 'north', 20.00, DATE'2024-01-03')", "(4, 'ann', 'north', 15.00, DATE'2024-01-04')",
        "(5, 'dan', 'east', 0.00, DATE'2024-01-05')")));
  }

  @Test
  void aTopNIsTheRowsItRanksRankedAgain() {
    // Qualified names in the ORDER BY, as SQL allows: the kept rows have the result's columns only.
    GoldQuery top = new GoldQuery("""
        SELECT o.customer, sum(o.amount) AS total FROM silver.orders o WHERE o.amount > 0
        GROUP BY o.customer ORDER BY total DESC, o.customer LIMIT 2""");
    Dataset<Row> unranked = top.unranked(spark).orElseThrow().evaluate(spark, orders());
    assertThat(unranked.collectAsList()).map(Row::toString).containsExactlyInAnyOrder("[ann,25.00]", "[bob,30.00]",
        "[cid,20.00]");
    Dataset<Row> ranked = top.rank(spark, LakehouseSpark.materialize(unranked)); // stored, as a refresh ranks them
    assertThat(ranked.collectAsList()).map(Row::toString).containsExactly("[bob,30.00]", "[ann,25.00]")
        .isEqualTo(top.evaluate(spark, orders()).collectAsList().stream().map(Row::toString).toList());

    assertThat(new GoldQuery("SELECT customer, count(*) AS n FROM silver.orders GROUP BY customer").unranked(spark)).isEmpty();
  }

  @Test
  void aSourceNamedAsSparkResolvesItIsBound() {
    // The refresh binds each source to the version it read; a name in another case or after
    // spark_catalog must be bound too, not looked up in the catalog (where it is the newest version,
    // or, as here, no table at all).
    GoldQuery q = new GoldQuery("SELECT Orders.customer, count(*) AS n FROM spark_catalog.Silver.ORDERS GROUP BY 1");
    assertThat(q.evaluate(spark, orders()).collectAsList()).map(Row::toString)
        .containsExactlyInAnyOrder("[ann,2]", "[bob,1]", "[cid,1]", "[dan,1]");
  }

  @Test
  void anOrderByOfAColumnTheResultLeavesOutCannotRankTheKeptRows() {
    GoldQuery top = new GoldQuery("""
        SELECT o.customer, sum(o.amount) AS total FROM silver.orders o
        GROUP BY o.customer, o.region ORDER BY o.region LIMIT 1""");
    // The query alone runs: Spark resolves the ORDER BY below the SELECT list. The rows kept to
    // rank (stored, or read from the table beside it) have the result's columns only.
    assertThat(top.evaluate(spark, orders()).count()).isEqualTo(1);
    Dataset<Row> unranked = LakehouseSpark.materialize(top.unranked(spark).orElseThrow().evaluate(spark, orders()));
    assertThatThrownBy(() -> top.rank(spark, unranked)).isInstanceOf(LakehouseException.class)
        .hasMessageContaining("Cannot rank the rows of its query by its ORDER BY")
        .hasMessageContaining("[customer, total]")
        .hasMessageContaining("add the column to it), or use refresh = full");
  }
}
