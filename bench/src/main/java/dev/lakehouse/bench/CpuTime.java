package dev.lakehouse.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.spark.metrics.source.CodegenMetrics;

/**
 * The CPU time this JVM has used: all its threads (tasks, drivers, garbage collector, JIT
 * compiler), and the garbage collector's and the compiler's threads apart. On two cores a step
 * is CPU-bound, so its CPU time, not only its wall time, says what it costs. Also the query classes
 * Spark generated and compiled (Janino): a query planned for the first time in this JVM costs a
 * class, which the JIT compiles again once it runs hot.
 */
record CpuTime(long processNanos, long gcMillis, long jitMillis, long queryClasses, long startMillis) {
  static CpuTime now() {
    long[] vm = vmThreadsMillis();
    return new CpuTime(((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime(), vm[0], vm[1], CodegenMetrics.METRIC_COMPILATION_TIME().getCount(),
        System.currentTimeMillis());
  }

  /** Runs a step and measures it. */
  static <T> Measured<T> measure(String step, org.apache.spark.sql.SparkSession spark, java.util.function.Supplier<T> work) {
    long wall0 = System.nanoTime();
    CpuTime start = now();
    T result = work.get();
    double wall = (System.nanoTime() - wall0) / 1e9;
    CpuTime end = now();
    return new Measured<>(result, wall, (end.processNanos - start.processNanos) / 1e9, start.report(step, wall, end, spark));
  }

  /**
   * What a step that started at this mark, ended at {@code end} and took {@code wallSeconds} used,
   * and what {@code spark}'s block manager holds afterwards: rows a step stored and did not free
   * stay there until the garbage collector finds them unused.
   */
  private String report(String step, double wallSeconds, CpuTime end, org.apache.spark.sql.SparkSession spark) {
    double cpu = (end.processNanos - processNanos) / 1e9;
    int cores = Runtime.getRuntime().availableProcessors();
    return String.format("CPU %s: %.1f s of CPU in %.1f s on %d cores (%.0f %% busy); GC threads %.1f s, JIT %.1f s;"
        + " %d query classes compiled%s (epoch ms %d to %d)%n", step, cpu, wallSeconds, cores, 100 * cpu / (wallSeconds * cores),
        (end.gcMillis - gcMillis) / 1e3, (end.jitMillis - jitMillis) / 1e3, end.queryClasses - queryClasses,
        "; " + stored(spark), startMillis, end.startMillis);
  }

  /** The RDDs the block manager holds and their size, in memory and on disk. */
  static String stored(org.apache.spark.sql.SparkSession spark) {
    long memory = 0;
    long disk = 0;
    org.apache.spark.storage.RDDInfo[] infos = spark.sparkContext().getRDDStorageInfo();
    for (org.apache.spark.storage.RDDInfo info : infos) {
      memory += info.memSize();
      disk += info.diskSize();
    }
    return String.format("stored after it: %d RDDs, %.0f MB in memory, %.0f MB on disk", infos.length, memory / 1e6, disk / 1e6);
  }

  /** CPU ms of the garbage collector's threads and of the JIT compiler's, from /proc (Linux); zeros elsewhere. */
  private static long[] vmThreadsMillis() {
    long[] ms = new long[2];
    try (Stream<Path> threads = Files.list(Path.of("/proc/self/task"))) {
      for (Path t : threads.toList()) {
        String stat;
        try {
          stat = Files.readString(t.resolve("stat"));
        } catch (IOException ended) {
          continue;
        }
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime and stime, fields 14 and 15 of stat
        int i = name.startsWith("GC Thread") || name.startsWith("G1 ") ? 0
            : name.startsWith("C1 ") || name.startsWith("C2 ") ? 1 : -1;
        if (i >= 0) {
          ms[i] += ticks * 10; // 100 ticks a second
        }
      }
    } catch (IOException | RuntimeException e) {
      return new long[2];
    }
    return ms;
  }
}
