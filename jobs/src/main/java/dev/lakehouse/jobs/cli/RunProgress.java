package dev.lakehouse.jobs.cli;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQueryListener;
import org.apache.spark.sql.streaming.StreamingQueryProgress;

/**
 * Prints progress while tables run: a line when a table's query starts and after each of its
 * micro-batches (batches and rows so far). Every table run is a streaming query named after its
 * table, so Spark's own progress events say all there is to say.
 */
final class RunProgress extends StreamingQueryListener implements AutoCloseable {
  private final PrintStream out;
  private final SparkSession spark;
  private final Map<String, long[]> totals = new ConcurrentHashMap<>();
  private final AtomicLong lines = new AtomicLong();

  private RunProgress(SparkSession spark, PrintStream out) {
    this.spark = spark;
    this.out = out;
  }

  /** Starts reporting the queries of {@code spark} to {@code out}; close to stop. */
  static RunProgress start(SparkSession spark, PrintStream out) {
    RunProgress p = new RunProgress(spark, out);
    spark.streams().addListener(p);
    return p;
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    totals.put(event.id().toString(), new long[2]);
    print(String.format("[started]   %s", event.name()));
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {
    StreamingQueryProgress p = event.progress();
    if (p.numInputRows() == 0) {
      return; // an idle trigger: Spark reports those too, but no micro-batch ran
    }
    long[] t = totals.computeIfAbsent(p.id().toString(), k -> new long[2]);
    long batches;
    long rows;
    synchronized (t) {
      batches = ++t[0];
      rows = (t[1] += p.numInputRows());
    }
    print(String.format("[progress]  %s: micro-batch %d done, %,d rows so far (%,d in this batch, %.0f rows/s)",
        p.name(), batches, rows, p.numInputRows(), p.processedRowsPerSecond()));
  }

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {
    // The run's own line per table (RunSummary.progress) reports the end, with versions.
  }

  private void print(String line) {
    lines.incrementAndGet();
    synchronized (out) {
      out.println(line);
    }
  }

  /** How many progress lines were printed. */
  long lines() {
    return lines.get();
  }

  @Override
  public void close() {
    try {
      // Events reach listeners asynchronously: let the last micro-batch's line out before leaving.
      spark.sparkContext().listenerBus().waitUntilEmpty(10_000);
    } catch (Exception e) {
      // a progress line may be missing; the run itself is unaffected
    } finally {
      spark.streams().removeListener(this);
    }
  }
}
