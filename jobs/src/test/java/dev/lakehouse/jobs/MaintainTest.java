package dev.lakehouse.jobs;

import static dev.lakehouse.jobs.SalesPipeline.assertSameRows;
import static dev.lakehouse.jobs.SalesPipeline.assertSucceeded;
import static dev.lakehouse.jobs.SalesPipeline.customers;
import static dev.lakehouse.jobs.SalesPipeline.order;
import static dev.lakehouse.jobs.SalesPipeline.query;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.TableLease;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.cli.LakehouseMain;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import dev.lakehouse.jobs.pipeline.TableMaintenance;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/lakehouse maintain} with no history kept ({@code keep-history = 0s}): Delta's VACUUM
 * would delete every replaced file at once, among them the files a stream that is behind and the
 * incremental gold tables not yet refreshed still need. Maintenance must keep exactly those (the
 * stream then reads on and the gold tables refresh incrementally, equal to their queries), and
 * delete them once their readers have moved on.
 */
class MaintainTest {
  private static final Map<String, String> GOLD = Map.of(
      "gold.customer_daily_incremental", query("vars.customer-daily"),
      "gold.region_spend_incremental", query("vars.region-spend"));

  @Test
  void keepsWhatReadersBehindNeedAndDeletesItOnceTheyMovedOn() throws Exception {
    Path root = SharedSpark.newDir("maintain");
    Pipeline p = SalesPipeline.open(root, "pipeline.format=delta", "lakehouse.maintenance.keep-history=0s");
    String[] goldWithUpstream = GOLD.keySet().stream().map(t -> "+" + t).toArray(String[]::new);
    List<String> orders = new ArrayList<>();
    for (long id = 1; id <= 40; id++) {
      orders.add(order(id, 1 + id % 12, 1 + id % 20, 10 + id, 1));
    }
    JsonDrops.land(root, "orders", 1, orders);
    JsonDrops.land(root, "customers", 1, customers());
    assertSucceeded(p.run(goldWithUpstream));

    // The gold tables fall behind silver.orders (two upserts that replace files), and silver.orders
    // behind bronze.orders (a drop it has not read).
    for (int drop = 2; drop <= 3; drop++) {
      JsonDrops.land(root, "orders", drop, updates(drop));
      assertSucceeded(p.run("+silver.orders"));
    }
    JsonDrops.land(root, "orders", 4, List.of(order(41, 2, 9, 70, 4), order(3, 4, 5, 333, 4)));
    assertSucceeded(p.run("bronze.orders"));

    // A dry run changes nothing and records nothing.
    long bronzeFiles = SalesPipeline.parquetFiles(root.resolve("bronze/orders"));
    long silverFiles = SalesPipeline.parquetFiles(root.resolve("silver/orders"));
    Optional<TableVersion> silverVersion = p.version("silver.orders");
    List<TableMaintenance.Outcome> dry = new ArrayList<>();
    assertAllSucceeded(p.maintain(List.of("silver.orders", "bronze.orders"), true, dry::add));
    assertThat(outcome(dry, "silver.orders").result().orElseThrow().filesKeptForReaders()).isPositive();
    assertThat(SalesPipeline.parquetFiles(root.resolve("bronze/orders"))).isEqualTo(bronzeFiles);
    assertThat(SalesPipeline.parquetFiles(root.resolve("silver/orders"))).isEqualTo(silverFiles);
    assertThat(p.version("silver.orders")).isEqualTo(silverVersion);
    assertThat(dry).extracting(TableMaintenance.Outcome::table).as("selected tables only").noneMatch(t -> t.startsWith("_lakehouse"));

    // Two quality reports (these runs check no expectation, so none of their own): one older than
    // keep-reports (90 days by default), one of today.
    Path reports = java.nio.file.Files.createDirectories(root.resolve("_lakehouse/reports"));
    Path oldReport = java.nio.file.Files.writeString(reports.resolve("quality-20260101-000000-aaaa.html"), "<html></html>");
    java.nio.file.Files.setLastModifiedTime(oldReport, java.nio.file.attribute.FileTime.from(
        java.time.Instant.now().minus(Duration.ofDays(100))));
    Path newReport = java.nio.file.Files.writeString(reports.resolve("quality-20261201-000000-bbbb.html"), "<html></html>");

    List<TableMaintenance.Outcome> first = new ArrayList<>();
    assertAllSucceeded(p.maintain(List.of(), false, first::add));
    // bronze.orders: its four drops compacted into one file; the four replaced files are what
    // silver.orders's stream, one drop behind, reads next: kept, however old.
    TableMaintenance.Outcome bronze = outcome(first, "bronze.orders");
    assertThat(bronze.result().orElseThrow().filesCompacted()).isGreaterThanOrEqualTo(4);
    assertThat(bronze.result().orElseThrow().filesKeptForReaders()).isPositive();
    assertThat(bronze.readers()).extracting(TableMaintenance.Reader::who).containsExactly("silver.orders's stream");
    // silver.orders: the files its upserts replaced, and their change data, are what the gold
    // tables read next.
    TableMaintenance.Outcome silver = outcome(first, "silver.orders");
    assertThat(silver.result().orElseThrow().filesKeptForReaders()).isPositive();
    assertThat(silver.readers()).extracting(TableMaintenance.Reader::who)
        .containsExactlyInAnyOrder("gold.customer_daily_incremental's last refresh", "gold.region_spend_incremental's last refresh");
    assertThat(silver.result().orElseThrow().kept()).isPositive();
    // silver.customers has no reader behind: nothing kept beyond keep-history (none).
    assertThat(outcome(first, "silver.customers").readers()).isEmpty();
    assertThat(outcome(first, "silver.customers").result().orElseThrow().kept()).isEqualTo(Duration.ZERO);
    // With every table, the quality reports older than keep-reports.
    assertThat(outcome(first, "_lakehouse/reports").kind()).isEqualTo(TableMaintenance.Kind.QUALITY_REPORTS);
    assertThat(outcome(first, "_lakehouse/reports").result().orElseThrow().filesDeleted()).isEqualTo(1);
    assertThat(oldReport).doesNotExist();
    assertThat(newReport).exists();

    // The readers read on: the stream from its checkpoint, the gold tables by their changes.
    RunReport caughtUp = p.run(goldWithUpstream);
    assertSucceeded(caughtUp);
    assertThat(p.table("silver.orders").where("order_id = 41").count()).isEqualTo(1);
    assertThat(p.table("silver.orders").where("order_id = 3").select("amount").first().getDecimal(0).intValue())
        .isEqualTo(333);
    for (Map.Entry<String, String> gold : GOLD.entrySet()) {
      Dataset<Row> expected = p.sql(gold.getValue());
      assertSameRows(gold.getKey(), p.table(gold.getKey()), expected);
      assertThat(caughtUp.table(gold.getKey()).rowsWritten()).as(gold.getKey() + " refreshed incrementally")
          .isLessThan(expected.count());
    }

    // Now nobody needs the replaced files: deleted, the gold tables' own included. (Without
    // compacting again: the files a compaction now replaced would be needed by the gold tables,
    // which may read their sources as they were, and VACUUM's retention, a time, whole hours,
    // would keep every file younger than those.)
    long before = SalesPipeline.parquetFiles(root.resolve("silver/orders")) + SalesPipeline.parquetFiles(root.resolve("bronze/orders"));
    List<TableMaintenance.Outcome> second = new ArrayList<>();
    Pipeline cleanOnly = SalesPipeline.open(root, "pipeline.format=delta",
        "lakehouse.maintenance.keep-history=0s", "lakehouse.maintenance.optimize=false", "lakehouse.maintenance.keep-reports=0s");
    assertAllSucceeded(cleanOnly.maintain(List.of(), false, second::add));
    assertThat(second).allSatisfy(o -> assertThat(o.readers()).as(o.table().toString()).isEmpty());
    assertThat(outcome(second, "bronze.orders").result().orElseThrow().filesDeleted()).isPositive();
    assertThat(outcome(second, "silver.orders").result().orElseThrow().filesDeleted()).isPositive();
    assertThat(outcome(second, "gold.customer_daily_incremental").result().orElseThrow().filesDeleted()).isPositive();
    assertThat(outcome(second, "_lakehouse/reports").result().orElseThrow().filesDeleted()).isEqualTo(1);
    assertThat(newReport).doesNotExist();
    // With every table, the run log too: its runs' files compacted into one, and (no reader, no
    // history kept) the replaced ones deleted at once.
    org.apache.spark.sql.delta.DeltaLog runLog = org.apache.spark.sql.delta.DeltaLog.forTable(p.spark(), root.resolve("_lakehouse/runs").toString());
    var runs = outcome(first, "_lakehouse.runs").result().orElseThrow();
    assertThat(runs.filesCompacted()).isGreaterThan(1);
    assertThat(runs.filesDeleted()).isGreaterThanOrEqualTo(runs.filesCompacted());
    assertThat(SalesPipeline.parquetFiles(root.resolve("_lakehouse/runs")))
        .isEqualTo(runLog.update(false, scala.Option.empty(), scala.Option.empty()).allFiles().count());
    assertThat(SalesPipeline.parquetFiles(root.resolve("silver/orders")) + SalesPipeline.parquetFiles(root.resolve("bronze/orders"))).isLessThan(before);

    // A run with no new input writes nothing: maintenance commits are no change, and a gold table
    // still knows, past its VACUUM's commits, which source versions its rows come from.
    Map<String, Optional<TableVersion>> goldVersions = new java.util.HashMap<>();
    GOLD.keySet().forEach(t -> goldVersions.put(t, p.version(t)));
    RunReport nothingNew = p.run(goldWithUpstream);
    assertSucceeded(nothingNew);
    GOLD.keySet().forEach(t -> assertThat(p.version(t)).as(t).isEqualTo(goldVersions.get(t)));

    // And the pipeline goes on, incrementally and right.
    JsonDrops.land(root, "orders", 5, List.of(order(7, 8, 3, 999, 5)));
    RunReport next = p.run(goldWithUpstream);
    assertSucceeded(next);
    for (Map.Entry<String, String> gold : GOLD.entrySet()) {
      Dataset<Row> expected = p.sql(gold.getValue());
      assertSameRows(gold.getKey(), p.table(gold.getKey()), expected);
      assertThat(next.table(gold.getKey()).rowsWritten()).as(gold.getKey()).isLessThan(expected.count());
    }

    // Every maintained table is in the run log, mode maintain.
    assertThat(p.sql("SELECT DISTINCT table_name FROM _lakehouse.runs WHERE mode = 'maintain' AND status = 'succeeded'")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .contains("bronze.orders", "silver.orders", "silver.customers", "gold.customer_daily_incremental");
  }

  /**
   * From the command line: a table whose run holds its lease is not maintained (its OPTIMIZE could
   * fail the run's commit), the others are, and the exit code says one failed.
   */
  @Test
  void aTableBeingRunIsLeftForNextTime() throws Exception {
    Path root = SharedSpark.newDir("maintain-leased");
    Pipeline p = SalesPipeline.open(root, "pipeline.format=delta");
    JsonDrops.land(root, "orders", 1, List.of(order(1, 1, 1, 10, 1)));
    JsonDrops.land(root, "orders", 2, List.of(order(2, 1, 1, 20, 1)));
    assertSucceeded(p.run("+silver.orders"));
    String checkpoint = p.spec().table(TableName.parse("silver.orders")).checkpoint();
    String out;
    try (TableLease held = TableLease.acquire(p.spark().sparkContext().hadoopConfiguration(), TableName.parse("silver.orders"),
        checkpoint, "another-run", Duration.ofMinutes(2))) {
      out = EventsPipelineTest.captureOut(() -> LakehouseMain.execute("maintain", "--tables", "bronze.orders,silver.orders",
          "--conf", SalesPipeline.CONF.toString(), "--set", "lakehouse.root=" + root, "--set", "pipeline.format=delta"), 1);
    }
    assertThat(out).contains("[maintained] bronze.orders: compacted 2 files into 1; deleted 0 unreferenced file(s) older than 7 days")
        .contains("[failed]     silver.orders: Cannot maintain silver.orders now, left for next time: Cannot run silver.orders:"
            + " run another-run");
    assertThat(p.sql("SELECT table_name, status FROM _lakehouse.runs WHERE mode = 'maintain'").collectAsList())
        .extracting(Row::toString).containsExactlyInAnyOrder("[bronze.orders,succeeded]", "[silver.orders,failed]");
    // The catalog's latest run of a table is its last run, not its maintenance.
    Path docs = root.resolve("docs");
    EventsPipelineTest.captureOut(() -> LakehouseMain.execute("docs", "--out", docs.toString(),
        "--conf", SalesPipeline.CONF.toString(), "--set", "lakehouse.root=" + root, "--set", "pipeline.format=delta"));
    String html = java.nio.file.Files.readString(docs.resolve("index.html"));
    String bronze = html.substring(html.indexOf("id=\"bronze-orders\""), html.indexOf("</section>", html.indexOf("id=\"bronze-orders\"")));
    assertThat(bronze).containsPattern("latest run</th><td><span class=\"badge succeeded\">succeeded</span> [^<]* · 2 rows read · 2 written");
  }

  /**
   * {@code maintenance.every}: a table maintained less than that ago is left alone (no commit, no
   * run log row), a table whose own block says {@code 0s} is maintained each time, {@code --force}
   * maintains anyway, and {@code --all} leaves the system tables alone when no pipeline table was due.
   */
  @Test
  void aTableMaintainedLessThanEveryAgoIsLeftAlone() throws Exception {
    Path root = SharedSpark.newDir("maintain-every");
    List<String> cli = List.of("--conf", SalesPipeline.CONF.toString(), "--set", "lakehouse.root=" + root,
        "--set", "pipeline.format=delta", "--set", "lakehouse.maintenance.every=1 day");
    Pipeline p = SalesPipeline.open(root, "pipeline.format=delta");
    JsonDrops.land(root, "orders", 1, List.of(order(1, 1, 1, 10, 1)));
    JsonDrops.land(root, "orders", 2, List.of(order(2, 1, 1, 20, 1)));
    assertSucceeded(p.run("+silver.orders"));
    assertThat(maintain(cli, "--all")).contains("[maintained] bronze.orders: compacted 2 files into 1;")
        .contains("[maintained] silver.orders:").contains("[maintained] _lakehouse.runs:");

    JsonDrops.land(root, "orders", 3, List.of(order(3, 1, 1, 30, 1)));
    assertSucceeded(p.run("+silver.orders"));
    Optional<TableVersion> bronze = p.version("bronze.orders");
    String notDue = maintain(cli, "--all");
    assertThat(notDue).containsPattern("\\[not due\\]    bronze.orders: maintained \\d+ minutes ago, every 24 hours"
        + " \\(maintenance.every\\); due in 23 hours, or now with --force")
        .contains("[not due]    silver.orders:").doesNotContain("[maintained]").doesNotContain("_lakehouse");
    assertThat(p.version("bronze.orders")).isEqualTo(bronze);

    List<String> silverEachTime = new ArrayList<>(cli);
    silverEachTime.addAll(List.of("--set", "pipeline.tables.silver.orders.maintenance.every=0s"));
    assertThat(maintain(silverEachTime, "--all")).contains("[not due]    bronze.orders:").contains("[maintained] silver.orders:")
        .contains("[maintained] _lakehouse.runs:");
    assertThat(p.version("bronze.orders")).isEqualTo(bronze);

    assertThat(maintain(cli, "--tables", "bronze.orders", "--force")).contains("[maintained] bronze.orders: compacted 2 files into 1;");
    assertThat(p.sql("SELECT table_name, count(*) FROM _lakehouse.runs WHERE mode = 'maintain' GROUP BY table_name")
        .collectAsList()).extracting(Row::toString).containsExactlyInAnyOrder("[bronze.orders,2]", "[silver.orders,2]");
  }

  private static String maintain(List<String> cli, String... selection) throws Exception {
    List<String> args = new ArrayList<>(List.of("maintain"));
    args.addAll(List.of(selection));
    args.addAll(cli);
    return EventsPipelineTest.captureOut(() -> LakehouseMain.execute(args.toArray(String[]::new)));
  }

  /** Hudi cleans itself at each commit: maintenance says so and writes nothing. */
  @Test
  void hudiTablesCleanThemselves() throws Exception {
    Path root = SharedSpark.newDir("maintain-hudi");
    Pipeline p = SalesPipeline.open(root, "pipeline.format=hudi");
    JsonDrops.land(root, "orders", 1, List.of(order(1, 1, 1, 10, 1)));
    assertSucceeded(p.run("bronze.orders"));
    Optional<TableVersion> version = p.version("bronze.orders");
    List<TableMaintenance.Outcome> outcomes = new ArrayList<>();
    assertAllSucceeded(p.maintain(List.of("bronze.orders"), false, outcomes::add));
    assertThat(outcome(outcomes, "bronze.orders").result().orElseThrow().nothingToDo())
        .hasValueSatisfying(why -> assertThat(why).contains("hoodie.clean.commits.retained"));
    assertThat(p.version("bronze.orders")).isEqualTo(version);
  }

  private static TableMaintenance.Outcome outcome(List<TableMaintenance.Outcome> outcomes, String table) {
    return outcomes.stream().filter(o -> o.table().toString().equals(table)).findFirst()
        .orElseThrow(() -> new AssertionError(table + " not maintained: " + outcomes));
  }

  private static void assertAllSucceeded(List<TableRunResult> results) {
    assertThat(results).isNotEmpty().allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(TableRunResult.Status.SUCCEEDED));
  }

  /** Five orders updated. */
  private static List<String> updates(int drop) {
    List<String> updates = new ArrayList<>();
    for (long id = drop * 10; id < drop * 10 + 5; id++) {
      updates.add(order(id, 1 + id % 12, 1 + id % 20, 500 + id, drop));
    }
    return updates;
  }
}
