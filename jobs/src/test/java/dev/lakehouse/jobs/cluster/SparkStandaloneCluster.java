package dev.lakehouse.jobs.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1 — one master, one worker — started from Maven jars
 * alone: the jobs build writes Spark's class path (without the framework's libraries) to
 * {@code target/spark-cluster/}; this class lays those jars out as {@code <spark home>/jars}, which
 * is where a worker looks for the class path of the drivers and executors it launches. Every port
 * is a free one; {@link #close()} stops the daemons by the PIDs started here.
 */
public final class SparkStandaloneCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

  private final Path home;
  private final Path logs;
  private final List<String> javaFlags;
  private final int masterPort;
  private Process master;
  private Process worker;

  private SparkStandaloneCluster(Path dir, Path clusterDir, List<String> javaFlags) throws IOException {
    this.home = Files.createDirectories(dir.resolve("spark-home"));
    this.logs = Files.createDirectories(dir.resolve("logs"));
    this.javaFlags = javaFlags;
    Path jars = Files.createDirectories(home.resolve("jars"));
    List<Path> entries = new ArrayList<>();
    for (String e : Files.readString(clusterDir.resolve("classpath.txt")).trim().split(java.io.File.pathSeparator)) {
      entries.add(Path.of(e));
    }
    try (Stream<Path> extra = Files.list(clusterDir.resolve("extra"))) {
      extra.forEach(entries::add);
    }
    for (Path jar : entries) {
      Path link = jars.resolve(jar.getFileName());
      if (!Files.exists(link)) {
        Files.createSymbolicLink(link, jar);
      }
    }
    this.masterPort = freePort();
  }

  /**
   * Starts a master and a worker with {@code cores} cores and {@code memory} (e.g. "2g") and waits
   * until the worker has registered.
   */
  public static SparkStandaloneCluster start(Path dir, Path clusterDir, List<String> javaFlags, int cores, String memory)
      throws IOException, InterruptedException {
    SparkStandaloneCluster c = new SparkStandaloneCluster(dir, clusterDir, javaFlags);
    try {
      c.master = c.daemon("master", List.of("org.apache.spark.deploy.master.Master",
          "--host", "127.0.0.1", "--port", String.valueOf(c.masterPort), "--webui-port", String.valueOf(freePort())));
      c.awaitLog("master", "I have been elected leader");
      c.worker = c.daemon("worker", List.of("org.apache.spark.deploy.worker.Worker",
          "--host", "127.0.0.1", "--port", String.valueOf(freePort()), "--webui-port", String.valueOf(freePort()),
          "--cores", String.valueOf(cores), "--memory", memory, "--work-dir", c.workDir().toString(), c.masterUrl()));
      c.awaitLog("worker", "Successfully registered with master");
      return c;
    } catch (IOException | InterruptedException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  public String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  /** Where the worker runs drivers ({@code driver-*}) and executors ({@code app-*}/n). */
  public Path workDir() {
    return home.resolve("work");
  }

  /** The class path of a Spark installation: for {@code java -cp} launching SparkSubmit. */
  public String classPath() {
    return home.resolve("jars") + "/*";
  }

  public Path home() {
    return home;
  }

  /** The environment a Spark process of this cluster needs. */
  public Map<String, String> environment() {
    return Map.of("SPARK_HOME", home.toString(), "SPARK_SCALA_VERSION", "2.12", "SPARK_LOCAL_IP", "127.0.0.1");
  }

  /**
   * The command that runs {@code spark-submit} with {@code args} on this installation, in a JVM
   * started with {@code driverJvm} as well. In client deploy mode that JVM is the driver: Spark's {@code spark-submit} script starts it with the driver's
   * memory and {@code spark.driver.extraJavaOptions}, which SparkSubmit itself cannot apply to the
   * JVM it runs in.
   */
  public List<String> sparkSubmit(List<String> driverJvm, List<String> args) {
    List<String> cmd = new ArrayList<>(java("org.apache.spark.deploy.SparkSubmit"));
    cmd.addAll(cmd.indexOf("-cp"), driverJvm);
    cmd.addAll(args);
    return cmd;
  }

  private List<String> java(String mainClass) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.addAll(javaFlags);
    cmd.addAll(List.of("-cp", classPath(), mainClass));
    return cmd;
  }

  private Process daemon(String name, List<String> mainAndArgs) throws IOException {
    List<String> cmd = java(mainAndArgs.get(0));
    cmd.addAll(mainAndArgs.subList(1, mainAndArgs.size()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logs.resolve(name + ".log").toFile());
    pb.environment().putAll(environment());
    return pb.start();
  }

  /** A daemon's log so far, for assertions and failure messages. */
  public String log(String name) {
    try {
      Path f = logs.resolve(name + ".log");
      return Files.exists(f) ? Files.readString(f) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void awaitLog(String name, String line) throws InterruptedException {
    Process p = name.equals("master") ? master : worker;
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!log(name).contains(line)) {
      if (!p.isAlive() || System.nanoTime() > deadline) {
        throw new IllegalStateException("Spark " + name + " did not start (" + (p.isAlive() ? "timed out" : "exited "
            + p.exitValue()) + "); its log:\n" + log(name));
      }
      Thread.sleep(200);
    }
  }

  /** Stops the worker (which stops the drivers and executors it launched), then the master. */
  @Override
  public void close() {
    for (Process p : Arrays.asList(worker, master)) {
      if (p == null) {
        continue;
      }
      List<ProcessHandle> children = p.descendants().toList();
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Executors and drivers are the worker's children: none may outlive the test.
      children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
