package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** Tables running in stream mode, one streaming query each, until {@link #stop()}. */
public final class StreamingRun {
  private final List<TableRunner.RunningTable> tables;
  private final Consumer<List<TableRunResult>> onStopped;
  private List<TableRunResult> stopped;

  StreamingRun(List<TableRunner.RunningTable> tables, Consumer<List<TableRunResult>> onStopped) {
    this.tables = List.copyOf(tables);
    this.onStopped = onStopped;
  }

  /** Waits until every table has processed the input available now, upstream tables first. */
  public void processAllAvailable() {
    for (TableRunner.RunningTable t : tables) {
      t.processAllAvailable();
    }
  }

  /**
   * Blocks until {@code stopRequested} is counted down or any table's query ends by itself
   * (a failure ends the whole run); does not stop anything itself. A query that ended because its
   * source gained columns is started again instead (see
   * {@link TableRunner.RunningTable#restartIfSourceSchemaChanged}).
   */
  public void awaitStopOrEnd(CountDownLatch stopRequested) throws InterruptedException {
    while (!stopRequested.await(500, TimeUnit.MILLISECONDS)
        && tables.stream().allMatch(t -> t.query().isActive() || t.restartIfSourceSchemaChanged())) {
      // poll: a StreamingQuery offers no wait-for-any across several queries
    }
  }

  public List<TableRunner.RunningTable> tables() {
    return tables;
  }

  /** Stops every table after its current micro-batch and reports what each did while streaming. */
  public synchronized List<TableRunResult> stop() {
    if (stopped == null) {
      List<TableRunResult> results = new ArrayList<>();
      for (TableRunner.RunningTable t : tables) {
        results.add(t.stop());
      }
      stopped = List.copyOf(results);
      onStopped.accept(stopped);
    }
    return stopped;
  }
}
