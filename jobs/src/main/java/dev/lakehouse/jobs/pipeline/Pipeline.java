package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.config.SqlTableReferences;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.BatchExpectations;
import dev.lakehouse.core.run.RunLog;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.SystemTable;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.quality.ExpectationQuarantine;
import dev.lakehouse.quality.QualityReport;
import dev.lakehouse.quality.QualityResults;
import dev.lakehouse.quality.TableExpectations;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * An opened pipeline: its validated spec bound to a SparkSession in which the pipeline's tables
 * are named {@code layer.name}. Obtain one from {@link dev.lakehouse.jobs.Lakehouse}.
 *
 * <p>Tables are registered in the session catalog when a query names them (and each table when a
 * run writes it), not all at open: a spark-submit that runs one table of a large pipeline, as an
 * Airflow task does, should not read every other table's log first.
 */
public final class Pipeline {
  private final PipelineSpec spec;
  private final SparkSession spark;
  private final RunLog runLog;
  private final java.util.Set<TableName> registered = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final QualityResults qualityResults;
  /** The batch runs in progress, for {@link #cancel}. */
  private final java.util.Set<TableRunner> runs = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The batch runs in progress of every pipeline of this JVM, for {@link #cancelEveryRun}. */
  private static final java.util.Set<TableRunner> RUNS_OF_THE_JVM = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public Pipeline(PipelineSpec spec, SparkSession spark) {
    this.spec = spec;
    this.spark = spark;
    this.runLog = new RunLog(spark, spec.settings());
    this.qualityResults = new QualityResults(spark, spec.settings());
    runLog.register();
    qualityResults.register();
  }

  public PipelineSpec spec() {
    return spec;
  }

  public SparkSession spark() {
    return spark;
  }

  /** What a run of {@code selectors} (all tables when empty) would do, in run order. */
  public List<PlannedTable> plan(List<String> selectors) {
    return PipelinePlan.plan(spec, selectors);
  }

  /**
   * Runs the selected tables in batch mode, upstream first. A failed table skips the tables
   * downstream of it; the others still run.
   *
   * @param listener told about each table as it finishes (progress), may be a no-op
   */
  public RunReport run(List<String> selectors, boolean fullRefresh, Consumer<TableRunResult> listener) {
    String runId = newRunId();
    TableRunner runner = new TableRunner(spark, runId, spec.settings().triggerInterval(), this::expectations, spec.settings().leaseExpiry());
    runs.add(runner);
    RUNS_OF_THE_JVM.add(runner);
    List<TableName> order = selection(selectors);
    Map<TableName, CompletableFuture<TableRunResult>> runs = new LinkedHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(spec.settings().parallelism(), r -> {
      Thread t = new Thread(r, "lakehouse-table-run");
      t.setDaemon(true);
      return t;
    });
    try {
      // A table starts when the selected tables it reads have finished; independent tables run
      // side by side, bounded by lakehouse.run.parallelism.
      for (TableName t : order) {
        List<CompletableFuture<TableRunResult>> upstream = spec.table(t).upstream().stream()
            .filter(runs::containsKey).map(runs::get).toList();
        CompletableFuture<TableRunResult> run = CompletableFuture
            .allOf(upstream.toArray(CompletableFuture[]::new))
            .thenApplyAsync(ignored -> runOne(runner, t, upstream, fullRefresh), pool)
            .thenApply(result -> {
              synchronized (listener) {
                listener.accept(result);
              }
              return result;
            });
        runs.put(t, run);
      }
      List<TableRunResult> results = new ArrayList<>();
      try {
        for (CompletableFuture<TableRunResult> f : runs.values()) {
          results.add(f.join());
        }
      } finally {
        runLog.record(runId, results, specHashes());
        writeQualityReport(runId, results);
      }
      return new RunReport(runId, List.copyOf(results));
    } finally {
      runs.remove(runner);
      RUNS_OF_THE_JVM.remove(runner);
      pool.shutdown();
    }
  }

  /**
   * Cancels the batch runs in progress (see {@link TableRunner#cancel}): each running table stops
   * after its current micro-batch commits, tables not started yet do not start, and each run still
   * records its tables in the run log, as {@code cancelled}, and returns its report. What to do on
   * SIGTERM or Ctrl-C. Runs started later are not affected.
   *
   * @param reason what stopped the runs (e.g. "SIGTERM"), in each table's result
   */
  public void cancel(String reason) {
    for (TableRunner r : runs) {
      r.cancel(reason);
    }
  }

  /**
   * {@link #cancel} for the batch runs in progress of every pipeline open in this JVM, whoever
   * started them: what a notebook's interrupt (the kernel's stop button) does, since the kernel does
   * not know which pipelines a cell opened.
   *
   * @return how many runs were in progress, and are now cancelled
   */
  public static int cancelEveryRun(String reason) {
    int cancelled = 0;
    for (TableRunner r : RUNS_OF_THE_JVM) {
      r.cancel(reason);
      cancelled++;
    }
    return cancelled;
  }

  private TableRunResult runOne(TableRunner runner, TableName t, List<CompletableFuture<TableRunResult>> upstream,
      boolean fullRefresh) {
    TableSpec ts = spec.table(t);
    Optional<TableName> brokenUpstream = upstream.stream().map(CompletableFuture::join)
        .filter(r -> r.status() != TableRunResult.Status.SUCCEEDED).map(TableRunResult::table).findFirst();
    if (brokenUpstream.isPresent() && !runner.cancelled()) { // a cancelled run reports its tables cancelled
      return TableRunResult.notRun(t, RunMode.BATCH, TableRunResult.Status.SKIPPED,
          LakehouseTable.of(ts).currentVersion(spark), "skipped: upstream " + brokenUpstream.get() + " did not succeed");
    }
    spark.sparkContext().setLocalProperty("spark.job.description", "lakehouse " + t);
    // Its own pool under spark.scheduler.mode = FAIR (ignored under FIFO); the table's stream
    // thread, started from this one, inherits it.
    spark.sparkContext().setLocalProperty("spark.scheduler.pool", t.toString());
    return runner.runBatch(TableJobs.forTable(spec, ts), ts.checkpoint(), fullRefresh);
  }

  /** Runs every selected table (all when empty) in batch mode. */
  public RunReport run(String... selectors) {
    return run(List.of(selectors), false, r -> {});
  }

  /**
   * Starts the selected tables in stream mode: first a batch pass brings every table up to date
   * (so each stream's source exists), then one streaming query per table keeps running.
   *
   * @throws LakehouseException when the catch-up pass fails
   */
  public StreamingRun startStreams(List<String> selectors, boolean fullRefresh, Consumer<TableRunResult> listener) {
    RunReport catchUp = run(selectors, fullRefresh, listener);
    if (!catchUp.succeeded()) {
      throw new LakehouseException("Cannot start streaming: the catch-up run failed: " + catchUp.tables().stream()
          .filter(r -> r.error().isPresent()).map(r -> r.table() + ": " + r.error().get()).toList());
    }
    TableRunner runner = new TableRunner(spark, catchUp.runId(), spec.settings().triggerInterval(), this::expectations,
        spec.settings().leaseExpiry());
    List<TableRunner.RunningTable> running = new ArrayList<>();
    for (TableName t : selection(selectors)) {
      TableSpec ts = spec.table(t);
      running.add(runner.start(TableJobs.forTable(spec, ts), ts.checkpoint(), RunMode.STREAM, false));
    }
    return new StreamingRun(running, results -> {
      runLog.record(catchUp.runId(), results, specHashes());
      writeQualityReport(catchUp.runId(), results);
    });
  }

  /**
   * Compacts and cleans the selected tables (every table when none is selected) and the tables kept
   * beside them, keeping what the pipeline's streams and incremental gold tables have yet to read
   * (see {@link TableMaintenance}). Records each table in the run log, mode {@code maintain}, unless
   * {@code dryRun}, which changes nothing and tells what would be deleted. A table maintained less
   * than its {@code maintenance.every} ago is left alone, unless {@code force}. With every table (no
   * selector), the system tables too ({@code _lakehouse.runs}, {@code _lakehouse.quality_results}),
   * and the quality reports older than {@code keep-reports}, which only the listener is told about;
   * with a {@code lakehouse.maintenance.every}, only when a pipeline table was maintained (theirs
   * is in no log: this keeps them to the pipeline's tables' cadence).
   *
   * @param listener told about each table as it is done
   */
  public List<TableRunResult> maintain(List<String> selectors, boolean dryRun, boolean force,
      Consumer<TableMaintenance.Outcome> listener) {
    String runId = newRunId();
    TableMaintenance maintenance = new TableMaintenance(spec, spark, runLog, dryRun, force);
    List<TableRunResult> results = new ArrayList<>();
    Map<String, String> hashes = new LinkedHashMap<>();
    for (TableName t : selection(selectors)) {
      TableSpec ts = spec.table(t);
      Optional<TableMaintenance.Outcome> notDue = maintenance.notDue(ts);
      if (notDue.isPresent()) {
        listener.accept(notDue.get());
        continue;
      }
      for (TableRunResult r : maintenance.maintain(ts, runId, listener)) {
        results.add(r);
        hashes.put(r.table().toString(), ts.specHash()); // a table kept beside it: its base table's spec
      }
    }
    if (selectors.isEmpty() && (!results.isEmpty() || force || spec.settings().maintenance().every().isZero())) {
      for (SystemTable t : List.of(runLog.table(), qualityResults.table())) {
        maintenance.maintain(t).ifPresent(listener);
      }
      listener.accept(maintenance.maintainQualityReports());
    }
    if (!dryRun) {
      runLog.record(runId, results, hashes);
    }
    return results;
  }

  /** {@link #maintain(List, boolean, boolean, Consumer)}, each table only when due. */
  public List<TableRunResult> maintain(List<String> selectors, boolean dryRun, Consumer<TableMaintenance.Outcome> listener) {
    return maintain(selectors, dryRun, false, listener);
  }

  /** Runs one table in batch mode. */
  public TableRunResult runTable(String name) {
    return run(List.of(name), false, r -> {}).tables().get(0);
  }

  /** The job of one table, for running it alone (e.g. a stream in a test or a notebook). */
  public TableJob job(String name) {
    return TableJobs.forTable(spec, spec.table(parse(name)));
  }

  /** A table's current content. */
  public Dataset<Row> table(String name) {
    return LakehouseTable.of(spec.table(parse(name))).read(spark);
  }

  /** A table's content as of an earlier version (time travel). */
  public Dataset<Row> tableAt(String name, String version) {
    return LakehouseTable.of(spec.table(parse(name))).readAt(spark, new TableVersion(version));
  }

  /** A table's latest version, empty when it was never written. */
  public Optional<TableVersion> version(String name) {
    return LakehouseTable.of(spec.table(parse(name))).currentVersion(spark);
  }

  /** Runs a SQL query in this pipeline's session: tables are named {@code layer.name}. */
  public Dataset<Row> sql(String query) {
    registerReadBy(query);
    return spark.sql(query);
  }

  /** The HTML quality report of a run (its path), when the run checked expectations. */
  public Optional<String> qualityReport(String runId) {
    return QualityReport.find(spark, spec.settings(), runId);
  }

  /**
   * Writes the quality report of a run whose tables processed anything, or failed (a batch that
   * failed on a rule recorded it first). Expectations are checked per micro-batch or refresh, so a
   * run of none checked nothing; its report would only scan every result ever recorded to find none
   * (6 s of a fresh JVM's 19 s {@code run --all} with nothing new).
   */
  private void writeQualityReport(String runId, List<TableRunResult> results) {
    if (results.stream().allMatch(r -> r.batches() == 0 && r.status() != TableRunResult.Status.FAILED)) {
      return;
    }
    try {
      QualityReport.write(spark, spec.settings(), runId);
    } catch (Exception e) { // the report describes the run; it must not fail it (Spark's exceptions may be checked ones)
      org.slf4j.LoggerFactory.getLogger(Pipeline.class).warn("Cannot write the quality report of run {}: {}", runId,
          e.toString());
    }
  }

  /** The expectations of a job's table (see dev.lakehouse.quality). */
  private BatchExpectations expectations(TableJob job) {
    return new TableExpectations(spec.table(job.target().name()), spec.settings(), qualityResults,
        t -> LakehouseTable.of(spec.table(t)));
  }

  private Map<String, String> specHashes() {
    Map<String, String> hashes = new LinkedHashMap<>();
    spec.tables().forEach((name, t) -> hashes.put(name.toString(), t.specHash()));
    return hashes;
  }

  private List<TableName> selection(List<String> selectors) {
    return selectors.isEmpty() ? PipelinePlan.order(spec) : PipelinePlan.select(spec, selectors);
  }

  private TableName parse(String name) {
    TableName t = TableName.parse(name);
    if (t == null || !spec.tables().containsKey(t)) {
      throw new LakehouseException("Cannot find table '" + name + "' in pipeline " + spec.name()
          + "; tables are " + spec.tables().keySet());
    }
    return t;
  }

  /** Registers the expectation quarantine tables ({@code layer.name_quarantine}) among {@code relations}. */
  private void registerQuarantines(List<List<String>> relations) {
    for (List<String> parts : relations) {
      TableName q = SqlTableReferences.tableName(parts);
      TableSpec t = q == null ? null : Companion.QUARANTINE.baseOf(q).map(spec.tables()::get).orElse(null);
      if (t != null && t.expectations().stream().anyMatch(e -> e.action() == Expectation.Action.QUARANTINE)) {
        LakehouseTable quarantine = new ExpectationQuarantine(t).table();
        if (quarantine.exists(spark)) {
          quarantine.register(spark);
        }
      }
    }
  }

  /**
   * Registers the existing pipeline tables {@code query} names. All of them when it names no table
   * (SHOW TABLES) or Spark's plain parser cannot read it (a format's own statement, such as VACUUM,
   * OPTIMIZE or Hudi's CALL, which failed here with the plain parser's error before); none when the
   * tables it names are not the pipeline's (the run log's {@code _lakehouse.runs}): registering
   * every table reads every table's log (the demo's 27: 0.8 s of CPU in a fresh JVM).
   */
  private void registerReadBy(String query) {
    Optional<List<List<String>>> relations = SqlTableReferences.ofParsable(query);
    List<TableName> named = relations.orElse(List.of()).stream()
        .map(SqlTableReferences::tableName)
        .filter(t -> t != null && spec.tables().containsKey(t))
        .toList();
    if (relations.isEmpty() || relations.get().isEmpty()) {
      named = List.copyOf(spec.tables().keySet());
    }
    registerQuarantines(relations.orElse(List.of()));
    for (TableName t : named) {
      if (registered.add(t)) {
        LakehouseTable table = LakehouseTable.of(spec.table(t));
        if (table.exists(spark)) {
          table.register(spark);
        } else {
          registered.remove(t); // not written yet: register it once it is
        }
      }
    }
  }

  private static String newRunId() {
    return LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
  }
}
