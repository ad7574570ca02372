package dev.lakehouse.core.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import org.apache.spark.metrics.source.CodegenMetrics;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * A query planned again after a few hundred others reuses the class Spark compiled for it: a
 * pipeline's run plans that many, and each class compiled again is compiled by the JVM again too.
 */
class CodegenCacheTest {
  private final SparkSession spark = SharedSpark.session();

  @Test
  void aQueryComingBackAfterThreeHundredOthersIsNotCompiledAgain() {
    assertThat(spark.sparkContext().getConf().get(LakehouseSpark.CODEGEN_CACHE_SIZE)).isEqualTo("1000");
    String first = "SELECT id * 7 + 3 AS v, concat('first-', id) AS s FROM range(5)";
    assertThat(spark.sql(first).collectAsList()).hasSize(5);

    long before = compilations();
    // Three hundred distinct queries: an integer literal is written into the generated code, so
    // each compiles a class of its own (Spark's default keeps a hundred).
    for (int i = 0; i < 300; i++) {
      assertThat(spark.sql("SELECT id * " + (i + 11) + " AS v FROM range(3)").collectAsList()).hasSize(3);
    }
    long others = compilations() - before;
    assertThat(others).as("the distinct queries compiled classes").isGreaterThanOrEqualTo(300);

    long again = compilations();
    assertThat(spark.sql(first).collectAsList()).hasSize(5);
    assertThat(compilations() - again).as("classes compiled to run the first query again").isZero();
  }

  /** Classes Janino compiled in this JVM so far (one histogram entry each). */
  private static long compilations() {
    return CodegenMetrics.METRIC_COMPILATION_TIME().getCount();
  }
}
