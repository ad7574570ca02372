package dev.lakehouse.core.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** A materialised dataset is planned by the size it has, not by the estimate of the plan that made it. */
class MaterializeTest {
  private final SparkSession spark = SharedSpark.session();

  @Test
  void fewRowsCutFromABigJoinAreBroadcastToTheNextJoin() {
    // 20 rows, from a join whose estimate is the product of its sides' sizes (far above 10 MB).
    Dataset<Row> big = spark.range(0, 3_000_000).toDF("id");
    Dataset<Row> few = big.join(spark.range(0, 20).toDF("k"), big.col("id").equalTo(org.apache.spark.sql.functions.col("k")))
        .select("id");

    Dataset<Row> checkpointed = few.localCheckpoint(true);
    Dataset<Row> materialised = LakehouseSpark.materialize(few);

    assertThat(materialised.count()).isEqualTo(20);
    // Spark's own checkpoint keeps the estimate of the join that made it: the next join shuffles the big side.
    assertThat(joinWithBig(checkpointed)).contains("SortMergeJoin").doesNotContain("BroadcastHashJoin");
    assertThat(joinWithBig(materialised)).contains("BroadcastHashJoin").doesNotContain("SortMergeJoin");
    assertThat(materialised.join(spark.range(0, 3_000_000).toDF("id"), "id").count()).isEqualTo(20);
  }

  private String joinWithBig(Dataset<Row> small) {
    Dataset<Row> other = spark.range(0, 3_000_000).toDF("id");
    return other.join(small, "id").queryExecution().executedPlan().toString();
  }
}
