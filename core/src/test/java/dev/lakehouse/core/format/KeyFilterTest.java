package dev.lakehouse.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** The Bloom filter a Delta MERGE's scans of the table apply: every row of the keys passes it, few others. */
class KeyFilterTest {
  private final SparkSession spark = SharedSpark.session();

  @Test
  void keepsTheRowsOfTheKeysAndFewOthers() {
    Dataset<Row> stored = spark.range(0, 10_000).selectExpr("id", "id % 3 AS part").as("t");
    Dataset<Row> keys = spark.range(0, 10_000, 100).selectExpr("id", "id % 3 AS part"); // 100 keys of two columns
    Dataset<Row> passed = stored.where(KeyFilter.of(keys, List.of("id", "part"), "t", stored.schema()));
    // Every key's row, and at 1 % false positives about 99 of the 9,900 others (well under 300).
    assertThat(passed.count()).isBetween(100L, 400L);
    assertThat(passed.join(keys, scala.collection.JavaConverters.asScalaBuffer(List.of("id", "part")).toSeq()).count())
        .isEqualTo(100);
  }

  @Test
  void keysOfAnotherTypeAreHashedAsTheTableStoresThem() {
    // INT keys against a BIGINT table (a spec's cast widened): hashed as INT, 1 missed its stored row.
    Dataset<Row> stored = spark.range(0, 1_000).selectExpr("id").as("t");
    Dataset<Row> keys = spark.range(0, 1_000, 10).selectExpr("CAST(id AS INT) AS id");
    assertThat(stored.where(KeyFilter.of(keys, List.of("id"), "t", stored.schema()))
        .join(keys, scala.collection.JavaConverters.asScalaBuffer(List.of("id")).toSeq()).count()).isEqualTo(100);
  }

  @Test
  void noKeysPassNoRow() {
    // A MERGE of no keys (a refresh whose changes touch no group): Spark's Bloom filter of no values is null.
    Dataset<Row> stored = spark.range(0, 100).selectExpr("id").as("t");
    assertThat(stored.where(KeyFilter.of(spark.range(0).selectExpr("id"), List.of("id"), "t", stored.schema())).count()).isZero();
  }
}
