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
import org.apache.spark.sql.SparkSession;

/**
 * Where a step's time goes: the Spark jobs it ran, their count and wall time, grouped by the
 * framework line that started them (the first {@code dev.lakehouse} frame of the call site).
 */
final class JobProfile extends SparkListener {
  private final Map<Integer, Long> started = new ConcurrentHashMap<>();
  private final Map<Integer, String> sites = new ConcurrentHashMap<>();
  private final List<String[]> done = new ArrayList<>();

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
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd end) {
    Long t0 = started.remove(end.jobId());
    String site = sites.remove(end.jobId());
    synchronized (done) {
      done.add(new String[] {site, String.valueOf(t0 == null ? 0 : end.time() - t0)});
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
    }
    StringBuilder sb = new StringBuilder("JOBS " + title + ": " + jobs + " jobs, " + ms + " ms in jobs\n");
    by.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]))
        .forEach(e -> sb.append(String.format("  %4d x %7d ms  %s%n", e.getValue()[0], e.getValue()[1], e.getKey())));
    return sb.toString();
  }
}
