package dev.lakehouse.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;

/**
 * Where a step's time goes: the Spark jobs it ran, their count and wall time, grouped by the
 * framework line that started them (the first {@code dev.lakehouse} frame of the call site); and
 * the tasks' run time per table (the scheduler pool a table's jobs run in), the work itself, which
 * wall times of tables run side by side on shared cores do not show.
 */
final class JobProfile extends SparkListener {
  /** {@code BENCH_JOBS=each}: also list every job, in order, with its table and time. */
  private static final boolean EACH = "each".equals(System.getenv("BENCH_JOBS"));
  private final Map<Integer, Long> started = new ConcurrentHashMap<>();
  private final Map<Integer, String> sites = new ConcurrentHashMap<>();
  private final Map<Integer, String> pools = new ConcurrentHashMap<>();
  private final StringBuilder each = new StringBuilder();
  private final List<String[]> done = new ArrayList<>();
  private final Map<Integer, String> stagePools = new ConcurrentHashMap<>();
  private final Map<String, long[]> taskTime = new ConcurrentHashMap<>();

  static JobProfile attach(SparkSession spark) {
    JobProfile p = new JobProfile();
    spark.sparkContext().addSparkListener(p);
    return p;
  }

  @Override
  public void onJobStart(SparkListenerJobStart start) {
    started.put(start.jobId(), start.time());
    Properties props = start.properties();
    // A job started outside a stream (a gold table in batch mode) has no call site: its table then.
    String shortSite = props == null ? "?" : props.getProperty("callSite.short", props.getProperty("spark.job.description", "?"));
    String longSite = props == null ? "" : props.getProperty("callSite.long", "");
    String ours = "";
    for (String line : longSite.split("\n")) {
      if (line.contains("dev.lakehouse") && !line.contains("dev.lakehouse.bench")) {
        ours = line.trim().replaceAll("^.*dev\\.lakehouse\\.", "");
        break;
      }
    }
    sites.put(start.jobId(), shortSite + " <- " + ours);
    pools.put(start.jobId(), poolOf(props));
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted submitted) {
    Properties props = submitted.properties();
    stagePools.put(submitted.stageInfo().stageId(), poolOf(props));
  }

  /** The table a job or stage ran for: the scheduler pool its table run set. */
  private static String poolOf(Properties props) {
    return props == null ? "?" : props.getProperty("spark.scheduler.pool", "(no table)");
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    if (end.taskMetrics() == null) {
      return;
    }
    long[] t = taskTime.computeIfAbsent(stagePools.getOrDefault(end.stageId(), "?"), k -> new long[4]);
    synchronized (t) {
      t[0]++;
      t[1] += end.taskMetrics().executorRunTime();
      t[2] += end.taskMetrics().executorCpuTime() / 1_000_000;
      t[3] += end.taskMetrics().jvmGCTime();
    }
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd end) {
    Long t0 = started.remove(end.jobId());
    String site = sites.remove(end.jobId());
    String pool = pools.remove(end.jobId());
    synchronized (done) {
      done.add(new String[] {site, String.valueOf(t0 == null ? 0 : end.time() - t0)});
      if (EACH) {
        each.append(String.format("  job %5d %-24s %6d ms  %s%n", end.jobId(), pool, t0 == null ? 0 : end.time() - t0, site));
      }
    }
  }

  /** The jobs finished since the last call, grouped by call site: count and summed ms; then forgets them. */
  String drain(String title) {
    Map<String, long[]> by = new LinkedHashMap<>();
    long jobs = 0;
    long ms = 0;
    synchronized (done) {
      for (String[] d : done) {
        long[] v = by.computeIfAbsent(d[0], k -> new long[2]);
        v[0]++;
        v[1] += Long.parseLong(d[1]);
        jobs++;
        ms += Long.parseLong(d[1]);
      }
      done.clear();
      if (EACH) {
        System.out.print("EACH JOB " + title + "\n" + each);
        each.setLength(0);
      }
    }
    StringBuilder sb = new StringBuilder("JOBS " + title + ": " + jobs + " jobs, " + ms + " ms in jobs\n");
    by.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]))
        .forEach(e -> sb.append(String.format("  %4d x %7d ms  %s%n", e.getValue()[0], e.getValue()[1], e.getKey())));
    Map<String, long[]> tasks = new java.util.TreeMap<>();
    for (String k : List.copyOf(taskTime.keySet())) {
      long[] v = taskTime.remove(k); // a task ending now counts in the next drain
      synchronized (v) {
        tasks.put(k, v.clone());
      }
    }
    long run = tasks.values().stream().mapToLong(v -> v[1]).sum();
    long cpu = tasks.values().stream().mapToLong(v -> v[2]).sum();
    long gc = tasks.values().stream().mapToLong(v -> v[3]).sum();
    sb.append(String.format("TASKS %s: %.1f s run, %.1f s CPU, %.1f s GC (per table: tasks, run s, CPU s, GC s)%n",
        title, run / 1e3, cpu / 1e3, gc / 1e3));
    tasks.forEach((k, v) -> sb.append(String.format("  %-32s %6d %8.1f %8.1f %8.1f%n", k, v[0], v[1] / 1e3, v[2] / 1e3,
        v[3] / 1e3)));
    return sb.toString();
  }
}
