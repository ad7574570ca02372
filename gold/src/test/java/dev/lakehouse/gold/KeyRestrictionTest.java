package dev.lakehouse.gold;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A refresh's recomputation reads the files that can hold its keys, not the whole table: few keys
 * as an IN list, more than a thousand as their range, which skips the files of older keys.
 */
class KeyRestrictionTest {
  private static final SparkSession SPARK = SharedSpark.session();
  private static String table;

  /** A Delta table of order lines: orders 1 to 3000 in four files, then orders 3001 to 4500 appended in one. */
  @BeforeAll
  static void lines() {
    table = SharedSpark.newDir("key-restriction").resolve("lines").toString();
    SPARK.range(1, 3001, 1, 4).selectExpr("id AS order_id", "id % 7 AS amount").write().format("delta").save(table);
    SPARK.range(3001, 4501, 1, 1).selectExpr("id AS order_id", "id % 7 AS amount")
        .union(SPARK.sql("SELECT CAST(NULL AS BIGINT) AS order_id, 5L AS amount")).coalesce(1)
        .write().format("delta").mode("append").save(table);
  }

  /** A gold query's shape: an aggregate by the key, over the table. */
  private static Dataset<Row> perOrder() {
    return SPARK.read().format("delta").load(table).groupBy("order_id").sum("amount");
  }

  @Test
  void moreThanAThousandNewKeysReadOnlyTheNewFiles() {
    // 1500 keys, and the null key: past the IN list's thousand values, their range.
    Dataset<Row> affected = SPARK.sql("SELECT id AS order_id FROM range(3001, 4501) UNION ALL SELECT CAST(NULL AS BIGINT)");
    Dataset<Row> restricted = KeyRestriction.of(perOrder(), affected, List.of("order_id"));

    assertThat(perOrder().inputFiles()).hasSize(5);
    assertThat(restricted.inputFiles()).hasSize(1);
    assertThat(restricted.collectAsList())
        .containsExactlyInAnyOrderElementsOf(perOrder().where("order_id > 3000 OR order_id IS NULL").collectAsList())
        .hasSize(1501);
  }

  @Test
  void aFewKeysReadOnlyTheFilesThatHoldThem() {
    Dataset<Row> affected = SPARK.sql("SELECT id * 1000 AS order_id FROM range(1, 3)"); // 1000 and 2000
    Dataset<Row> restricted = KeyRestriction.of(perOrder(), affected, List.of("order_id"));

    assertThat(restricted.inputFiles()).hasSize(2);
    assertThat(restricted.collectAsList()).map(Row::toString).containsExactlyInAnyOrder("[1000,6]", "[2000,5]");
  }

  @Test
  void keysSpreadOverEveryFileStillGetExactlyTheirRows() {
    // Every third order: their range spans every file, so none is skipped, and the semi-join keeps them exactly.
    Dataset<Row> affected = SPARK.sql("SELECT id * 3 AS order_id FROM range(1, 1501)");
    Dataset<Row> restricted = KeyRestriction.of(perOrder(), affected, List.of("order_id"));

    assertThat(restricted.inputFiles()).hasSize(5);
    assertThat(restricted.collectAsList())
        .containsExactlyInAnyOrderElementsOf(perOrder().where("order_id % 3 = 0").collectAsList())
        .hasSize(1500);
  }
}
