package dev.lakehouse.jobs;

import static dev.lakehouse.jobs.SalesPipeline.assertSameRows;
import static dev.lakehouse.jobs.SalesPipeline.assertSucceeded;
import static dev.lakehouse.jobs.SalesPipeline.customers;
import static dev.lakehouse.jobs.SalesPipeline.order;
import static dev.lakehouse.jobs.SalesPipeline.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An incremental gold table whose source's history was cleaned (Delta {@code VACUUM}, Hudi's
 * cleaner) since its last refresh: the changes since then, and the source as it was, can no longer
 * be read. The refresh must notice before reading them and refresh in full, equal to its query,
 * instead of failing on a missing file or, where the format reads around it, giving a wrong answer.
 */
class CleanedHistoryTest {
  /** Merged partial aggregates of one table, of a join (which reads the orders as they were), and by key. */
  private static final Map<String, String> GOLD = Map.of(
      "gold.customer_daily_incremental", query("vars.customer-daily"),
      "gold.region_spend_incremental", query("vars.region-spend"),
      "gold.region_r0_daily_incremental", query("vars.region-r0-daily"));

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aRefreshAfterTheSourcesHistoryWasCleanedRecomputesInFull(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("cleaned-" + format.id());
    Pipeline p = SalesPipeline.open(root, "pipeline.format=" + format.id());
    List<String> orders = new ArrayList<>();
    for (long id = 1; id <= 60; id++) {
      orders.add(order(id, 1 + id % 12, 1 + id % 20, 10 + id, 1));
    }
    JsonDrops.land(root, "orders", 1, orders);
    JsonDrops.land(root, "customers", 1, customers());
    assertSucceeded(p.run(GOLD.keySet().stream().map(t -> "+" + t).toArray(String[]::new)));

    // Two upserts of silver.orders the gold tables do not see yet: each rewrites the files of the
    // orders it updates (the old ones stay for time travel), and on Delta writes change files.
    for (int drop = 2; drop <= 3; drop++) {
      List<String> updates = new ArrayList<>();
      for (long id = drop * 10; id < drop * 10 + 5; id++) {
        updates.add(order(id, 1 + id % 12, 1 + id % 20, 500 + id, drop));
      }
      JsonDrops.land(root, "orders", drop, updates);
      assertSucceeded(p.run("+silver.orders"));
    }
    long removed = cleanHistory(p.spark(), format, root.resolve("silver/orders"));
    assertThat(removed).as("files the cleanup removed").isPositive();

    RunReport refresh = p.run(GOLD.keySet().toArray(String[]::new));
    assertSucceeded(refresh);
    for (Map.Entry<String, String> gold : GOLD.entrySet()) {
      Dataset<Row> expected = p.sql(gold.getValue());
      assertSameRows(gold.getKey(), p.table(gold.getKey()), expected);
      // In full: every row written, where the two updates' orders reach a few of them.
      assertThat(refresh.table(gold.getKey()).rowsWritten()).as(gold.getKey()).isEqualTo(expected.count());
    }

    // The next refresh continues from the full one's versions: incremental again.
    JsonDrops.land(root, "orders", 4, List.of(order(7, 8, 3, 999, 4)));
    RunReport next = p.run(GOLD.keySet().stream().map(t -> "+" + t).toArray(String[]::new));
    assertSucceeded(next);
    for (Map.Entry<String, String> gold : GOLD.entrySet()) {
      Dataset<Row> expected = p.sql(gold.getValue());
      assertSameRows(gold.getKey(), p.table(gold.getKey()), expected);
      assertThat(next.table(gold.getKey()).rowsWritten()).as(gold.getKey()).isLessThan(expected.count());
    }
  }

