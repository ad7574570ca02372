package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunResult.Status;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.cli.LakehouseMain;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import dev.lakehouse.jobs.pipeline.StreamingRun;
import dev.lakehouse.quality.ExpectationQuarantine;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Scenarios on a small pipeline: dedupe by sequence, failure isolation, stream mode, the command line. */
class EventsPipelineTest {
  static final Path CONF = Path.of("src/test/resources/pipelines/events.conf");

  static ConfigLayers.Request request(Path root, FormatKind format) {
    return new ConfigLayers.Request(CONF, Optional.empty(),
        List.of("pipeline.format=" + format.id(), "lakehouse.stream.trigger-interval=1s"),
        Map.of("LAKEHOUSE_ROOT", root.toString()));
  }

  static void land(Path root, String file, String... lines) throws IOException {
    Path dir = Files.createDirectories(root.resolve("landing/events"));
    Path tmp = dir.resolve("." + file);
    Files.writeString(tmp, "id,kind,amount,ts\n" + String.join("\n", lines) + "\n");
    Files.move(tmp, dir.resolve(file));
  }

  static List<String> rows(Pipeline p, String sql) {
    return p.sql(sql).collectAsList().stream().map(r -> r.mkString("|")).toList();
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void newestEventPerKeyWinsAndAFailedTableSkipsOnlyItsDownstream(FormatKind format) throws IOException {
    Path root = SharedSpark.newDir("events-" + format.id());
    Pipeline p = Lakehouse.open(request(root, format), SharedSpark.session());
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00", "1,book,12.00,2024-01-01 11:00:00", "2,pen,1.50,2024-01-01 10:00:00");
    RunReport first = p.run(List.of(), false, r -> {});

    assertThat(first.table("bronze.events").status()).isEqualTo(Status.SUCCEEDED);
    assertThat(first.table("silver.broken").status()).isEqualTo(Status.FAILED);
    assertThat(first.table("silver.broken").error().orElseThrow()).contains("no_such_column");
    assertThat(first.table("gold.broken_totals").status()).isEqualTo(Status.SKIPPED);
    assertThat(first.table("gold.broken_totals").error().orElseThrow()).contains("upstream silver.broken did not succeed");
    assertThat(first.table("gold.totals").status()).isEqualTo(Status.SUCCEEDED);
    assertThat(rows(p, "SELECT id, amount FROM silver.events ORDER BY id")).containsExactly("1|12.00", "2|1.50");

    // a late event (older ts) must not replace the stored newer one; a newer one must
    land(root, "2.csv", "1,book,99.00,2024-01-01 09:00:00", "2,pen,2.50,2024-01-02 10:00:00", "3,ink,4.00,2024-01-02 10:00:00");
    RunReport second = p.run("bronze.events", "silver.events+");
    assertThat(second.succeeded()).isTrue();
    assertThat(second.tables()).extracting(r -> r.table().toString())
        .containsExactly("bronze.events", "silver.events", "gold.totals");
    assertThat(second.table("bronze.events").rowsRead()).isEqualTo(3);
    assertThat(rows(p, "SELECT id, amount FROM silver.events ORDER BY id")).containsExactly("1|12.00", "2|2.50", "3|4.00");
    assertThat(rows(p, "SELECT kind, amount, n FROM gold.totals ORDER BY kind"))
        .containsExactly("book|12.00|1", "ink|4.00|1", "pen|2.50|1");
    assertThat(p.table("bronze.events").count()).isEqualTo(6); // bronze keeps every record

    // the run log: a row per table run, queryable with SQL
    assertThat(rows(p, "SELECT table_name, status, rows_read, length(spec_hash) FROM _lakehouse.runs WHERE run_id = '"
        + second.runId() + "' ORDER BY table_name"))
        .containsExactly("bronze.events|succeeded|3|16", "gold.totals|succeeded|" + second.table("gold.totals").rowsRead() + "|16",
            "silver.events|succeeded|3|16");
    assertThat(rows(p, "SELECT source_versions['bronze.events'], target_version FROM _lakehouse.runs WHERE run_id = '"
        + second.runId() + "' AND table_name = 'silver.events'"))
        .containsExactly(p.version("bronze.events").orElseThrow() + "|" + p.version("silver.events").orElseThrow());
    assertThat(rows(p, "SELECT status, error LIKE '%no_such_column%' FROM _lakehouse.runs WHERE run_id = '"
        + first.runId() + "' AND table_name IN ('silver.broken', 'gold.broken_totals') ORDER BY table_name"))
        .containsExactly("skipped|false", "failed|true");

    // A statement of the format's own grammar, which Spark's plain parser (used to find the tables
    // a query names) cannot read, runs in the session: it failed with the plain parser's error.
    String own = format == FormatKind.DELTA ? "VACUUM silver.events" : "CALL show_commits(table => 'silver._hudi_events', limit => 1)";
    assertThat(p.sql(own).collectAsList()).isNotEmpty();

    // A pipeline opened later registers a table in the session when a query names it, not at open;
    // not when the query names only other tables (the run log), and every table for a statement
    // that names none.
    dev.lakehouse.core.format.LakehouseTable.unregister(SharedSpark.session(), "gold.totals");
    Pipeline reopened = Lakehouse.open(request(root, format), SharedSpark.session());
    assertThat(SharedSpark.session().catalog().tableExists("gold.totals")).isFalse();
    assertThat(rows(reopened, "SELECT count(DISTINCT run_id) FROM _lakehouse.runs")).hasSize(1);
    assertThat(SharedSpark.session().catalog().tableExists("gold.totals")).as("after a query of the run log").isFalse();
    assertThat(rows(reopened, "SELECT count(*) FROM spark_catalog.Gold.TOTALS")).containsExactly(String.valueOf(p.table("gold.totals").count()));
    dev.lakehouse.core.format.LakehouseTable.unregister(SharedSpark.session(), "gold.totals");
    Pipeline again = Lakehouse.open(request(root, format), SharedSpark.session());
    assertThat(rows(again, "SHOW TABLES IN gold")).anySatisfy(r -> assertThat(r).contains("totals"));
    assertThat(SharedSpark.session().catalog().tableExists("gold.totals")).as("after SHOW TABLES").isTrue();

    // --full-refresh: the table and its checkpoint go; it is rebuilt from all of bronze, same answer
    RunReport rebuilt = p.run(List.of("silver.events"), true, r -> {});
    assertThat(rebuilt.table("silver.events").rowsRead()).isEqualTo(6);
    assertThat(rebuilt.table("silver.events").versionBefore()).isEmpty();
    assertThat(rows(p, "SELECT id, amount FROM silver.events ORDER BY id")).containsExactly("1|12.00", "2|2.50", "3|4.00");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void fullRefreshRebuildsTheTablesKeptBesideATableToo(FormatKind format) throws IOException {
    Path root = SharedSpark.newDir("events-full-refresh-" + format.id());
    Pipeline p = Lakehouse.open(request(root, format), SharedSpark.session());
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00", "2,pen,1.50,2024-01-01 10:00:00,surplus");
    p.run("bronze.events");
    land(root, "2.csv", "3,ink,4.00,2024-01-02 10:00:00,surplus");
    p.run("bronze.events");
    assertThat(rows(p, "SELECT count(*) FROM bronze.events_quarantine")).containsExactly("2");

    // Rebuilt from every file, in one batch whose id (0) the kept quarantine had already seen:
    // Delta skipped that batch's append as a replay, and the new file's bad line was lost.
    land(root, "3.csv", "4,cup,2.00,2024-01-03 10:00:00,surplus");
    TableRunResult rebuilt = p.run(List.of("bronze.events"), true, r -> {}).table("bronze.events");
    assertThat(rebuilt.rowsQuarantined()).isEqualTo(3);
    assertThat(rows(p, "SELECT _raw FROM bronze.events_quarantine ORDER BY _raw")).containsExactly(
        "2,pen,1.50,2024-01-01 10:00:00,surplus", "3,ink,4.00,2024-01-02 10:00:00,surplus",
        "4,cup,2.00,2024-01-03 10:00:00,surplus");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void goldInBatchModeRefreshesWhenASourceOrItsSpecChangedWithoutAStream(FormatKind format) throws IOException {
    Path root = SharedSpark.newDir("events-gold-batch-" + format.id());
    Pipeline p = Lakehouse.open(request(root, format), SharedSpark.session());
    List<String> started = new CopyOnWriteArrayList<>();
    StreamingQueryListener listener = new StreamingQueryListener() {
      @Override
      public void onQueryStarted(QueryStartedEvent event) {
        started.add(event.name()); // posted to this session's listeners before start() returns
      }

      @Override
      public void onQueryProgress(QueryProgressEvent event) {}

      @Override
      public void onQueryTerminated(QueryTerminatedEvent event) {}
    };
    SharedSpark.session().streams().addListener(listener);
    List<String> chain = List.of("bronze.events", "silver.events", "gold.totals");
    try {
      land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00", "2,pen,1.50,2024-01-01 10:00:00");
      TableRunResult first = p.run(chain, false, r -> {}).table("gold.totals");
      assertThat(first.batches()).isEqualTo(1);
      assertThat(first.rowsRead()).isEqualTo(2); // the first refresh reads its source whole
      assertThat(rows(p, "SELECT kind, amount, n FROM gold.totals ORDER BY kind")).containsExactly("book|10.00|1", "pen|1.50|1");

      TableRunResult idle = p.run(chain, false, r -> {}).table("gold.totals");
      assertThat(idle.batches()).isZero();
      assertThat(idle.versionAfter()).isEqualTo(first.versionAfter());

      land(root, "2.csv", "3,ink,4.00,2024-01-02 10:00:00");
      TableRunResult second = p.run(chain, false, r -> {}).table("gold.totals");
      assertThat(second.batches()).isEqualTo(1);
      assertThat(second.rowsRead()).isEqualTo(1); // the one change row since the last refresh
      assertThat(second.versionAfter()).isNotEqualTo(first.versionAfter());
      assertThat(rows(p, "SELECT kind, n FROM gold.totals ORDER BY kind")).containsExactly("book|1", "ink|1", "pen|1");

      // Its query edited, its source unchanged: refreshed with the new query, from the whole source.
      Pipeline edited = Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id(),
          "pipeline.tables.gold.totals.sql=SELECT kind, count(*) AS n FROM silver.events WHERE amount > 2 GROUP BY kind"),
          Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
      TableRunResult third = edited.run("gold.totals").table("gold.totals");
      assertThat(third.batches()).isEqualTo(1);
      assertThat(third.rowsRead()).isEqualTo(3);
      assertThat(rows(edited, "SELECT * FROM gold.totals ORDER BY kind")).containsExactly("book|1", "ink|1");
    } finally {
      SharedSpark.session().streams().removeListener(listener);
    }
    assertThat(started).contains("bronze.events", "silver.events").doesNotContain("gold.totals");
  }

  /**
   * On Hudi the silver and gold streams read Hudi tables through Hudi's stream source, whose
   * micro-batches come from a session of the format's own (see HudiFormat.readStream). Before this
   * ran on Hudi too, two faults went unseen there: a query of a table's name saw the files of its
   * first query while the streams ran, and a stop that interrupted a running micro-batch reported
   * the table failed (Hudi wraps the interrupt).
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void streamModePicksUpNewFilesUntilStopped(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("events-stream-" + format.id());
    Pipeline p = Lakehouse.open(request(root, format), SharedSpark.session());
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00");
    StreamingRun streams = p.startStreams(List.of("bronze.events", "silver.events", "gold.totals"), false, r -> {});
    assertThat(p.table("silver.events").count()).isEqualTo(1); // the catch-up pass
    // The gold stream starts afresh after the catch-up (which refreshed without one): its first
    // micro-batch, the source's whole content, finds the table up to date and writes nothing.
    Optional<dev.lakehouse.core.format.TableVersion> caughtUp = p.version("gold.totals");
    streams.processAllAvailable();
    assertThat(p.version("gold.totals")).isEqualTo(caughtUp);

    land(root, "2.csv", "2,pen,1.50,2024-01-01 10:00:00", "3,ink,4.00,2024-01-01 10:00:00");
    awaitTrue(() -> p.table("gold.totals").count() == 3, Duration.ofSeconds(120));
    // Queried by name while the streams run: on Hudi the session then caches the table's files,
    // and the next batch (written in the stream's own session) must refresh this one's entry.
    assertThat(rows(p, "SELECT amount FROM silver.events WHERE id = 3")).containsExactly("4.00");
    land(root, "3.csv", "3,ink,5.00,2024-01-03 10:00:00");
    awaitTrue(() -> p.sql("SELECT amount FROM silver.events WHERE id = 3").head().getDecimal(0).intValue() == 5,
        Duration.ofSeconds(120));

    List<TableRunResult> results = streams.stop();
    assertThat(results).allMatch(r -> r.status() == Status.SUCCEEDED && r.mode().id().equals("stream"));
    assertThat(results.get(0).rowsRead()).isEqualTo(3); // bronze saw the two new files, once each
    assertThat(streams.tables()).noneMatch(t -> t.query().isActive());
    assertThat(p.table("bronze.events").count()).isEqualTo(4);
  }

  /** Two writers of one quarantine table in one batch, the key guard and an expectation: both appends land. */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void keyViolationsAndBrokenExpectationsOfOneBatchAreBothQuarantined(FormatKind format) throws IOException {
    Path root = SharedSpark.newDir("events-two-quarantines-" + format.id());
    Pipeline p = withQuarantinedAmountsOver100(root, format, "silver.events", "pipeline.tables.silver.events.key-violations=quarantine");
    land(root, "1.csv", ",nobody,1.00,2024-01-01 10:00:00", "2,pen,500.00,2024-01-01 10:00:00", "3,ink,4.00,2024-01-01 10:00:00");
    TableRunResult silver = p.run(List.of("bronze.events", "silver.events"), false, r -> {}).table("silver.events");

    assertThat(silver.error()).isEmpty();
    assertThat(silver.rowsQuarantined()).isEqualTo(2);
    assertThat(rows(p, "SELECT id FROM silver.events")).containsExactly("3");
    assertThat(quarantined(p, "silver.events").select("kind").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("nobody", "pen");
  }

  /**
   * Each {@code stream} start refreshes gold in batch first and starts its stream from a new
   * checkpoint, whose batch ids begin at 0 again. The quarantine of a gold table still holds the
   * ids of the previous start's stream: its appends must not be taken for replays of those.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aGoldTablesQuarantineKeepsEveryStreamStartsRows(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("events-gold-quarantine-" + format.id());
    Pipeline p = withQuarantinedAmountsOver100(root, format, "gold.totals", "lakehouse.stream.trigger-interval=1s");
    List<String> chain = List.of("bronze.events", "silver.events", "gold.totals");
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00");

    StreamingRun first = p.startStreams(chain, false, r -> {});
    try {
      first.processAllAvailable();
      land(root, "2.csv", "2,pen,500.00,2024-01-01 10:00:00");
      awaitTrue(() -> quarantinedKinds(p).contains("pen"), Duration.ofSeconds(120));
    } finally {
      first.stop();
    }

    StreamingRun second = p.startStreams(chain, false, r -> {});
    List<TableRunResult> results;
    try {
      second.processAllAvailable();
      land(root, "3.csv", "3,cup,900.00,2024-01-02 10:00:00");
      awaitTrue(() -> p.table("silver.events").count() == 3, Duration.ofSeconds(120));
      second.processAllAvailable();
    } finally {
      results = second.stop();
    }

    assertThat(results).allMatch(r -> r.status() == Status.SUCCEEDED);
    assertThat(quarantinedKinds(p)).contains("pen", "cup");
    assertThat(rows(p, "SELECT kind FROM gold.totals ORDER BY kind")).containsExactly("book");
  }

  /** The events pipeline, where {@code table} quarantines rows whose amount is over 100. */
  private static Pipeline withQuarantinedAmountsOver100(Path root, FormatKind format, String table, String setting) {
    return Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id(), setting,
        "pipeline.tables." + table + ".expectations=[{ name = small, column = amount, range { at-most = 100 }, action = quarantine }]"),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
  }

  /**
   * The quarantine of {@code table}'s expectations, at its location in {@code p}'s format (not by
   * name: another test's pipeline may have registered the same name elsewhere).
   */
  private static LakehouseTable quarantine(Pipeline p, String table) {
    return new ExpectationQuarantine(p.spec().table(TableName.parse(table))).table();
  }

  private static org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> quarantined(Pipeline p, String table) {
    return quarantine(p, table).read(SharedSpark.session());
  }

  /**
   * The kinds in gold.totals' quarantine; none before its first commit completed (a Hudi table's
   * configuration, made before that, is not yet a table: this wait read one without columns).
   */
  private static List<String> quarantinedKinds(Pipeline p) {
    if (!quarantine(p, "gold.totals").exists(SharedSpark.session())) {
      return List.of();
    }
    return quarantined(p, "gold.totals").select("kind").distinct().as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
  }

  @Test
  void commandLineExitCodesAndCsvOutput() throws Exception {
    Path root = SharedSpark.newDir("events-cli");
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00", "2,pen,1.50,2024-01-01 10:00:00");
    String[] common = {"--conf", CONF.toString(), "--set", "lakehouse.root=" + root};

    assertThat(LakehouseMain.execute("validate", "--conf", "../core/src/test/resources/broken/cycle.conf")).isEqualTo(2);
    assertThat(LakehouseMain.execute(concat(new String[] {"run", "--all"}, common))).isEqualTo(1); // silver.broken fails
    assertThat(LakehouseMain.execute(concat(new String[] {"run", "--tables", "bronze.events,silver.events+"}, common))).isZero();
    // A selector that matches no table is a wrong command line, not a failed run.
    assertThat(LakehouseMain.execute(concat(new String[] {"run", "--tables", "silver.nope"}, common))).isEqualTo(LakehouseMain.CONFIG_ERROR);

    String out = captureOut(() -> LakehouseMain.execute(
        concat(new String[] {"sql", "SELECT kind, amount, n, 'a,b' AS quoted FROM gold.totals ORDER BY kind"}, common)));
    assertThat(out).isEqualTo("kind,amount,n,quoted\nbook,10.00,1,\"a,b\"\npen,1.50,1,\"a,b\"\n");
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static String captureOut(Callable<Integer> body) throws Exception {
    return captureOut(body, 0);
  }

  /** What {@code body} prints, asserting it returns {@code exitCode}. */
  static String captureOut(Callable<Integer> body, int exitCode) throws Exception {
    return capture(body, exitCode, false);
  }

  /** What {@code body} prints to standard error, asserting it returns {@code exitCode}. */
  static String captureErr(Callable<Integer> body, int exitCode) throws Exception {
    return capture(body, exitCode, true);
  }

  private static String capture(Callable<Integer> body, int exitCode, boolean err) throws Exception {
    PrintStream original = err ? System.err : System.out;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream to = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    if (err) {
      System.setErr(to);
    } else {
      System.setOut(to);
    }
    try {
      assertThat(body.call()).isEqualTo(exitCode);
    } finally {
      if (err) {
        System.setErr(original);
      } else {
        System.setOut(original);
      }
    }
    return buffer.toString(StandardCharsets.UTF_8);
  }

  static void awaitTrue(Callable<Boolean> condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.call()) {
        return;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("condition not met within " + timeout);
  }
}
