package dev.lakehouse.core.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.MaintenanceResult;
import dev.lakehouse.core.spec.Maintenance;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.Snapshot;
import org.junit.jupiter.api.Test;

/**
 * A system table gathers a small file per append; the appender compacts them once they are as many
 * as Delta's auto compaction would wait for, and every row stays once. A table an earlier version
 * made with Delta's auto compaction on is switched off it when registered (its hook costs a Spark
 * job per append).
 */
class SystemTableTest {
  /** Delta's threshold is 50 small files; a lower one keeps the test short. */
  private static final String MIN_FILES = SystemTable.MIN_FILES;

  @Test
  void appendsAreCompactedAsTheyGatherAndATableMadeWithAutoCompactionIsSwitchedOff() {
    SparkSession spark = SharedSpark.session();
    spark.conf().set(MIN_FILES, "4");
    try {
      SystemTable made = new SystemTable(spark, "_lakehouse_test.made", SharedSpark.newDir("system-made").toString());
      List<Long> files = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        made.append(rows(spark, i));
        files.add(snapshot(spark, made).allFiles().count());
      }
      // 1, 2, 3, then 4 compacted into 1, ...: never 4 files after an append.
      assertThat(files).as("files after each append").startsWith(1L, 2L, 3L).allSatisfy(n -> assertThat(n).isLessThan(4));
      assertThat(snapshot(spark, made).metadata().configuration().contains(SystemTable.AUTO_COMPACT)).isFalse();
      assertThat(spark.table("_lakehouse_test.made").selectExpr("count(*)", "count(DISTINCT id)", "sum(id)").head().toString())
          .isEqualTo("[10,10,45]");

      // A table the previous version made, with Delta's auto compaction on (3 files: under its threshold).
      String old = SharedSpark.newDir("system-old").toString();
      rows(spark, 0).write().format("delta").option(SystemTable.AUTO_COMPACT, "true").save(old);
      for (int i = 1; i < 3; i++) {
        rows(spark, i).write().format("delta").mode("append").save(old);
      }
      SystemTable before = new SystemTable(spark, "_lakehouse_test.old", old);
      assertThat(snapshot(spark, before).metadata().configuration().get(SystemTable.AUTO_COMPACT).get()).isEqualTo("true");
      before.register();
      assertThat(snapshot(spark, before).metadata().configuration().contains(SystemTable.AUTO_COMPACT)).as("switched off").isFalse();
      before.append(rows(spark, 3));
      assertThat(snapshot(spark, before).allFiles().count()).as("files once registered and appended to").isLessThan(4);
      assertThat(spark.table("_lakehouse_test.old").selectExpr("count(*)", "count(DISTINCT id)").head().toString())
          .isEqualTo("[4,4]");
    } finally {
      spark.conf().unset(MIN_FILES);
    }
  }

  /**
   * The files the appends' compactions replaced stay for time travel until maintained: a dry run deletes
   * none, maintenance with no history kept deletes every one, and the rows stay.
   */
  @Test
  void maintenanceDeletesTheFilesCompactionReplaced() throws Exception {
    SparkSession spark = SharedSpark.session();
    spark.conf().set(MIN_FILES, "4");
    SystemTable table = new SystemTable(spark, "_lakehouse_test.maintained", SharedSpark.newDir("system-maintained").toString());
    try {
      for (int i = 0; i < 10; i++) {
        table.append(rows(spark, i));
      }
    } finally {
      spark.conf().unset(MIN_FILES);
    }
    long live = snapshot(spark, table).allFiles().count();
    long onDisk = parquetFiles(table);
    assertThat(onDisk).as("files on disk, the replaced ones included").isGreaterThanOrEqualTo(10);
    Maintenance noHistory = new Maintenance(java.time.Duration.ZERO, true, List.of(), java.time.Duration.ZERO);

    MaintenanceResult dry = table.maintain(noHistory, true).orElseThrow();
    assertThat(dry.filesDeleted()).isEqualTo(onDisk - live);
    assertThat(parquetFiles(table)).isEqualTo(onDisk);

    MaintenanceResult done = table.maintain(noHistory, false).orElseThrow();
    assertThat(done.filesDeleted()).isPositive();
    assertThat(parquetFiles(table)).as("files on disk after").isEqualTo(snapshot(spark, table).allFiles().count()).isLessThan(4);
    assertThat(spark.read().format("delta").load(table.location()).selectExpr("count(*)", "count(DISTINCT id)", "sum(id)")
        .head().toString()).isEqualTo("[10,10,45]");
    assertThat(new SystemTable(spark, "_lakehouse_test.never", SharedSpark.newDir("system-never").toString())
        .maintain(noHistory, false)).as("a table no run has written").isEmpty();
  }

  private static long parquetFiles(SystemTable table) throws java.io.IOException {
    try (var files = java.nio.file.Files.walk(java.nio.file.Path.of(table.location()))) {
      return files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")).count();
    }
  }

  private static Dataset<Row> rows(SparkSession spark, long id) {
    List<Long> ids = new ArrayList<>(List.of(id));
    return spark.createDataset(ids, org.apache.spark.sql.Encoders.LONG()).toDF("id");
  }

  private static Snapshot snapshot(SparkSession spark, SystemTable table) {
    return DeltaLog.forTable(spark, table.location()).update(false, scala.Option.empty(), scala.Option.empty());
  }
}