  /**
   * Commits that only maintain a source (Delta's {@code OPTIMIZE}, and {@code VACUUM}, which
   * commits its start and end) change no row: no gold table refreshes, the full one included,
   * and none writes a version. The next real change refreshes them as before.
   */
  @org.junit.jupiter.api.Test
  void aSourcesMaintenanceCommitsRefreshNoGoldTable() throws Exception {
    Path root = SharedSpark.newDir("maintained");
    Pipeline p = SalesPipeline.open(root, "pipeline.format=delta");
    List<String> gold = new ArrayList<>(GOLD.keySet());
    gold.add("gold.region_daily_full");
    List<String> orders = new ArrayList<>();
    for (long id = 1; id <= 40; id++) {
      orders.add(order(id, 1 + id % 12, 1 + id % 20, 10 + id, 1));
    }
    JsonDrops.land(root, "orders", 1, orders);
    JsonDrops.land(root, "customers", 1, customers());
    String[] withUpstream = gold.stream().map(t -> "+" + t).toArray(String[]::new);
    assertSucceeded(p.run(withUpstream));
    JsonDrops.land(root, "orders", 2, List.of(order(41, 2, 3, 70, 2)));
    assertSucceeded(p.run(withUpstream)); // silver.orders gets a second file, for OPTIMIZE to compact
    Map<String, Optional<dev.lakehouse.core.format.TableVersion>> before = new java.util.HashMap<>();
    gold.forEach(t -> before.put(t, p.version(t)));
    String orders2 = root.resolve("silver/orders").toString();
    p.spark().sql("OPTIMIZE delta.`" + orders2 + "`").collect();
    p.spark().sql("VACUUM delta.`" + orders2 + "`").collect();

    RunReport maintained = p.run(gold.toArray(String[]::new));
    assertSucceeded(maintained);
    for (String t : gold) {
      assertThat(maintained.table(t).batches()).as(t).isZero();
      assertThat(p.version(t)).as(t).isEqualTo(before.get(t));
    }
    JsonDrops.land(root, "orders", 3, List.of(order(5, 3, 4, 80, 3), order(42, 1, 5, 90, 3)));
    RunReport next = p.run(withUpstream);
    assertSucceeded(next);
    assertThat(next.table("gold.region_daily_full").batches()).isPositive();
    for (Map.Entry<String, String> g : GOLD.entrySet()) {
      assertSameRows(g.getKey(), p.table(g.getKey()), p.sql(g.getValue()));
    }
  }

  /**
   * A silver table that fell behind its bronze source's cleanup: bronze's retention deleted rows
   * the silver stream had yet to read and the cleanup removed their files. On Delta its run fails
   * saying which file is gone and how to recover, and {@code --full-refresh} rebuilds it from what
   * bronze holds; on Hudi the stream reads on past the expired rows.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aStreamThatFellBehindItsSourcesCleanupFailsSayingHowToRecover(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("fell-behind-" + format.id());
    Pipeline p = SalesPipeline.open(root, "pipeline.format=" + format.id(), "pipeline.tables.bronze.orders.retention=1 ms");
    for (int drop = 1; drop <= 3; drop++) {
      JsonDrops.land(root, "orders", drop, List.of(order(drop, 1, drop, 10 * drop, drop), order(10 + drop, 2, drop, 5, drop)));
      // Each bronze run first deletes every row it holds (retention of 1 ms), then appends the drop.
      assertSucceeded(drop == 1 ? p.run("+silver.orders") : p.run("bronze.orders"));
    }
    cleanHistory(p.spark(), format, root.resolve("bronze/orders"));

    RunReport behind = p.run("silver.orders");
    if (format == FormatKind.HUDI) {
      // Hudi's incremental read shows the rows as they are now: drop 2's rows, expired before the
      // stream read them, are not there, and their cleaned files are not needed. Drop 1's rows,
      // read before they expired, stay (retention deletes from bronze only).
      assertSucceeded(behind);
      assertThat(p.table("silver.orders").select("order_id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList())
          .containsExactlyInAnyOrder(1L, 11L, 3L, 13L);
      return;
    }
    assertThat(behind.succeeded()).isFalse();
    assertThat(behind.table("silver.orders").error()).hasValueSatisfying(e -> assertThat(e)
        .contains("bronze/orders/", "does not exist", "VACUUM", "--full-refresh").doesNotContain("\n").hasSizeLessThan(600));

    RunReport rebuilt = p.run(List.of("silver.orders"), true, r -> {});
    assertSucceeded(rebuilt);
    assertThat(p.table("silver.orders").select("order_id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList())
        .containsExactlyInAnyOrder(3L, 13L);
  }

  /**
   * Removes what the source's history no longer needs at once: Delta's {@code VACUUM} keeping no
   * time travel, Hudi's cleaner keeping the newest commit. Returns the number of files removed.
   */
  private static long cleanHistory(SparkSession spark, FormatKind format, Path table) throws IOException {
    long before = SalesPipeline.parquetFiles(table);
    if (format == FormatKind.DELTA) {
      String check = "spark.databricks.delta.retentionDurationCheck.enabled";
      spark.conf().set(check, "false");
      try {
        spark.sql("VACUUM delta.`" + table + "` RETAIN 0 HOURS").collect();
      } finally {
        spark.conf().unset(check);
      }
    } else {
      spark.sql("CALL run_clean(table => '" + table.getParent().getFileName() + "._hudi_" + table.getFileName()
          + "', retain_commits => 1)").collect();
    }
    return before - SalesPipeline.parquetFiles(table);
  }
}
