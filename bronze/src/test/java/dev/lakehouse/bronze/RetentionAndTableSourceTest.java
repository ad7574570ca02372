package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.core.testing.StreamStarts;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Rows leave bronze only by an explicit retention; another team's table is ingested incrementally. */
class RetentionAndTableSourceTest {

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void retentionDeletesRowsIngestedLongerAgoFromTheTableAndItsQuarantine(String format) throws Exception {
    Bronze t = Bronze.table("kept_" + format, format, """
        source { type = files, format = csv, path = landing/kept, schema = "id INT, name STRING", options { header = "true" } }
        retention = 3 seconds
        """);
    Path landing = t.landing("landing/kept");
    Bronze.land(landing, "a.csv", "id,name\n1,a\n2,b\nnot-a-number,c\n");
    assertThat(t.run().error()).isEmpty();
    assertThat(t.rows().count()).isEqualTo(2);
    assertThat(t.quarantined().count()).isEqualTo(1);

    Path copy = SharedSpark.newDir("downstream-" + format);
    copyNewRows(t, copy);
    assertThat(SharedSpark.session().read().parquet(copy.resolve("rows").toString()).count()).isEqualTo(2);

    Thread.sleep(4000);
    Bronze.land(landing, "b.csv", "id,name\n3,c\n4,d\n");
    TableRunResult second = t.run();
    assertThat(second.error()).isEmpty();
    assertThat(t.rows().orderBy("id").collectAsList()).extracting(r -> r.<Integer>getAs("id")).containsExactly(3, 4);
    assertThat(t.quarantined().count()).isZero();

    // A reader downstream takes the deleting commit as no new rows, and does not fail on it.
    copyNewRows(t, copy);
    assertThat(SharedSpark.session().read().parquet(copy.resolve("rows").toString()).orderBy("id").collectAsList())
        .extracting(r -> r.<Integer>getAs("id")).containsExactly(1, 2, 3, 4);
  }

