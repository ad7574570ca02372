package dev.lakehouse.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.row_number;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.demo.TpchLanding;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * TPC-H bronze → silver → gold for lineitem, orders and customer with Q3 and the incremental Q1
 * and revenue_daily (as conf/pipelines/tpch.conf declares them), run by the framework and by a hand-written Spark job doing the same reads, casts,
 * dedupe, aggregates and writes ({@link HandWrites}: Delta, or Hudi with {@code BENCH_FORMAT=hudi}, for both jobs),
 * in one JVM on the same landed files. Then 1% more data
 * lands and the framework runs again: the incremental run's time over the full run's. The full run
 * is also timed without the pipeline's expectations, which the hand-written job does not check.
 * Then both jobs run again for more rounds ({@code BENCH_ROUNDS}, 4 in all by default), the order
 * flipping each round, since the job that runs first in a round runs slower: each round's ratio,
 * their median and their geometric mean. Each round ends with the same 1 % landing on its copy
 * and the framework running again: the incremental ratio's median too. The hand-written job runs
 * again on it as well ({@link #handWrittenIncremental}: the drop's files only, a MERGE into silver,
 * gold recomputed), the floor the framework's incremental run is measured against.
 * Both jobs first run once, untimed, on SF 0.1, and the framework once more after one more drop (see
 * {@link #warmUp}); then once each at the measured scale, the cold round, reported but kept out of
 * the ratios, since the first runs at a scale pay for it whichever job runs first. Each step prints
 * its CPU time ({@link CpuTime}): on two cores a step is CPU-bound, and its CPU time says what it
 * costs.
 *
 * <p>Usage: {@code bench/run GoldPipelineBenchmark [scale-factor=1] [work-dir=/tmp/lakehouse-bench-gold] [profile]};
 * {@code profile} prints the full and the incremental run's Spark jobs, where their micro-batch threads
 * spent their time, the tasks' time per table, and when each table started and ended
 * ({@code BENCH_JOBS=each} also lists every job, in order, with its table and time).
 * {@code BENCH_SET="key=value;..."} applies settings to both jobs (they share the session), to try them.
 */
public final class GoldPipelineBenchmark {
  private static final int DROPS = 100;
  /** In the names of the last drop's files, the 1 % the incremental runs add. */
  private static final String LAST_DROP = String.format("-%03d.", DROPS);
  private static final double WARM_UP_SF = 0.1;
  private static final int WARM_UP_DROPS = 10;
  /** Rounds of both full runs, the order flipping each round ({@code BENCH_ROUNDS}, 4 by default). */
  private static final int ROUNDS = Integer.parseInt(System.getenv().getOrDefault("BENCH_ROUNDS", "4"));
  private static final List<String> SELECTION =
      List.of("+gold.pricing_summary", "+gold.shipping_priority", "+gold.revenue_daily");

  public static void main(String[] args) throws Exception {
    double sf = args.length > 0 ? Double.parseDouble(args[0]) : 1.0;
    Path work = Path.of(args.length > 1 ? args[1] : "/tmp/lakehouse-bench-gold");
    deleteRecursively(work);
    Path frameworkRoot = work.resolve("framework");
    Path landing = frameworkRoot.resolve("landing");

    long t0 = System.nanoTime();
    long lineitems = 0;
    for (int drop = 1; drop < DROPS; drop++) {
      lineitems += TpchLanding.writeDrop(landing, sf, drop, DROPS).get("lineitem");
    }
    System.out.print(String.format("generated SF %s, 99%% of the data (%,d line items) in %.1f s%n", sf, lineitems, seconds(t0)));

    double warm = warmUp(work.resolve("warm-up"));
    System.out.print(String.format("warm-up, both jobs on SF %s: %.1f s (not reported)%n", WARM_UP_SF, warm));

    // The cold round: the first runs at this scale in the JVM pay compilation and code paths the
    // small warm-up did not reach (at SF 1, 234 s of CPU for the framework run first against 157 s
    // for the same run later), whichever job runs first. Reported, kept out of the ratios.
    Path cold = work.resolve("framework-cold");
    copyLanding(landing, cold.resolve("landing"), name -> !name.contains(LAST_DROP));
    Pipeline coldPipeline = open(cold, List.of());
    Measured<RunReport> frameworkCold = CpuTime.measure("framework, cold round", coldPipeline.spark(),
        () -> check(coldPipeline.run(SELECTION, false, r -> {})));
    Measured<Void> handCold = CpuTime.measure("hand-written, cold round", coldPipeline.spark(),
        () -> handWritten(coldPipeline.spark(), cold.resolve("landing"), work.resolve("hand-written-cold")));

    Pipeline p = open(frameworkRoot, List.of());
    SparkSession spark = p.spark();

    boolean profiling = args.length > 2 && args[2].equals("profile");
    JobProfile profile = profiling ? JobProfile.attach(spark) : null;
    StackSampler sampler = profiling ? StackSampler.start() : null;
    Measured<RunReport> full = CpuTime.measure("framework, full run", spark, () -> check(p.run(SELECTION, false, r -> {})));
    if (profile != null) {
      System.out.print(profile.drain("framework, full run"));
      System.out.print(sampler.drain("framework, full run"));
    }
    Measured<Void> hand = CpuTime.measure("hand-written", spark, () -> handWritten(spark, landing, work.resolve("hand-written")));

    long diff = q1Differing(p, spark, work.resolve("hand-written"));

    long added = TpchLanding.writeDrop(landing, sf, DROPS, DROPS).get("lineitem");
    if (profile != null) { // forget the hand-written job and the landing
      System.out.print(profile.drain("hand-written"));
      sampler.drain("hand-written");
    }
    Measured<RunReport> incremental = CpuTime.measure("framework, incremental run", spark,
        () -> check(p.run(SELECTION, false, r -> {})));
    if (profile != null) {
      System.out.print(profile.drain("framework, incremental run"));
      System.out.print(sampler.drain("framework, incremental run"));
    }
    Measured<Void> handIncremental = CpuTime.measure("hand-written, incremental run", spark,
        () -> handWrittenIncremental(spark, landing, LAST_DROP, work.resolve("hand-written")));
    long incrementalDiff = q1Differing(p, spark, work.resolve("hand-written"));
    if (profile != null) {
      profile.drain("hand-written, incremental run");
      sampler.drain("hand-written, incremental run");
    }

    // Then, on the same 99 % of the data: the pipeline without its data-quality rules, the work the
    // hand-written job does too. Its run re-points the session catalog's table names at its own tables.
    Path unchecked = work.resolve("framework-without-expectations");
    copyLanding(landing, unchecked.resolve("landing"), name -> !name.contains(LAST_DROP));
    Pipeline bare = open(unchecked, List.of("pipeline.tables.silver.orders.expectations = []",
        "pipeline.tables.silver.customer.expectations = []", "pipeline.tables.gold.pricing_summary.expectations = []",
        "pipeline.tables.gold.revenue_daily.expectations = []"));
    Measured<RunReport> withoutExpectations = CpuTime.measure("framework without expectations, full run", spark,
        () -> check(bare.run(SELECTION, false, r -> {})));
    if (profile != null) {
      System.out.print(profile.drain("framework without expectations, full run"));
      sampler.drain("framework without expectations, full run");
      System.out.print(timeline("without expectations, full run", withoutExpectations.result()));
      profile.drain("between the rounds");
      sampler.drain("between the rounds");
    }

    // Then more rounds, the order flipping each time: the hand-written job first in round two,
    // the framework first in round three, and so on, each framework run on a fresh copy of the same
    // 99 % of the data. Whichever job runs first in a round runs slower (the same pipeline took
    // 84.6 s run first and 72.6 s run third in one JVM), and one round spreads by ±15 % (the same
    // framework run used 158.4 s of CPU in one round and 132.0 s in the next): the median of the
    // rounds, and their geometric mean, say more than any one.
    List<Round> rounds = new ArrayList<>(List.of(new Round(true, full, hand, incremental, handIncremental)));
    for (int r = 2; r <= ROUNDS; r++) {
      rounds.add(round(r, r % 2 == 1, spark, landing, work));
    }

    System.out.print(String.format("%ncold round, the first runs at SF %s in this JVM (not in the ratios): framework %.1f s, then"
        + " hand-written %.1f s, ratio = %.3f%n", sf, frameworkCold.wall(), handCold.wall(), frameworkCold.wall() / handCold.wall()));
    System.out.print(String.format("full run, %,d line items; Q1 rows differing from the hand-written job's: %d, after the incremental"
        + " runs: %d%n", lineitems, diff, incrementalDiff));
    for (int r = 0; r < rounds.size(); r++) {
      System.out.println("  " + rounds.get(r).describe(r + 1));
    }
    List<Double> ratios = rounds.stream().map(Round::ratio).toList();
    System.out.print(String.format("full run, ratio framework / hand-written over %d rounds: median %.3f, geometric mean %.3f"
        + " (target <= 1.05); in CPU time, median %.3f%n", rounds.size(), median(ratios), geometricMean(ratios),
        median(rounds.stream().map(Round::cpuRatio).toList())));
    double handMedian = median(rounds.stream().map(r -> r.hand().wall()).toList());
    System.out.print(String.format("the same pipeline without its expectations (quality rules on silver.orders, silver.customer and two"
        + " gold tables): %.1f s, ratio over the hand-written job's median (%.1f s) = %.3f%n", withoutExpectations.wall(),
        handMedian, withoutExpectations.wall() / handMedian));
    List<Double> incrementalRatios = rounds.stream().map(Round::incrementalRatio).toList();
    System.out.print(String.format("1%% more data (%,d line items), then the framework again: ratio incremental / full run over %d rounds:"
        + " median %.3f, geometric mean %.3f (target <= 0.05); incremental run median %.1f s%n", added, rounds.size(),
        median(incrementalRatios), geometricMean(incrementalRatios),
        median(rounds.stream().map(r -> r.incremental().wall()).toList())));
    System.out.print(String.format("the hand-written job's incremental run (the drop's files only, upserted into silver, gold recomputed):"
        + " median %.1f s, %.3f of its full run; ratio framework / hand-written, incremental runs: median %.3f%n",
        median(rounds.stream().map(r -> r.handIncremental().wall()).toList()),
        median(rounds.stream().map(r -> r.handIncremental().wall() / r.hand().wall()).toList()),
        median(rounds.stream().map(r -> r.incremental().wall() / r.handIncremental().wall()).toList())));
    System.out.println("per table, round one's full run vs its incremental run (seconds, rows written):");
    for (TableRunResult r : full.result().tables()) {
      TableRunResult inc = incremental.result().table(r.table().toString());
      System.out.print(String.format("  %-28s %8.1f %12d  | %8.1f %12d%n", r.table(), r.duration().toMillis() / 1000.0, r.rowsWritten(),
          inc.duration().toMillis() / 1000.0, inc.rowsWritten()));
    }
    System.out.print(frameworkCold.line() + handCold.line() + full.line() + hand.line() + incremental.line()
        + handIncremental.line() + withoutExpectations.line());
    rounds.stream().skip(1).forEach(r -> System.out.print(r.lines()));
    if (profile != null) {
      System.out.print(timeline("full run", full.result()));
      System.out.print(timeline("incremental run", incremental.result()));
    }
    spark.stop();
  }

  /** A round: both full runs, one after the other, on the same 99 % of the data; then both on 1 % more. */
  private record Round(boolean frameworkFirst, Measured<RunReport> framework, Measured<Void> hand,
      Measured<RunReport> incremental, Measured<Void> handIncremental) {
    double ratio() {
      return framework.wall() / hand.wall();
    }

    /** The incremental run after the last drop landed, over this round's full run. */
    double incrementalRatio() {
      return incremental.wall() / framework.wall();
    }

    double cpuRatio() {
      return framework.cpu() / hand.cpu();
    }

    String describe(int n) {
      return String.format("round %d, %s first: framework %.1f s, hand-written %.1f s, ratio %.3f (CPU %.1f against %.1f s, %.3f);"
          + " then 1%% more, incremental run %.1f s, %.3f of the full run (hand-written %.1f s, %.3f of its own)",
          n, frameworkFirst ? "framework" : "hand-written", framework.wall(), hand.wall(), ratio(), framework.cpu(), hand.cpu(),
          cpuRatio(), incremental.wall(), incrementalRatio(), handIncremental.wall(), handIncremental.wall() / hand.wall());
    }

    /** The runs' CPU lines, in the order they ran. */
    String lines() {
      return frameworkFirst
          ? framework.line() + hand.line() + incremental.line() + handIncremental.line()
          : hand.line() + framework.line() + handIncremental.line() + incremental.line();
    }
  }

  /** Round {@code n}: both jobs on a fresh copy of the 99 % landed, deleted afterwards. */
  private static Round round(int n, boolean frameworkFirst, SparkSession spark, Path landing, Path work) throws IOException {
    Path root = work.resolve("round-" + n);
    Path framework = root.resolve("framework");
    copyLanding(landing, framework.resolve("landing"), name -> !name.contains(LAST_DROP));
    Pipeline pipeline = open(framework, List.of());
    Supplier<Measured<RunReport>> f = () -> CpuTime.measure("framework, round " + n, spark,
        () -> check(pipeline.run(SELECTION, false, r -> {})));
    Supplier<Measured<Void>> h = () -> CpuTime.measure("hand-written, round " + n, spark,
        () -> handWritten(spark, framework.resolve("landing"), root.resolve("hand-written")));
    Map.Entry<Measured<RunReport>, Measured<Void>> full = inOrder(frameworkFirst, f, h);
    // Then the same 1 % as round one's: the incremental run's figure spreads as much as the full run's.
    copyLanding(landing, framework.resolve("landing"), name -> name.contains(LAST_DROP));
    Supplier<Measured<RunReport>> fi = () -> CpuTime.measure("framework, round " + n + ", incremental run", spark,
        () -> check(pipeline.run(SELECTION, false, r -> {})));
    Supplier<Measured<Void>> hi = () -> CpuTime.measure("hand-written, round " + n + ", incremental run", spark,
        () -> handWrittenIncremental(spark, framework.resolve("landing"), LAST_DROP, root.resolve("hand-written")));
    Map.Entry<Measured<RunReport>, Measured<Void>> incremental = inOrder(frameworkFirst, fi, hi);
    Round round = new Round(frameworkFirst, full.getKey(), full.getValue(), incremental.getKey(), incremental.getValue());
    deleteRecursively(root);
    return round;
  }

  /** Both results, {@code first} computed first if {@code firstFirst}, else {@code second}. */
  private static <A, B> Map.Entry<A, B> inOrder(boolean firstFirst, Supplier<A> first, Supplier<B> second) {
    if (firstFirst) {
      A a = first.get();
      return Map.entry(a, second.get());
    }
    B b = second.get();
    return Map.entry(first.get(), b);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int m = sorted.size() / 2;
    return sorted.size() % 2 == 1 ? sorted.get(m) : (sorted.get(m - 1) + sorted.get(m)) / 2;
  }

  private static double geometricMean(List<Double> values) {
    return Math.exp(values.stream().mapToDouble(Math::log).average().orElse(Double.NaN));
  }

  /** When each table started and ended, in seconds from the run's first start. */
  private static String timeline(String title, RunReport report) {
    java.time.Instant first = report.tables().stream().map(TableRunResult::startedAt).min(Comparator.naturalOrder()).orElseThrow();
    StringBuilder sb = new StringBuilder("TIMELINE " + title + " (start, end s)\n");
    report.tables().stream().sorted(Comparator.comparing(TableRunResult::startedAt)).forEach(r -> {
      double start = java.time.Duration.between(first, r.startedAt()).toMillis() / 1e3;
      sb.append(String.format("  %-28s %7.1f %7.1f%n", r.table(), start, start + r.duration().toMillis() / 1e3));
    });
    return sb.toString();
  }

  /**
   * Both jobs once on a small scale factor, untimed, so that neither timed run pays the JVM's
   * warm-up (class loading, JIT compilation). Without it the framework, which runs first, paid it
   * alone. (The heap's growth is left out by {@code bench/run}'s {@code -Xms}.) SF 0.1 rather than
   * 0.01 made no difference that showed, and costs 10 s more. Then one more drop and the framework
   * again: an incremental run plans other queries (change feeds, merges by key) than a full one.
   * Without it the timed incremental run paid JIT 7.8 s of its 29.8 s of CPU; with it, 4.4 s of 24.4
   * s (18 query classes compiled). At SF 0.01 in one JVM, the first incremental run compiled 243
   * query classes the full run had not, the ones after it 6.
   */
  private static double warmUp(Path root) throws IOException {
    long w0 = System.nanoTime();
    Path landing = root.resolve("framework/landing");
    for (int drop = 1; drop < WARM_UP_DROPS; drop++) {
      TpchLanding.writeDrop(landing, WARM_UP_SF, drop, WARM_UP_DROPS);
    }
    Pipeline warm = open(root.resolve("framework"), List.of());
    check(warm.run(SELECTION, false, r -> {}));
    handWritten(warm.spark(), landing, root.resolve("hand-written"));
    TpchLanding.writeDrop(landing, WARM_UP_SF, WARM_UP_DROPS, WARM_UP_DROPS);
    check(warm.run(SELECTION, false, r -> {}));
    handWrittenIncremental(warm.spark(), landing, String.format("-%03d.", WARM_UP_DROPS), root.resolve("hand-written"));
    return seconds(w0);
  }

  private static Pipeline open(Path root, List<String> overrides) {
    List<String> all = new ArrayList<>(List.of("pipeline.format=" + HandWrites.FORMAT));
    // Settings to try, for both jobs (they share the session): BENCH_SET="key=value;key=value"
    String tried = System.getenv().getOrDefault("BENCH_SET", "");
    if (!tried.isBlank()) {
      all.addAll(List.of(tried.split(";")));
    }
    all.addAll(overrides);
    return Lakehouse.open(new ConfigLayers.Request(Path.of("conf/pipelines/tpch.conf"), Optional.empty(), all,
        Map.of("LAKEHOUSE_ROOT", root.toString())));
  }

  /** The landed files whose name {@code copied} accepts, and the folders. */
  private static void copyLanding(Path from, Path to, java.util.function.Predicate<String> copied) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path source : paths.sorted().filter(f -> Files.isDirectory(f) || copied.test(f.getFileName().toString())).toList()) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
  }

  /** The same work written by hand: read, type, deduplicate, aggregate, write the tables. */
  static Void handWritten(SparkSession spark, Path landing, Path root) {
    for (HandTable t : HAND_TABLES) {
      Dataset<Row> typed = bronze(spark, t, t.read(spark, landing.resolve(t.name()).toString()), root);
      Dataset<Row> newest = newestPerKey(typed, t.keys());
      table(spark, "silver." + t.name());
      HandWrites.overwrite(newest, root.resolve("silver/" + t.name()).toString(), "silver." + t.name(), t.keys());
    }
    return gold(spark, root);
  }

  /**
   * The hand-written job's incremental run after the last drop, the least a plain Spark job does
   * for it: reads only that drop's files, appends them to bronze, merges the newest row per key into
   * silver (Delta's MERGE, Hudi's upsert), and recomputes the gold tables, since none of them is written to merge.
   */
  static Void handWrittenIncremental(SparkSession spark, Path landing, String dropTag, Path root) {
    for (HandTable t : HAND_TABLES) {
      String[] drop;
      try (Stream<Path> files = Files.list(landing.resolve(t.name()))) {
        drop = files.filter(f -> f.getFileName().toString().contains(dropTag) && !f.getFileName().toString().startsWith("."))
            .map(Path::toString).sorted().toArray(String[]::new);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      Dataset<Row> typed = bronze(spark, t, t.read(spark, drop), root);
      table(spark, "silver." + t.name());
      HandWrites.upsert(spark, newestPerKey(typed, t.keys()), root.resolve("silver/" + t.name()).toString(),
          "silver." + t.name(), t.keys());
    }
    return gold(spark, root);
  }

  /** A landed table as the hand-written job reads and types it. */
  private record HandTable(String name, boolean csv, String schema, List<String> keys, List<String> select) {
    Dataset<Row> read(SparkSession spark, String... paths) {
      return csv ? spark.read().schema(schema).option("header", "true").csv(paths) : spark.read().schema(schema).json(paths);
    }
  }

  private static final List<HandTable> HAND_TABLES = List.of(
      new HandTable("lineitem", true, "l_orderkey STRING, l_partkey STRING, l_suppkey STRING, l_linenumber STRING,"
          + " l_quantity STRING, l_extendedprice STRING, l_discount STRING, l_tax STRING, l_returnflag STRING,"
          + " l_linestatus STRING, l_shipdate STRING, l_commitdate STRING, l_receiptdate STRING, l_shipinstruct STRING,"
          + " l_shipmode STRING, l_comment STRING", List.of("l_orderkey", "l_linenumber"), List.of(
          "CAST(l_orderkey AS BIGINT) AS l_orderkey", "CAST(l_partkey AS BIGINT) AS l_partkey",
          "CAST(l_suppkey AS BIGINT) AS l_suppkey", "CAST(l_linenumber AS INT) AS l_linenumber",
          "CAST(l_quantity AS DECIMAL(15,2)) AS l_quantity", "CAST(l_extendedprice AS DECIMAL(15,2)) AS l_extendedprice",
          "CAST(l_discount AS DECIMAL(15,2)) AS l_discount", "CAST(l_tax AS DECIMAL(15,2)) AS l_tax",
          "l_returnflag", "l_linestatus", "CAST(l_shipdate AS DATE) AS l_shipdate", "CAST(l_commitdate AS DATE) AS l_commitdate",
          "CAST(l_receiptdate AS DATE) AS l_receiptdate", "l_shipinstruct", "l_shipmode", "l_comment", "_ingested_at")),
      new HandTable("orders", true, "o_orderkey STRING, o_custkey STRING, o_orderstatus STRING, o_totalprice STRING,"
          + " o_orderdate STRING, o_orderpriority STRING, o_clerk STRING, o_shippriority STRING, o_comment STRING",
          List.of("o_orderkey"), List.of(
          "CAST(o_orderkey AS BIGINT) AS o_orderkey", "CAST(o_custkey AS BIGINT) AS o_custkey", "o_orderstatus",
          "CAST(o_totalprice AS DECIMAL(15,2)) AS o_totalprice", "CAST(o_orderdate AS DATE) AS o_orderdate",
          "o_orderpriority", "o_clerk", "CAST(o_shippriority AS INT) AS o_shippriority", "o_comment", "_ingested_at")),
      new HandTable("customer", false, "c_custkey BIGINT, c_name STRING, c_address STRING, c_nationkey BIGINT,"
          + " c_phone STRING, c_acctbal DECIMAL(15,2), c_mktsegment STRING, c_comment STRING", List.of("c_custkey"), List.of(
          "c_custkey", "c_name", "c_address", "c_nationkey", "c_phone", "c_acctbal", "c_mktsegment", "c_comment",
          "_ingested_at")));

  /** Appends {@code raw} to the table's bronze copy; its rows typed, from bronze (the full run) or as appended. */
  private static Dataset<Row> bronze(SparkSession spark, HandTable t, Dataset<Row> raw, Path root) {
    String bronze = root.resolve("bronze/" + t.name()).toString();
    table(spark, "bronze." + t.name());
    Dataset<Row> landed = raw.withColumn("_ingested_at", current_timestamp()).withColumn("_source", expr("_metadata.file_path"));
    boolean first = !Files.exists(root.resolve("bronze/" + t.name()));
    HandWrites.append(landed, bronze, "bronze." + t.name());
    return (first ? HandWrites.read(spark, bronze) : landed).selectExpr(t.select().toArray(String[]::new));
  }

  private static Dataset<Row> newestPerKey(Dataset<Row> typed, List<String> keys) {
    return typed.withColumn("_rank", row_number().over(Window.partitionBy(
            keys.stream().map(k -> col(k)).toArray(org.apache.spark.sql.Column[]::new)).orderBy(col("_ingested_at").desc())))
        .where("_rank = 1").drop("_rank");
  }

  /** Q1 and Q3 as the pipeline's SQL files declare them, and revenue_daily, recomputed over silver. */
  private static Void gold(SparkSession spark, Path root) {
    for (HandTable t : HAND_TABLES) {
      HandWrites.read(spark, root.resolve("silver/" + t.name()).toString()).createOrReplaceTempView(t.name());
    }
    for (String q : List.of("pricing_summary", "shipping_priority")) {
      String sql = read(Path.of("conf/pipelines/sql/" + q + ".sql")).replace("silver.", "");
      table(spark, "gold." + q);
      HandWrites.overwrite(spark.sql(sql), root.resolve("gold/" + q).toString(), "gold." + q, List.of());
    }
    table(spark, "gold.revenue_daily");
    HandWrites.overwrite(spark.sql("SELECT o.o_orderdate AS order_date, count(DISTINCT o.o_orderkey) AS orders,"
        + " sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey"
        + " GROUP BY o.o_orderdate"), root.resolve("gold/revenue_daily").toString(), "gold.revenue_daily", List.of());
    table(spark, null);
    return null;
  }

  /**
   * Labels the hand-written job's next Spark jobs with a table, as the framework's scheduler pool
   * does, so {@link JobProfile} gives both jobs' task time per table. The jobs run one at a time,
   * so the pool changes nothing else.
   */
  private static void table(SparkSession spark, String name) {
    spark.sparkContext().setLocalProperty("spark.scheduler.pool", name);
  }

  /** Q1's rows in the framework's table that the hand-written job's table under {@code root} lacks. */
  private static long q1Differing(Pipeline p, SparkSession spark, Path root) {
    Dataset<Row> framework = p.table("gold.pricing_summary");
    Dataset<Row> hand = HandWrites.read(spark, root.resolve("gold/pricing_summary").toString());
    return framework.exceptAll(hand.selectExpr(framework.columns())).count();
  }

  private static RunReport check(RunReport report) {
    if (!report.succeeded()) {
      throw new IllegalStateException("The framework run failed: " + report.tables());
    }
    return report;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
