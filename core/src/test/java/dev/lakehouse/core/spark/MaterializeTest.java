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

  @Test
  void columnsAndPlainFiltersOfMaterialisedRowsAreNotStoredAgainButComputedRowsAre() {
    Dataset<Row> materialised = LakehouseSpark.materialize(spark.range(0, 1000).toDF("id"));
    Dataset<Row> withConstant = materialised.withColumn("flag", org.apache.spark.sql.functions.lit(true))
        .withColumnRenamed("id", "key");
    Dataset<Row> filtered = materialised.where("id % 2 = 0").withColumnRenamed("id", "key");

    // The same stored rows, read again (no second copy): columns of them, and a plain filter of them.
    assertThat(LakehouseSpark.materialize(withConstant)).isSameAs(withConstant);
    assertThat(LakehouseSpark.materialize(filtered)).isSameAs(filtered);
    assertThat(filtered.count()).isEqualTo(500);
    assertThat(withConstant.where("flag").count()).isEqualTo(1000);
    // A union of stored parts (the rows kept and the deletes of a batch) is read part by part.
    Dataset<Row> odd = materialised.where("id % 2 = 1").withColumnRenamed("id", "key");
    Dataset<Row> union = filtered.unionByName(odd);
    assertThat(LakehouseSpark.materialize(union)).isSameAs(union);
    assertThat(union.count()).isEqualTo(1000);
    Dataset<Row> withComputedPart = filtered.unionByName(materialised.selectExpr("id * 2 AS key"));
    assertThat(LakehouseSpark.materialize(withComputedPart)).isNotSameAs(withComputedPart);

    // Computed columns, a filter by a subquery or a random one: computed, so stored anew.
    Dataset<Row> doubled = materialised.selectExpr("id * 2 AS id");
    Dataset<Row> bySubquery = materialised.where("id IN (SELECT id FROM range(10))");
    Dataset<Row> sampled = materialised.where("rand(7) < 0.5");
    for (Dataset<Row> computed : java.util.List.of(doubled, bySubquery, sampled)) {
      Dataset<Row> stored = LakehouseSpark.materialize(computed);
      assertThat(stored).isNotSameAs(computed);
      assertThat(stored.queryExecution().analyzed().toString()).startsWith("LogicalRDD");
    }
    assertThat(LakehouseSpark.materialize(bySubquery).count()).isEqualTo(10);

    // Rows of an RDD that is not stored (as foreachBatch hands a micro-batch over) are computed: stored.
    Dataset<Row> overRdd = spark.createDataFrame(spark.range(0, 10).toDF("id").javaRDD(), materialised.schema());
    assertThat(overRdd.queryExecution().analyzed().toString()).startsWith("LogicalRDD");
    assertThat(LakehouseSpark.materialize(overRdd)).isNotSameAs(overRdd);
  }

  @Test
  void aRowCounterCountsTheRowsThePassThatStoresThemReads() {
    RowCounter read = new RowCounter(spark, "rows read by the test");
    // The filter above the counter keeps a third of the rows: the counter still sees every row read.
    Dataset<Row> stored = LakehouseSpark.materialize(read.counting(spark.range(0, 3000).toDF("id")).where("id % 3 = 0"));
    assertThat(read.count()).isEqualTo(3000);
    assertThat(stored.count()).isEqualTo(1000);
    assertThat(stored.where("id > 10").count()).isEqualTo(996);
    assertThat(read.count()).as("reading the stored rows again does not read the input again").isEqualTo(3000);
  }

  @Test
  void rowsAreStoredSerializedOnceAndReadBackUnchanged() {
    Dataset<Row> computed = spark.range(0, 50_000).selectExpr("id", "CAST(id AS STRING) AS text",
        "CAST(id / 7 AS DECIMAL(15,2)) AS amount", "IF(id % 5 = 0, NULL, DATE '2024-01-01' + CAST(id % 400 AS INT)) AS day");
    Dataset<Row> stored = LakehouseSpark.materialize(computed);

    org.apache.spark.rdd.RDD<?> chunks = LakehouseSpark.storedRdd(stored.queryExecution().analyzed()).orElseThrow();
    org.apache.spark.storage.RDDInfo info = java.util.Arrays.stream(spark.sparkContext().getRDDStorageInfo())
        .filter(i -> i.id() == chunks.id()).findFirst().orElseThrow();
    // Bytes, not an object per row: the garbage collector has a few arrays to keep, not 50 000 rows.
    assertThat(chunks.count()).isLessThan(20); // the arrays grow from 64 KB to 4 MB
    assertThat(info.numCachedPartitions()).isEqualTo(stored.rdd().getNumPartitions());
    assertThat(info.memSize()).isBetween(50_000L * 40, 50_000L * 120); // 40 to 60 bytes a row, and the array headers
    assertThat(chunks.isCheckpointed()).isTrue();
    // Every row and value as computed (nulls and decimals included), however often it is read.
    assertThat(stored.exceptAll(computed).count()).isZero();
    assertThat(computed.exceptAll(stored).count()).isZero();
    assertThat(stored.where("day IS NULL").count()).isEqualTo(10_000);

    // Rows of no columns, and a row larger than the largest array, are stored as they are too.
    Dataset<Row> noColumns = LakehouseSpark.materialize(spark.range(0, 10).select());
    assertThat(noColumns.count()).isEqualTo(10);
    assertThat(LakehouseSpark.count(noColumns)).isEqualTo(10);
    Dataset<Row> wide = spark.range(0, 3).selectExpr("id", "repeat(CAST(id AS STRING), 5000000) AS text");
    Dataset<Row> wideStored = LakehouseSpark.materialize(wide);
    assertThat(wideStored.selectExpr("sum(length(text))").head().getLong(0)).isEqualTo(15_000_000L);
    assertThat(wideStored.exceptAll(wide).count()).isZero();
    assertThat(LakehouseSpark.count(wideStored)).isEqualTo(3);
  }

  @Test
  void storedRowsAreCountedByTheJobThatStoresThemAndOtherRowsByAJob() throws java.util.concurrent.TimeoutException {
    java.util.concurrent.atomic.AtomicInteger jobs = new java.util.concurrent.atomic.AtomicInteger();
    org.apache.spark.scheduler.SparkListener listener = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onJobStart(org.apache.spark.scheduler.SparkListenerJobStart start) {
        jobs.incrementAndGet();
      }
    };
    Dataset<Row> stored = LakehouseSpark.materialize(spark.range(0, 70_000).selectExpr("id", "repeat('x', CAST(id % 50 AS INT)) AS text")
        .where("id % 7 <> 0"));
    spark.sparkContext().addSparkListener(listener);
    try {
      assertThat(LakehouseSpark.count(stored)).isEqualTo(60_000);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertThat(jobs.get()).as("counting stored rows").isZero();
      assertThat(LakehouseSpark.count(stored.where("id < 700"))).isEqualTo(600);
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertThat(jobs.get()).as("rows computed from stored ones are counted by Spark").isPositive();
      assertThat(LakehouseSpark.count(stored)).isEqualTo(stored.count());
    } finally {
      spark.sparkContext().removeSparkListener(listener);
    }
  }

  @Test
  void rowsStoredWhileABatchRunsAreFreedWhenItEndsAndOthersAreKept() throws InterruptedException {
    Dataset<Row> outside = LakehouseSpark.materialize(spark.range(0, 1000).toDF("id"));
    Dataset<Row> inBatch;
    Dataset<Row> inInner;
    try (BatchStorage batch = BatchStorage.open()) {
      inBatch = LakehouseSpark.materialize(spark.range(0, 2000).toDF("id"));
      try (BatchStorage inner = BatchStorage.open()) {
        inInner = LakehouseSpark.materialize(spark.range(0, 3000).toDF("id"));
        assertThat(inner.size()).isEqualTo(1);
      }
      waitUntilFreed(inInner);
      assertThat(storedRdds()).as("the outer batch's rows outlive the inner scope").contains(rddId(inBatch));
      assertThat(inBatch.count()).isEqualTo(2000);
      assertThat(batch.size()).isEqualTo(1);
    }
    waitUntilFreed(inBatch);
    Dataset<Row> plan = spark.range(0, 500).toDF("id");
    try (BatchStorage first = BatchStorage.open()) {
      assertThat(LakehouseSpark.materialize(plan).count()).isEqualTo(500);
    }
    try (BatchStorage next = BatchStorage.open()) {
      assertThat(LakehouseSpark.materialize(plan).count()).as("the same dataset stored again by a later batch").isEqualTo(500);
    }
    assertThat(storedRdds()).as("rows stored outside any batch are left to Spark").contains(rddId(outside));
    assertThat(outside.count()).isEqualTo(1000);
    // Reading freed rows fails loudly rather than computing anything else.
    org.assertj.core.api.Assertions.assertThatThrownBy(inBatch::count).hasStackTraceContaining("rdd_" + rddId(inBatch));
  }

  private static int rddId(Dataset<Row> stored) {
    return LakehouseSpark.storedRdd(stored.queryExecution().analyzed()).orElseThrow().id();
  }

  private java.util.Set<Integer> storedRdds() {
    java.util.Set<Integer> ids = new java.util.HashSet<>();
    for (org.apache.spark.storage.RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
      ids.add(info.id());
    }
    return ids;
  }

  /** Unpersisting without blocking: the block manager drops the blocks shortly after. */
  private void waitUntilFreed(Dataset<Row> stored) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (storedRdds().contains(rddId(stored)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(storedRdds()).doesNotContain(rddId(stored));
  }

  private String joinWithBig(Dataset<Row> small) {
    Dataset<Row> other = spark.range(0, 3_000_000).toDF("id");
    return other.join(small, "id").queryExecution().executedPlan().toString();
  }
}
