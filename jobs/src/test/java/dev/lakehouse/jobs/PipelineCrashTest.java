package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.testing.ChildJvm;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kill -9 of a pipeline run (bronze, silver SCD type 1 and 2, gold) at random points, several
 * times, with files landing between the runs, then a run to the end: bronze holds every event once, silver's current
 * rows are each key's newest event (computed here from the events), and the silver history and
 * gold equal those of the same pipeline run once, without a kill, on the same files. And a run
 * started while another runs is refused, table by table, leaving the first run's result intact.
 */
class PipelineCrashTest {
  static final Path CONF = Path.of("src/test/resources/pipelines/changes.conf");
  private static final int FILES = 10;
  private static final int EVENTS_PER_FILE = 20;
  private static final int KEYS = 25;
  /** Each round lands this many more files (read one per micro-batch), then runs the pipeline and kills it. */
  private static final int FILES_PER_ROUND = 2;
  /** Per round, the table whose next commit, plus up to a second, times the kill: bronze, then each silver table. */
  private static final List<String> KILL_AFTER = List.of("bronze.changes", "silver.current", "silver.history");

  /** One change event as landed: a delete, or the state of the key after it. */
  record Event(long id, String op, String name, BigDecimal amount, long seq) {
    String csv() {
      return id + "," + op + "," + name + "," + amount + "," + seq;
    }
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void killedStreamsThenABatchRunEqualARunWithoutKills(FormatKind format) throws Exception {
    List<Event> events = events(new Random(7));
    Path crashed = SharedSpark.newDir("crash-" + format.id());
    Path reference = SharedSpark.newDir("crash-reference-" + format.id());
    land(reference, events, 0, FILES);

    Pipeline p = Lakehouse.open(PipelineChild.request(CONF, crashed, format.id()), SharedSpark.session());
    Random random = new Random(format.ordinal());
    int kills = 0;
    for (int round = 0; round < KILL_AFTER.size(); round++) {
      land(crashed, events, round * FILES_PER_ROUND, (round + 1) * FILES_PER_ROUND);
      Process child = startChild(crashed, format);
      String after = KILL_AFTER.get(round);
      if (killAfterCommit(p, after, child, crashed, random.nextInt(1000))) {
        kills++;
      }
    }
    assertThat(kills).as("the runs must have been killed mid-run at least twice").isGreaterThanOrEqualTo(2);
    land(crashed, events, KILL_AFTER.size() * FILES_PER_ROUND, FILES);
    Process last = startChild(crashed, format);
    assertThat(last.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(last.exitValue()).as(Files.readString(crashed.resolve("child.out"))).isZero();

    Pipeline uninterrupted = Lakehouse.open(PipelineChild.request(CONF, reference, format.id()), SharedSpark.session());
    assertThat(uninterrupted.run(List.of(), false, r -> {}).succeeded()).isTrue();

    assertThat(p.table("bronze.changes").count()).isEqualTo(events.size());
    assertThat(p.table("bronze.changes").select("id", "seq").distinct().count()).isEqualTo(events.size());
    assertThat(rows(p.table("silver.current"), "id", "name", "amount", "seq")).isEqualTo(asRows(newestPerKey(events)));
    String[] history = {"id", "name", "amount", "seq", "valid_from", "valid_to", "is_current", "is_deleted"};
    assertThat(rows(p.table("silver.history"), history)).isEqualTo(rows(uninterrupted.table("silver.history"), history))
        .hasSizeGreaterThan(KEYS);
    assertThat(rows(p.table("gold.by_name"), "name", "n", "amount"))
        .isEqualTo(rows(uninterrupted.table("gold.by_name"), "name", "n", "amount"))
        .isEqualTo(totalsByName(newestPerKey(events)));
    assertThat(rows(p.table("gold.events_by_name"), "name", "events", "amount"))
        .isEqualTo(rows(uninterrupted.table("gold.events_by_name"), "name", "events", "amount"))
        .isEqualTo(totalsByName(events));
  }

  /**
   * A second run of the pipeline while the first runs in another process (a scheduler's retry, a
   * run by hand): Hudi's single-writer timeline lets the second writer roll back the first one's
   * commit in flight, so the second run must touch nothing. Each of its tables that the first run
   * holds fails at its start, naming the run that holds it; the first run ends as if alone.
   */
  @Test
  void aRunOverlappingARunningOneIsRefusedAndTheFirstEndsAsIfAlone() throws Exception {
    List<Event> events = events(new Random(11));
    Path root = SharedSpark.newDir("overlap");
    land(root, events, 0, FILES);
    Pipeline p = Lakehouse.open(PipelineChild.request(CONF, root, FormatKind.HUDI.id()), SharedSpark.session());
    Process first = startChild(root, FormatKind.HUDI);
    awaitFirstCommit(p, "bronze.changes", first);
    assertThat(first.isAlive()).as("the first run must still be reading bronze (one file per micro-batch)").isTrue();

    RunReport second = p.run(List.of(), false, r -> {});
    List<TableRunResult> refused = second.tables().stream().filter(r -> r.status() == TableRunResult.Status.FAILED).toList();
    assertThat(refused).as(second.tables().toString()).isNotEmpty()
        .allSatisfy(r -> assertThat(r.error().orElseThrow())
            .contains("process " + first.pid() + " on ").contains("is running it").contains("this run read and wrote nothing"));
    assertThat(second.tables()).allSatisfy(r -> assertThat(r.status()).as("%s ran beside the first run", r.table())
        .isNotEqualTo(TableRunResult.Status.SUCCEEDED));

    assertThat(first.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(first.exitValue()).as(Files.readString(root.resolve("child.out"))).isZero();
    assertThat(p.table("bronze.changes").count()).isEqualTo(events.size());
    assertThat(p.table("bronze.changes").select("id", "seq").distinct().count()).isEqualTo(events.size());
    assertThat(rows(p.table("silver.current"), "id", "name", "amount", "seq")).isEqualTo(asRows(newestPerKey(events)));
    assertThat(rows(p.table("gold.events_by_name"), "name", "events", "amount")).isEqualTo(totalsByName(events));
    assertThat(p.run(List.of(), false, r -> {}).succeeded()).as("once the first run ended, the next one runs").isTrue();
  }

  /**
   * SIGTERM to {@code bin/lakehouse run} (a scheduler's timeout or "mark failed") while bronze reads
   * its files one micro-batch at a time: the run stops after the batch being written, records every
   * table in the run log as cancelled (bronze with the batches it committed, the others before they
   * started), gives its tables up and exits 143. The next run goes on from there: each event once.
   * Before, the JVM ended with no run log rows, its leases and the batch in flight left behind.
   */
  @Test
  void aSigtermStopsTheRunAfterItsCurrentBatchAndRecordsIt() throws Exception {
    List<Event> events = events(new Random(13));
    Path root = SharedSpark.newDir("sigterm");
    land(root, events, 0, FILES);
    Pipeline p = Lakehouse.open(PipelineChild.request(CONF, root, FormatKind.DELTA.id()), SharedSpark.session());
    Process child = ChildJvm.start(dev.lakehouse.jobs.cli.LakehouseMain.class, root.resolve("child-work"), root.resolve("child.out"),
        "run", "--all", "--conf", CONF.toAbsolutePath().toString(), "--set", "lakehouse.root=" + root, "--set", "pipeline.format=delta");
    awaitFirstCommit(p, "bronze.changes", child);
    assertThat(child.isAlive()).as("bronze must still be reading its files, one per micro-batch").isTrue();
    child.destroy(); // SIGTERM
    assertThat(child.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String out = Files.readString(root.resolve("child.out"));
    assertThat(child.exitValue()).as(out).isEqualTo(143);
    assertThat(out).contains("SIGTERM: stopping after the micro-batches being written");

    List<Row> logged = SharedSpark.session().read().format("delta").load(p.spec().settings().systemLocation() + "/runs")
        .orderBy("table_name").collectAsList();
    assertThat(logged).extracting(r -> r.<String>getAs("table_name") + " " + r.<String>getAs("status")).containsExactly(
        "bronze.changes cancelled", "gold.by_name cancelled", "gold.events_by_name cancelled",
        "silver.current cancelled", "silver.history cancelled");
    Row bronze = logged.get(0);
    assertThat(bronze.<Long>getAs("rows_written")).as("the batches bronze committed").isBetween(1L, events.size() - 1L)
        .isEqualTo(p.table("bronze.changes").count());
    assertThat(bronze.<String>getAs("error")).startsWith("cancelled (SIGTERM) after ").contains("the next run reads on from there");
    assertThat(logged.subList(1, logged.size())).allSatisfy(r -> {
      assertThat(r.<Long>getAs("rows_read")).isZero();
      assertThat(r.<String>getAs("error")).isEqualTo("cancelled (SIGTERM) before it started; it read and wrote nothing");
    });
    try (var files = Files.walk(root.resolve("_checkpoints"))) {
      assertThat(files.filter(f -> f.getParent().getFileName().toString().endsWith(".lease")).toList())
          .as("every lease given up").isEmpty();
    }

    assertThat(p.run(List.of(), false, r -> {}).succeeded()).isTrue();
    assertThat(p.table("bronze.changes").count()).isEqualTo(events.size());
    assertThat(p.table("bronze.changes").select("id", "seq").distinct().count()).isEqualTo(events.size());
    assertThat(rows(p.table("silver.current"), "id", "name", "amount", "seq")).isEqualTo(asRows(newestPerKey(events)));
    assertThat(rows(p.table("gold.events_by_name"), "name", "events", "amount")).isEqualTo(totalsByName(events));
  }

  /**
   * Events over {@link #KEYS} keys with growing sequence values, one in five of them late (a
   * sequence value below ones already landed, unique for its key), one in seven a delete.
   */
  private static List<Event> events(Random random) {
    List<Event> events = new ArrayList<>();
    Set<String> taken = new HashSet<>();
    long next = 100;
    for (int i = 0; i < FILES * EVENTS_PER_FILE; i++) {
      long id = 1 + random.nextInt(KEYS);
      long seq;
      if (random.nextInt(5) == 0) {
        do {
          seq = 100 + 10L * random.nextInt((int) (next - 100) / 10 + 1) + 5;
        } while (!taken.add(id + ":" + seq));
      } else {
        seq = next;
        next += 10;
        taken.add(id + ":" + seq);
      }
      String op = random.nextInt(7) == 0 ? "D" : "U";
      events.add(new Event(id, op, "n" + random.nextInt(4), BigDecimal.valueOf(random.nextInt(100_000), 2), seq));
    }
    return events;
  }

  /** Lands files {@code from} (inclusive) to {@code to} of the events. */
  private static void land(Path root, List<Event> events, int from, int to) throws IOException {
    Path dir = Files.createDirectories(root.resolve("landing/changes"));
    for (int f = from; f < to; f++) {
      StringBuilder csv = new StringBuilder("id,op,name,amount,seq\n");
      for (Event e : events.subList(f * EVENTS_PER_FILE, (f + 1) * EVENTS_PER_FILE)) {
        csv.append(e.csv()).append('\n');
      }
      Path tmp = dir.resolve(String.format(".changes-%02d.csv", f));
      Files.writeString(tmp, csv);
      Files.move(tmp, dir.resolve(tmp.getFileName().toString().substring(1)));
    }
  }

  /** SCD type 1 by hand: each key's event with the greatest sequence value, none when that is a delete. */
  private static List<Event> newestPerKey(List<Event> events) {
    Map<Long, Event> newest = new TreeMap<>();
    for (Event e : events) {
      newest.merge(e.id(), e, (a, b) -> a.seq() >= b.seq() ? a : b);
    }
    return newest.values().stream().filter(e -> !e.op().equals("D")).toList();
  }

  private static List<String> asRows(List<Event> events) {
    return events.stream().map(e -> e.id() + "|" + e.name() + "|" + e.amount() + "|" + e.seq()).sorted().toList();
  }

  /** Per name: how many of the events carry it, and the sum of their amounts. */
  private static List<String> totalsByName(List<Event> events) {
    Map<String, long[]> count = new TreeMap<>();
    Map<String, BigDecimal> sum = new TreeMap<>();
    for (Event e : events) {
      count.computeIfAbsent(e.name(), k -> new long[1])[0]++;
      sum.merge(e.name(), e.amount(), BigDecimal::add);
    }
    return count.keySet().stream().map(n -> n + "|" + count.get(n)[0] + "|" + sum.get(n)).sorted().toList();
  }

  private static List<String> rows(Dataset<Row> table, String... columns) {
    return table.selectExpr(columns).collectAsList().stream().map(r -> r.mkString("|")).sorted().toList();
  }

  /** Waits for the next commit of {@code table}, then SIGKILLs the child after {@code extraMillis}; false when it ended first. */
  private static boolean killAfterCommit(Pipeline p, String table, Process child, Path root, int extraMillis) throws Exception {
    Optional<TableVersion> before = version(p, table);
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (child.isAlive() && System.nanoTime() < deadline && version(p, table).equals(before)) {
      Thread.sleep(20);
    }
    Thread.sleep(extraMillis);
    if (!child.isAlive()) {
      assertThat(child.exitValue()).as(Files.readString(root.resolve("child.out"))).isZero();
      return false;
    }
    child.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
    child.waitFor(1, TimeUnit.MINUTES);
    Files.writeString(root.resolve("child.out"), "KILLED " + extraMillis + " ms after a commit of " + table + "\n",
        java.nio.file.StandardOpenOption.APPEND);
    return true;
  }

  /** Waits until {@code table} has its first version, or {@code child} ended, or 5 minutes passed. */
  private static void awaitFirstCommit(Pipeline p, String table, Process child) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (child.isAlive() && System.nanoTime() < deadline && version(p, table).isEmpty()) {
      Thread.sleep(20);
    }
  }

  /** A table's version as another process sees it mid-write (a table being created has none yet). */
  private static Optional<TableVersion> version(Pipeline p, String table) {
    try {
      return p.version(table);
    } catch (RuntimeException creating) {
      return Optional.empty();
    }
  }

  private static Process startChild(Path root, FormatKind format) throws IOException {
    return ChildJvm.start(PipelineChild.class, root.resolve("child-work"), root.resolve("child.out"),
        CONF.toAbsolutePath().toString(), root.toString(), format.id());
  }

}
