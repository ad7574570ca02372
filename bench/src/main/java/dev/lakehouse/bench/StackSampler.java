package dev.lakehouse.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall time of the streaming micro-batch threads (and of a table-run thread refreshing a gold table
 * without a stream, and of the main thread outside waiting for the query, landing and the full
 * rewrite) by framework line: every 20 ms, the innermost {@code dev.lakehouse} frame of the
 * thread's stack, marked {@code job} when the thread waits for a Spark job (or an adaptive query's
 * shuffle stage) and {@code driver} otherwise (log replay, planning, file listing).
 */
final class StackSampler implements Runnable {
  private static final long PERIOD_MS = 20;
  private final Map<String, Long> samples = new LinkedHashMap<>();
  private volatile boolean running = true;

  static StackSampler start() {
    StackSampler s = new StackSampler();
    Thread t = new Thread(s, "bench-stack-sampler");
    t.setDaemon(true);
    t.start();
    return s;
  }

  @Override
  public void run() {
    long last = System.nanoTime();
    while (running) {
      long now = System.nanoTime();
      long ms = (now - last) / 1_000_000; // the real period: taking stacks takes time too
      last = now;
      for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
        if (e.getKey().getName().startsWith("stream execution thread")) {
          record("stream ", e.getValue(), ms);
        } else if (e.getKey().getName().equals("lakehouse-table-run") && !waitsForQuery(e.getValue())
            && Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("dev.lakehouse."))) {
          record("table  ", e.getValue(), ms); // a gold table refreshed in batch mode, without a stream
        } else if (e.getKey().getName().equals("main") && !waitsForQuery(e.getValue())) {
          record("main   ", e.getValue(), ms);
        }
      }
      try {
        Thread.sleep(PERIOD_MS);
      } catch (InterruptedException ex) {
        return;
      }
    }
  }

  private static boolean waitsForQuery(StackTraceElement[] stack) {
    for (StackTraceElement f : stack) {
      if (f.getMethodName().equals("awaitTermination") || f.getClassName().startsWith("dev.lakehouse.bench.StackSampler")
          || (f.getClassName().startsWith("dev.lakehouse.bench") && f.getMethodName().equals("fullRewrite"))
          || (f.getClassName().startsWith("dev.lakehouse.bench") && f.getMethodName().equals("land"))) {
        return true;
      }
    }
    return false;
  }

  private void record(String thread, StackTraceElement[] stack, long ms) {
    String ours = null;
    boolean helper = false;
    boolean job = false;
    for (StackTraceElement f : stack) {
      if (f.getClassName().equals("org.apache.spark.scheduler.DAGScheduler") && f.getMethodName().equals("runJob")) {
        job = true;
      }
      // Adaptive execution runs a query's shuffle stages as map-stage jobs and parks until they end.
      if (f.getClassName().endsWith("adaptive.AdaptiveSparkPlanExec") && stack.length > 0
          && stack[0].getMethodName().equals("park")) {
        job = true;
      }
      if (f.getClassName().startsWith("dev.lakehouse") && !f.getClassName().startsWith("dev.lakehouse.bench")) {
        String here = f.getClassName().replace("dev.lakehouse.", "") + "." + f.getMethodName() + ":" + f.getLineNumber();
        if (ours == null) {
          ours = here;
          helper = here.startsWith("core.spark.LakehouseSpark") || here.startsWith("core.format.");
        } else if (helper) {
          ours = ours + " <- " + here; // who asked for it
          helper = here.startsWith("core.format.") || here.startsWith("silver.scd.StoredRows");
        }
      }
    }
    if (ours == null) {
      ours = "(outside the framework) " + spark(stack);
    }
    String key = thread + (job ? "job    " : "driver ") + ours;
    synchronized (samples) {
      samples.merge(key, ms, Long::sum);
    }
  }

  /**
   * Where Spark's own streaming work is: the innermost Delta or Hudi frame, then the innermost frame
   * of the micro-batch loop, e.g. a source's offsets or a snapshot's state.
   */
  private static String spark(StackTraceElement[] stack) {
    String format = null;
    String streaming = null;
    for (StackTraceElement f : stack) {
      String c = f.getClassName();
      String here = c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethodName() + ":" + f.getLineNumber();
      if (format == null && (c.startsWith("org.apache.spark.sql.delta") || c.startsWith("org.apache.hudi"))) {
        format = here;
      }
      if (streaming == null && c.startsWith("org.apache.spark.sql.execution.streaming")) {
        streaming = here;
      }
    }
    return (format == null ? "" : format + " <- ") + (streaming == null ? "?" : streaming);
  }

  String drain(String title) {
    StringBuilder sb = new StringBuilder("SAMPLES " + title + " (ms of the stream thread, approx.)\n");
    synchronized (samples) {
      samples.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue(), x.getValue()))
          .filter(e -> e.getValue() >= 100)
          .forEach(e -> sb.append(String.format("  %7d ms  %s%n", e.getValue(), e.getKey())));
      samples.clear();
    }
    return sb.toString();
  }
}