  /** A downstream reader: the table's new rows since its last call, appended to parquet files. */
  private static void copyNewRows(Bronze t, Path dir) throws Exception {
    new BronzeIngest(t.spec).target().readStream(SharedSpark.session()).select("id").writeStream()
        .format("parquet").option("path", dir.resolve("rows").toString())
        .option("checkpointLocation", dir.resolve("checkpoint").toString())
        .trigger(Trigger.AvailableNow()).start().awaitTermination();
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aTableOutsideThePipelineIsIngestedIncrementally(String format) throws Exception {
    SparkSession spark = SharedSpark.session();
    Path external = SharedSpark.newDir("external-" + format).resolve("orders");
    Dataset<Row> first = spark.sql("SELECT id, concat('order ', id) AS name FROM range(0, 5)");
    write(first, format, external, SaveMode.Overwrite);
    Bronze t = Bronze.table("from_table_" + format, format, """
        source { type = table, format = %s, path = "%s" }
        """.formatted(format, external));
    StreamStarts starts = new StreamStarts(t.spec.name().toString());
    spark.streams().addListener(starts);
    try {
      TableRunResult one = t.run();
      assertThat(one.error()).isEmpty();
      assertThat(t.rows().count()).isEqualTo(5);
      assertThat(starts.take()).isEqualTo(1);

      // Its stream has read the table's newest version: the next run starts none, and writes nothing.
      TableRunResult idle = t.run();
      assertThat(idle.error()).isEmpty();
      assertThat(idle.batches()).isZero();
      assertThat(idle.changedTable()).isFalse();
      assertThat(starts.take()).isZero();

      write(spark.sql("SELECT id, concat('order ', id) AS name FROM range(5, 8)"), format, external, SaveMode.Append);
      TableRunResult two = t.run();
      assertThat(two.error()).isEmpty();
      assertThat(two.rowsWritten()).isEqualTo(3);
      assertThat(starts.take()).isEqualTo(1);
      List<Row> rows = t.rows().orderBy("id").collectAsList();
      assertThat(rows).extracting(r -> r.<Long>getAs("id")).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
      assertThat(rows.get(0).<String>getAs("_source")).isEqualTo(format + ":" + external);
    } finally {
      spark.streams().removeListener(starts);
    }
  }

  /**
   * A Delta table written elsewhere records no change data feed (Delta's default): its appended
   * rows are read with the plain Delta source (before, every run failed reading the feed), a commit
   * that changed rows stops the run with what to do, and after that advice the feed is read.
   */
  @Test
  void aDeltaTableWithoutChangeFeedIsReadByItsAppendsAndAChangeSaysHowToReadIt() throws Exception {
    SparkSession spark = SharedSpark.session();
    Path external = SharedSpark.newDir("external-no-feed").resolve("orders");
    String feedDefault = "spark.databricks.delta.properties.defaults.enableChangeDataFeed";
    spark.conf().set(feedDefault, "false"); // as another team's session writes it
    try {
      write(spark.sql("SELECT id, concat('order ', id) AS name FROM range(0, 5)"), "delta", external, SaveMode.Overwrite);
    } finally {
      spark.conf().set(feedDefault, "true");
    }
    Bronze t = Bronze.table("without_feed", "delta", """
        source { type = table, format = delta, path = "%s" }
        """.formatted(external));
    assertThat(t.run().error()).isEmpty();
    write(spark.sql("SELECT id, concat('order ', id) AS name FROM range(5, 8)"), "delta", external, SaveMode.Append);
    assertThat(t.run().rowsWritten()).isEqualTo(3);
    assertThat(t.rows().count()).isEqualTo(8);

    String table = "delta.`" + external + "`";
    spark.sql("UPDATE " + table + " SET name = 'changed' WHERE id = 1");
    TableRunResult changed = t.run();
    assertThat(changed.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(changed.error().orElseThrow()).contains("[DELTA_SOURCE_TABLE_IGNORE_CHANGES]", "at version 2.",
        "The source table is at file:" + external + ".", "ALTER TABLE delta.`file:" + external + "` SET TBLPROPERTIES",
        "then run bronze.without_feed with --full-refresh");
    assertThat(t.rows().count()).isEqualTo(8);

    spark.sql("ALTER TABLE " + table + " SET TBLPROPERTIES (delta.enableChangeDataFeed = true)");
    TableRunResult behind = t.run(); // its stream stands at version 2, which recorded no feed
    assertThat(behind.error().orElseThrow()).contains("[DELTA_MISSING_CHANGE_DATA]",
        "run bronze.without_feed with --full-refresh to read the table anew");
    TableRunResult anew = t.run(true);
    assertThat(anew.error()).isEmpty();
    spark.sql("UPDATE " + table + " SET name = 'changed again' WHERE id = 2");
    assertThat(t.run().rowsWritten()).isEqualTo(1);
    assertThat(t.rows().where("id = 1").collectAsList()).extracting(r -> r.<String>getAs("name")).containsExactly("changed");
    assertThat(t.rows().where("id = 2").collectAsList()).extracting(r -> r.<String>getAs("name"))
        .containsExactlyInAnyOrder("order 2", "changed again");
    assertThat(t.rows().count()).isEqualTo(9);
  }

  /** A column retyped at the source (an overwrite with a new schema): the run stops, saying how to go on. */
  @Test
  void aColumnRetypedAtTheSourceStopsTheRunWithTheWayOn() throws Exception {
    SparkSession spark = SharedSpark.session();
    Path external = SharedSpark.newDir("external-retyped").resolve("orders");
    write(spark.sql("SELECT id, id * 2 AS qty FROM range(0, 5)"), "delta", external, SaveMode.Overwrite);
    Bronze t = Bronze.table("retyped", "delta", """
        source { type = table, format = delta, path = "%s" }
        """.formatted(external));
    assertThat(t.run().error()).isEmpty();
    spark.sql("SELECT id, concat(id * 2, ' pcs') AS qty FROM range(5, 7)").write().format("delta").mode(SaveMode.Overwrite)
        .option("overwriteSchema", "true").save(external.toString());
    TableRunResult retyped = t.run();
    assertThat(retyped.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(retyped.error().orElseThrow()).startsWith("[DELTA_SCHEMA_CHANGED").contains(
        "a column dropped, renamed or retyped", "Run bronze.retyped with --full-refresh to read the source anew");
    assertThat(t.rows().count()).isEqualTo(5);
    assertThat(t.run(true).error()).isEmpty();
    assertThat(t.rows().collectAsList()).extracting(r -> r.<String>getAs("qty")).containsExactlyInAnyOrder("10 pcs", "12 pcs");
  }

  /** Written the way another team would: plain Spark, no framework. */
  private static void write(Dataset<Row> rows, String format, Path path, SaveMode mode) {
    var w = rows.write().format(format).mode(mode);
    if (format.equals("hudi")) {
      w = w.option("hoodie.table.name", "orders").option("hoodie.datasource.write.recordkey.field", "id")
          .option("hoodie.datasource.write.operation", "insert")
          .option("hoodie.datasource.write.keygenerator.class", "org.apache.hudi.keygen.NonpartitionedKeyGenerator");
    }
    w.save(path.toString());
  }
}
