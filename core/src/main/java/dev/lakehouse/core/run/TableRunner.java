package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.spark.BatchStorage;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Companion;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.StreamExecution;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;

/**
 * Runs a {@link TableJob} as one Structured Streaming query. {@link RunMode#BATCH} uses
 * {@code Trigger.AvailableNow} and stops when the input is drained; {@link RunMode#STREAM} uses a
 * processing-time trigger and runs until stopped. The checkpoint makes each input row processed
 * once across runs; a re-run with no new input runs no micro-batch and so changes nothing.
 */
public final class TableRunner {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TableRunner.class);
  private final SparkSession spark;
  private final String runId;
  private final Duration triggerInterval;
  private final java.util.function.Function<TableJob, BatchExpectations> expectations;
  private final Duration leaseExpiry;
  /** Why this run was cancelled ({@link #cancel}); null while it goes on. */
  private volatile String cancelled;
  /** The table runs started and not yet ended, for {@link #cancel} to stop. */
  private final java.util.Set<RunningTable> running = java.util.concurrent.ConcurrentHashMap.newKeySet();

  public TableRunner(SparkSession spark, String runId, Duration triggerInterval) {
    this(spark, runId, triggerInterval, job -> BatchExpectations.NONE);
  }

  /** @param expectations the data-quality rules of each job's target table */
  public TableRunner(SparkSession spark, String runId, Duration triggerInterval,
      java.util.function.Function<TableJob, BatchExpectations> expectations) {
    this(spark, runId, triggerInterval, expectations, dev.lakehouse.core.spec.LakehouseSettings.DEFAULT_LEASE_EXPIRY);
  }

  /** @param leaseExpiry how long a run's lease on its table outlives its holder on another host (see {@link TableLease}) */
  public TableRunner(SparkSession spark, String runId, Duration triggerInterval,
      java.util.function.Function<TableJob, BatchExpectations> expectations, Duration leaseExpiry) {
    this.spark = spark;
    this.runId = runId;
    this.triggerInterval = triggerInterval;
    this.expectations = expectations;
    this.leaseExpiry = leaseExpiry;
  }

  /**
   * Runs {@code job} in batch mode and waits for it to finish: a {@link RefreshJob} on this thread,
   * any other as a streaming query that stops when its input is drained; none when the job streams
   * tables and its checkpoint has read their newest versions (see {@link TableJob#streamedTables}).
   * Never throws for a failed run.
   */
  public TableRunResult runBatch(TableJob job, String checkpoint, boolean fullRefresh) {
    if (cancelled != null) {
      return notStarted(job);
    }
    if (job instanceof RefreshJob refresh) {
      return refreshOnce(refresh, checkpoint, fullRefresh);
    }
    long startNanos = System.nanoTime();
    Instant startedAt = Instant.now();
    Optional<RunningTable> table;
    try {
      table = begin(job, checkpoint, RunMode.BATCH, fullRefresh, true);
    } catch (Exception e) { // not only ours: Spark's AnalysisException, a JDBC driver's SQLException, thrown undeclared
      return failed(job, RunMode.BATCH, e);
    }
    return table.isPresent() ? table.get().awaitResult() : upToDate(job, startNanos, startedAt);
  }

  /**
   * Cancels this run: tables not started yet do not start, and each running stream stops after the
   * micro-batch it is writing commits (one that starts meanwhile waits, and is read again by the
   * next run), so what the run committed stays and nothing is written twice. A gold refresh in
   * progress ends first: it is one commit, and the next run would only redo it. Returns at once;
   * each table's run reports {@link TableRunResult.Status#CANCELLED}.
   *
   * @param reason what stopped the run, for its tables' results (e.g. "SIGTERM")
   */
  public void cancel(String reason) {
    cancelled = reason;
    for (RunningTable t : running) {
      t.cancel();
    }
  }

  /** Whether {@link #cancel} was called. */
  public boolean cancelled() {
    return cancelled != null;
  }

  /** The result of a table this run did not start because it was cancelled. */
  private TableRunResult notStarted(TableJob job) {
    return TableRunResult.notRun(job.target().name(), RunMode.BATCH, TableRunResult.Status.CANCELLED,
        safeVersion(job.target()), "cancelled (" + cancelled + ") before it started; it read and wrote nothing");
  }

  private TableRunResult refreshOnce(RefreshJob job, String checkpoint, boolean fullRefresh) {
    long startNanos = System.nanoTime();
    Instant startedAt = Instant.now();
    Optional<TableVersion> before = Optional.empty();
    LongAdder read = new LongAdder();
    LongAdder quarantined = new LongAdder();
    OptionalLong written = OptionalLong.empty();
    Throwable error = null;
    TableLease lease = null;
    try {
      lease = lease(job, checkpoint);
      prepare(job, checkpoint, fullRefresh);
      before = safeVersion(job.target());
      // A stream of the table started later begins afresh (and finds the target up to date) instead
      // of from offsets this run went past, whose change files a clean-up may since have removed.
      LakehouseTable.deletePath(spark, checkpoint);
      // Not a micro-batch id: the time orders this table's refreshes for its quality results and
      // quarantine appends, under an id of its own that stream batches, counted from 0, never meet.
      long batchId = System.currentTimeMillis();
      BatchMark mark = new BatchMark("lakehouse:" + job.target().name() + ":refresh", batchId);
      // A refresh whose write failed left the table at this version: the next one starts from it again.
      String attempt = mark.appId() + " from version " + before.map(TableVersion::id).orElse("none");
      // A session of its own, as a stream's micro-batch has: a Delta MERGE takes its commit's note
      // from the session's settings, and tables refreshed side by side would otherwise set each
      // other's. Active on this thread, where Delta looks for it.
      SparkSession own = spark.cloneSession();
      scala.Option<SparkSession> active = SparkSession.getActiveSession();
      SparkSession.setActiveSession(own);
      try (BatchStorage stored = BatchStorage.open()) {
        written = job.refreshOnce(own, new BatchContext(runId, batchId, mark, quarantined, expectations.apply(job), read, attempt));
      } finally {
        if (active.isDefined()) {
          SparkSession.setActiveSession(active.get());
        } else {
          SparkSession.clearActiveSession();
        }
      }
    } catch (Exception | Error e) { // Spark's AnalysisException is checked, and thrown undeclared
      error = e;
    } finally {
      if (lease != null) {
        lease.close();
      }
    }
    Optional<TableVersion> after = safeVersion(job.target());
    if (error == null && after.isPresent()) {
      job.target().register(spark);
    }
    return new TableRunResult(job.target().name(), RunMode.BATCH,
        error == null ? TableRunResult.Status.SUCCEEDED : TableRunResult.Status.FAILED,
        written.isPresent() ? 1 : 0, error == null ? read.sum() : 0, written.orElse(0), before, after,
        Duration.ofNanos(System.nanoTime() - startNanos), error == null ? Optional.empty() : Optional.of(FailureMessage.of(job.target().name(), error)),
        startedAt, tableVersions(job), error == null ? quarantined.sum() : 0);
  }

  /**
   * Starts {@code job}; returns at once with a handle, which holds the table's lease (see
   * {@link TableLease}) until the run has ended.
   *
   * @throws TableRunException when another run of the table is running, when a source table does not exist yet, or when the
   *     checkpoint is behind the table (deleted or replaced by hand; see {@link CheckpointGuard})
   */
  public RunningTable start(TableJob job, String checkpoint, RunMode mode, boolean fullRefresh) {
    return begin(job, checkpoint, mode, fullRefresh, false).orElseThrow();
  }

  /**
   * {@link #start}, or with {@code unlessRead}, nothing when the job's stream has read every
   * version of its sources (see {@link #readEverything}).
   */
  private Optional<RunningTable> begin(TableJob job, String checkpoint, RunMode mode, boolean fullRefresh, boolean unlessRead) {
    TableLease lease = lease(job, checkpoint);
    try {
      prepare(job, checkpoint, fullRefresh);
      if (!(job instanceof RefreshJob)) { // a refresh drops its stream's checkpoint on purpose (see refreshOnce)
        CheckpointGuard.check(spark, job.target(), checkpoint);
      }
      boolean nothingNew = unlessRead && !fullRefresh && readEverything(job, checkpoint); // a full refresh read nothing yet
      if (nothingNew) {
        lease.close();
        return Optional.empty();
      }
      RunningTable table = new RunningTable(job, checkpoint, mode, lease);
      running.add(table);
      if (cancelled != null) { // cancelled while it started
        table.cancel();
      }
      return Optional.of(table);
    } catch (Throwable e) { // also the checked exceptions Spark throws undeclared
      lease.close();
      throw e;
    }
  }

  /**
   * Whether {@code job}'s stream has read every version of the tables it streams by its last committed batch
   * (see {@link TableJob#streamedTables}). When it cannot tell, no: the stream then starts and
   * finds out itself.
   */
  private boolean readEverything(TableJob job, String checkpoint) {
    Optional<java.util.List<LakehouseTable>> tables = job.streamedTables();
    if (tables.isEmpty()) {
      return false;
    }
    try {
      Optional<java.util.List<String>> offsets = StreamCheckpoint.settled(spark.sparkContext().hadoopConfiguration(), checkpoint);
      java.util.List<LakehouseTable> streamed = tables.get();
      if (offsets.isEmpty() || offsets.get().size() != streamed.size()) {
        return false;
      }
      for (int i = 0; i < streamed.size(); i++) {
        if (!streamed.get(i).streamReadAll(spark, offsets.get().get(i))) {
          return false;
        }
      }
      return true;
    } catch (RuntimeException e) {
      LOG.warn("Cannot tell whether {} has read its sources' newest versions; starting its stream: {}", job.target().name(), e.toString());
      return false;
    }
  }

  /** The result of a batch run that found its stream had read its sources' newest versions: nothing to do. */
  private TableRunResult upToDate(TableJob job, long startNanos, Instant startedAt) {
    Optional<TableVersion> version = safeVersion(job.target());
    if (version.isPresent()) {
      job.target().register(spark);
    }
    LOG.info("{} has read the newest versions of its sources already; its stream was not started", job.target().name());
    return new TableRunResult(job.target().name(), RunMode.BATCH, TableRunResult.Status.SUCCEEDED, 0, 0, 0, version, version,
        Duration.ofNanos(System.nanoTime() - startNanos), Optional.empty(), startedAt, tableVersions(job), 0);
  }

  /** Takes the lease of {@code job}'s table for this run (see {@link TableLease}). */
  private TableLease lease(TableJob job, String checkpoint) {
    return TableLease.acquire(spark.sparkContext().hadoopConfiguration(), job.target().name(), checkpoint, runId, leaseExpiry);
  }

  /**
   * Deletes the target, the tables kept beside it and its checkpoint for a full refresh; refuses a
   * job whose source does not exist yet.
   */
  private void prepare(TableJob job, String checkpoint, boolean fullRefresh) {
    LakehouseTable target = job.target();
    if (fullRefresh) {
      deleteWithState(spark, target, checkpoint);
    }
    for (LakehouseTable source : job.sources()) {
      if (!source.exists(spark)) {
        throw new TableRunException(target.name(), "Cannot run " + target.name() + ": its source table "
            + source.name() + " does not exist yet at " + source.location() + "; run " + source.name()
            + " first (e.g. run --tables " + source.name() + "+, or run --all)", null);
      }
    }
  }

  /**
   * Deletes a table, the tables kept beside it and its stream's checkpoint: what a rebuild from
   * the sources starts from. The tables beside it go too: the rebuild writes them again from the
   * same input, and kept, they would refuse its appends (each append carries its batch's id, the ids
   * start again at 0 with the new checkpoint, and a table skips an id it holds as a replay); a
   * gold table's partial aggregates and ranked rows would only take space.
   */
  public static void deleteWithState(SparkSession spark, LakehouseTable table, String checkpoint) {
    table.delete(spark);
    for (Companion companion : Companion.values()) {
      LakehouseTable.deletePath(spark, companion.locationOf(table.location()));
    }
    for (LakehouseTable.Kept kept : LakehouseTable.Kept.values()) {
      table.keptBeside(kept).delete(spark);
    }
    LakehouseTable.deletePath(spark, checkpoint);
  }

  /** The current version of each source table of {@code job}, by its name. */
  private Map<String, String> tableVersions(TableJob job) {
    Map<String, String> versions = new TreeMap<>();
    for (LakehouseTable source : job.sources()) {
      safeVersion(source).ifPresent(v -> versions.put(source.name().toString(), v.id()));
    }
    return versions;
  }

  private TableRunResult failed(TableJob job, RunMode mode, Throwable e) {
    return TableRunResult.notRun(job.target().name(), mode, TableRunResult.Status.FAILED,
        safeVersion(job.target()), FailureMessage.of(job.target().name(), e));
  }

  private Optional<TableVersion> safeVersion(LakehouseTable t) {
    try {
      return t.currentVersion(spark);
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Restarts of a stream after its source's schema changed, per start (see {@link RunningTable#restartIfSourceSchemaChanged}). */
  static final int MAX_SCHEMA_RESTARTS = 3;

  /** Whether a streaming query ended because its source's schema is no longer the one it started with. */
  static boolean sourceSchemaChanged(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      // Delta names it by error class (DELTA_SCHEMA_CHANGED, _WITH_VERSION, _WITH_STARTING_OPTIONS);
      // Spark's own check, which Hudi's source meets, is a plain assertion.
      boolean delta = t instanceof org.apache.spark.SparkThrowable st && st.getErrorClass() != null
          && st.getErrorClass().startsWith("DELTA_SCHEMA_CHANGED");
      if (delta || (t instanceof AssertionError && String.valueOf(t.getMessage()).startsWith("assertion failed: Invalid batch:"))) {
        return true;
      }
    }
    return false;
  }

  /** The start of a message for a log line: its first line, at most 200 characters (Spark's "Invalid batch" lists every column twice). */
  private static String firstLine(String message) {
    String m = String.valueOf(message);
    int nl = m.indexOf('\n');
    String line = nl < 0 ? m : m.substring(0, nl);
    return line.length() <= 200 ? line : line.substring(0, 200) + "...";
  }

  /** A started table run. */
  public final class RunningTable {
    private final TableJob job;
    private final RunMode mode;
    /** Replaced when the stream restarts after its source's schema changed (see {@link #restartIfSourceSchemaChanged}). */
    private volatile StreamingQuery query;
    private final String checkpoint;
    private final Trigger trigger;
    private final VoidFunction2<Dataset<Row>, Long> microBatch;
    private int restarts;
    private final long startNanos = System.nanoTime();
    private final Instant startedAt = Instant.now();
    private final Optional<TableVersion> versionBefore;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong rowsRead = new AtomicLong();
    private final AtomicLong rowsWritten = new AtomicLong();
    private final LongAdder rowsQuarantined = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final TableLease lease;
    /** Set by {@link #stop}: a micro-batch that starts after it waits for the stop, before it writes. */
    private volatile boolean stopping;
    /** Set by {@link #cancel} when it stopped the query before its input was drained. */
    private volatile boolean cancelledHere;
    /** Counted down when a micro-batch waits for the stop. */
    private final CountDownLatch parked = new CountDownLatch(1);

    /**
     * A refresh's stream starts from a new checkpoint each time (see {@link #refreshOnce}), its batch
     * ids from 0 again, while the tables beside its table keep the ids of the streams before it. The
     * streaming query's id, kept in its checkpoint, tells them apart; a batch replayed from the same
     * checkpoint keeps its mark. Other jobs keep their checkpoint (see {@link CheckpointGuard}).
     */
    private String batchAppId(String appId) {
      return job instanceof RefreshJob
          ? appId + ":" + spark.sparkContext().getLocalProperty(StreamExecution.QUERY_ID_KEY())
          : appId;
    }

    /**
     * A micro-batch across its attempts: Spark replays a failed batch under its id from the same
     * checkpoint, whose query id tells a rebuilt table's batches (--full-refresh deletes the
     * checkpoint, and the ids start at 0 again) from those before it.
     */
    private String streamAttempt(String markAppId, long batchId) {
      return markAppId + " query " + spark.sparkContext().getLocalProperty(StreamExecution.QUERY_ID_KEY()) + " batch " + batchId;
    }

    private RunningTable(TableJob job, String checkpoint, RunMode mode, TableLease lease) {
      this.job = job;
      this.lease = lease;
      this.mode = mode;
      this.checkpoint = checkpoint;
      this.versionBefore = safeVersion(job.target());
      String appId = CheckpointGuard.streamAppId(job.target().name());
      BatchExpectations rules = expectations.apply(job);
      this.microBatch = (batch, batchId) -> {
        if (stopping) {
          // The stop interrupts this wait: Spark ends the query cleanly, and the batch, planned but
          // not committed, is processed by the next start.
          parked.countDown();
          new CountDownLatch(1).await();
        }
        try (BatchStorage stored = BatchStorage.open()) {
          // Materialise first when the job reads its batch more than once: the source is read once.
          boolean rereads = job.rereadsBatch();
          Dataset<Row> rows = rereads ? LakehouseSpark.materialize(batch) : batch;
          LongAdder quarantined = new LongAdder();
          LongAdder read = new LongAdder();
          if (rereads) {
            read.add(LakehouseSpark.count(rows));
          }
          long out = job.processBatch(rows, new BatchContext(runId, batchId, new BatchMark(batchAppId(appId), batchId), quarantined,
              rules, read, streamAttempt(batchAppId(appId), batchId)));
          // The batch wrote in the stream's clone of the session: queries of the table's name in
          // this session (a notebook's, while the stream runs) would read Hudi's cached file list.
          job.target().refreshCachedEntry(spark);
          long in = read.sum();
          rowsQuarantined.add(quarantined.sum()); // only once the batch succeeded: a retried batch counts once
          batches.incrementAndGet();
          rowsRead.addAndGet(in);
          rowsWritten.addAndGet(out);
        } catch (Exception | Error e) {
          failure.compareAndSet(null, e);
          throw e;
        }
      };
      this.trigger = mode == RunMode.BATCH
          ? Trigger.AvailableNow()
          : Trigger.ProcessingTime(triggerInterval.toMillis());
      this.query = startQuery();
    }

    private StreamingQuery startQuery() {
      try {
        return job.input(spark).writeStream()
            .queryName(job.target().name().toString())
            .option("checkpointLocation", checkpoint)
            .trigger(trigger)
            .foreachBatch(microBatch)
            .start();
      } catch (TimeoutException e) {
        throw new TableRunException(job.target().name(), "Cannot start " + job.target().name() + ": " + e.getMessage(), e);
      }
    }

    public StreamingQuery query() {
      return query;
    }

    /**
     * In stream mode, starts the table's query again, from its checkpoint, when it ended because its
     * source's schema changed (a column added upstream, see {@code schema-drift = add-new-columns}):
     * a streaming query keeps the schema it started with, and its source stops it then (Delta:
     * {@code DELTA_SCHEMA_CHANGED}, Hudi: Spark's "Invalid batch" check). The new query reads with
     * the new schema; the batch that stopped the old one had not committed and runs again. At most
     * {@value #MAX_SCHEMA_RESTARTS} times per start, in case the change is one a restart cannot take.
     *
     * @return whether it restarted
     */
    public synchronized boolean restartIfSourceSchemaChanged() {
      StreamingQuery q = query;
      if (mode != RunMode.STREAM || stopping || q.isActive() || q.exception().isEmpty()
          || !sourceSchemaChanged(q.exception().get()) || restarts >= MAX_SCHEMA_RESTARTS) {
        return false;
      }
      restarts++;
      LOG.warn("The source of {} changed its schema; starting its stream again with the new columns ({}): {}",
          job.target().name(), restarts, firstLine(q.exception().get().getMessage()));
      try {
        query = startQuery();
      } catch (Exception e) { // the source refused to start (a bronze check, Spark's AnalysisException): the run ends failed
        failure.compareAndSet(null, e);
        return false;
      }
      return true;
    }

    /** Rows processed so far, for progress reports. */
    public long rowsRead() {
      return rowsRead.get();
    }

    public long batches() {
      return batches.get();
    }

    /** Blocks until every input available now is processed (stream mode), restarting the stream after a source's schema change. */
    public void processAllAvailable() {
      while (true) {
        try {
          query.processAllAvailable();
          return;
        } catch (Exception e) { // a StreamingQueryException: checked, thrown undeclared
          if (!restartIfSourceSchemaChanged()) {
            throw e;
          }
        }
      }
    }

    /**
     * Stops a stream-mode run after its current micro-batch. Spark's stop interrupts a micro-batch
     * that is running; Delta's writes end cleanly on that, Hudi's do not (its timeline server
     * wraps the interrupt in an exception of its own) and the table was reported failed. So the
     * running batch ends first, and one that starts meanwhile waits for the stop before it writes.
     */
    public TableRunResult stop() {
      stopQuery();
      return awaitResult();
    }

    /** Stops the query after its current micro-batch (see {@link #stop}); does not wait for its result. */
    private void stopQuery() {
      synchronized (this) { // a restart (see restartIfSourceSchemaChanged) either comes before, and this stops its query, or sees the stop
        stopping = true;
      }
      try {
        while (query.isActive() && query.status().isTriggerActive() && !parked.await(100, TimeUnit.MILLISECONDS)) {
          // the running micro-batch goes on to its commit
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        query.stop();
      } catch (TimeoutException e) {
        failure.compareAndSet(null, e);
      }
    }

    /**
     * Stops a batch-mode run after its current micro-batch, as {@link #stop} does a stream's, from
     * another thread; the thread in {@link #awaitResult} then reports it cancelled. A query that
     * ended by itself (its input drained) is left as it ended.
     */
    void cancel() {
      Thread stopper = new Thread(() -> {
        if (query.isActive()) {
          cancelledHere = true;
          stopQuery();
        }
      }, "lakehouse-cancel-" + job.target().name());
      stopper.setDaemon(true);
      stopper.start();
    }

    /** Waits for the query to end (batch mode ends by itself), gives the table's lease up, and reports what the run did. */
    public TableRunResult awaitResult() {
      Throwable error = null;
      try {
        query.awaitTermination();
      } catch (StreamingQueryException e) {
        error = failure.get() != null ? failure.get() : e;
      } finally {
        lease.close();
        running.remove(this);
      }
      if (error == null && failure.get() != null) {
        error = failure.get();
      }
      Duration took = Duration.ofNanos(System.nanoTime() - startNanos);
      Optional<TableVersion> after = safeVersion(job.target());
      if (error == null && after.isPresent()) {
        job.target().register(spark);
      }
      boolean stoppedEarly = error == null && cancelledHere;
      Optional<String> message = error != null ? Optional.of(FailureMessage.of(job.target().name(), error))
          : stoppedEarly ? Optional.of("cancelled (" + cancelled + ") after " + batches.get() + " committed micro-batch(es); "
              + "the next run reads on from there") : Optional.empty();
      return new TableRunResult(job.target().name(), mode,
          error != null ? TableRunResult.Status.FAILED : stoppedEarly ? TableRunResult.Status.CANCELLED : TableRunResult.Status.SUCCEEDED,
          batches.get(), rowsRead.get(), rowsWritten.get(), versionBefore, after, took, message, startedAt, sourceVersions(),
          rowsQuarantined.sum());
    }

    /**
     * The version of each source table read; for a source outside the lakehouse (files, Kafka,
     * JDBC), the stream's end offset after the run as Spark's checkpoint records it (the files
     * log position, the Kafka offsets per partition, the JDBC high-water mark), by the source's name.
     */
    private Map<String, String> sourceVersions() {
      Map<String, String> versions = tableVersions(job);
      if (job.sources().isEmpty()) {
        for (org.apache.spark.sql.streaming.StreamingQueryProgress p : query.recentProgress()) {
          for (org.apache.spark.sql.streaming.SourceProgress s : p.sources()) {
            if (s.endOffset() != null) {
              versions.put(s.description(), s.endOffset());
            }
          }
        }
      }
      return versions;
    }
  }
}
