package dev.lakehouse.core.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.rdd.RDD;

/**
 * The rows {@link LakehouseSpark#materialize} stores on one thread while one batch of one table
 * runs, freed when the batch ends. Spark frees a local checkpoint only once its dataset is
 * garbage-collected, which a large heap rarely forces: after a TPC-H SF 1 pipeline run, 2.3 GB of
 * rows no batch would read again were still held in the block manager (had its memory filled,
 * newer rows would have pushed them to disk). A batch's own rows are not needed after it: it has
 * written what it wrote, and the next batch reads the tables.
 *
 * <p>Scopes nest: rows stored in an inner scope are freed when it closes. Rows stored on a thread
 * with no open scope (a test, a notebook calling a step by hand) are left to Spark, as before.
 */
public final class BatchStorage implements AutoCloseable {
  private static final ThreadLocal<BatchStorage> OPEN = new ThreadLocal<>();

  private final BatchStorage outer;
  private final List<RDD<?>> stored = new ArrayList<>();

  private BatchStorage(BatchStorage outer) {
    this.outer = outer;
  }

  /** Opens a scope on this thread: the rows materialised on it until {@link #close} are freed then. */
  public static BatchStorage open() {
    BatchStorage scope = new BatchStorage(OPEN.get());
    OPEN.set(scope);
    return scope;
  }

  /** Frees {@code rdd} when the scope open on this thread closes (nothing when none is open). */
  static void track(RDD<?> rdd) {
    BatchStorage scope = OPEN.get();
    if (scope != null) {
      scope.stored.add(rdd);
    }
  }

  /** How many stored RDDs this scope will free (for tests). */
  public int size() {
    return stored.size();
  }

  /** Frees the scope's rows, without waiting for the block manager to drop them. */
  @Override
  public void close() {
    if (outer == null) {
      OPEN.remove();
    } else {
      OPEN.set(outer);
    }
    for (RDD<?> rdd : stored) {
      rdd.unpersist(false);
    }
    stored.clear();
  }
}
