package dev.lakehouse.core.testing;

import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.streaming.StreamingQueryListener;

/**
 * Counts the streaming queries of one name (a table's) that start. Spark tells its listeners
 * before {@code start} returns, so the count is exact once a run has returned.
 */
public final class StreamStarts extends StreamingQueryListener {
  private final String name;
  private final AtomicInteger count = new AtomicInteger();

  public StreamStarts(String name) {
    this.name = name;
  }

  /** The streams started since the last call. */
  public int take() {
    return count.getAndSet(0);
  }

  @Override
  public void onQueryStarted(QueryStartedEvent event) {
    if (name.equals(event.name())) {
      count.incrementAndGet();
    }
  }

  @Override
  public void onQueryProgress(QueryProgressEvent event) {}

  @Override
  public void onQueryTerminated(QueryTerminatedEvent event) {}
}
