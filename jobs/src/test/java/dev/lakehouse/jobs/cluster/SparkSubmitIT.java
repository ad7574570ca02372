package dev.lakehouse.jobs.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.TpchTruth;
import dev.lakehouse.jobs.demo.TpchLanding;
import dev.lakehouse.jobs.pipeline.Pipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The slim spark-submit jar on a real Spark standalone cluster (master + worker on 127.0.0.1, from
 * Maven jars): the demo pipeline runs once in client deploy mode (first landing drop) and once in
 * cluster deploy mode (second drop), then gold.pricing_summary must equal TPC-H Q1 over both drops
 * (official answer and DuckDB), and the second run must have read only the second drop.
 */
class SparkSubmitIT {
  private static final double SF = 0.01;
  private static final String MAIN = "dev.lakehouse.jobs.cli.LakehouseMain";
  private static final String DRIVER_MEMORY = "1g";

  private final Path home = Path.of(System.getProperty("lakehouse.home", "..")).toAbsolutePath().normalize();
  private final Path jar = Path.of(System.getProperty("lakehouse.spark-submit.jar"));
  private final Path clusterDir = Path.of(System.getProperty("lakehouse.spark-cluster.dir"));
  // The add-opens list, and C1-only JIT: these JVMs live a minute on tiny data, full JIT doubles their CPU time.
  private final List<String> java17 = new ArrayList<>(Arrays.asList(
      (System.getProperty("lakehouse.java17.flags") + " -XX:TieredStopAtLevel=1").trim().split("\\s+")));

  @Test
  void demoPipelineRunsOnAStandaloneClusterInClientAndClusterDeployMode() throws Exception {
    Path dir = SharedSpark.newDir("spark-submit");
    Path root = dir.resolve("lakehouse");
    Path landing = root.resolve("landing");
    Map<String, Long> drop1 = TpchLanding.writeDrop(landing, SF, 1, 2);

    try (SparkStandaloneCluster cluster = SparkStandaloneCluster.start(dir, clusterDir, java17, 2, "3g")) {
      Result client = submit(cluster, dir, "client", root);
      assertThat(client.exitCode()).as("client mode exit code; output:\n%s", client.output()).isZero();
      assertThat(client.output()).contains("[succeeded] gold.pricing_summary");

      Map<String, Long> drop2 = TpchLanding.writeDrop(landing, SF, 2, 2);
      Result clusterMode = submit(cluster, dir, "cluster", root);
      // In cluster mode the driver runs on the worker; its output is in the worker's work folder.
      String driverOut = driverOutput(cluster);
      assertThat(clusterMode.exitCode()).as("cluster mode exit code; output:\n%s\ndriver:\n%s", clusterMode.output(),
          driverOut).isZero();
      assertThat(driverOut).contains("[succeeded] gold.pricing_summary");
      assertThat(clusterMode.output()).contains("FINISHED");
      // Both applications ran their tasks in executors the worker launched.
      try (Stream<Path> apps = Files.list(cluster.workDir())) {
        assertThat(apps.filter(p -> p.getFileName().toString().startsWith("app-")).count()).isEqualTo(2);
      }

      Pipeline p = Lakehouse.open(new ConfigLayers.Request(home.resolve("conf/pipelines/tpch.conf"), Optional.empty(),
          List.of(), Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
      TpchTruth.assertPricingSummaryIsQ1(p, landing, home);
      assertThat(p.table("silver.lineitem").count()).isEqualTo(60_175L);
      List<Row> lineitemRuns = p.sql("SELECT rows_read FROM _lakehouse.runs WHERE table_name = 'bronze.lineitem'"
          + " ORDER BY started_at").collectAsList();
      assertThat(lineitemRuns).extracting(r -> r.getLong(0)).containsExactly(drop1.get("lineitem"), drop2.get("lineitem"));
    }
  }

  private record Result(int exitCode, String output) {}

  private Result submit(SparkStandaloneCluster cluster, Path dir, String deployMode, Path root) throws Exception {
    Path log4j = home.resolve("conf/log4j2.properties");
    String driverJava = String.join(" ", java17) + " -Dlog4j2.configurationFile=" + log4j;
    List<String> args = new ArrayList<>(List.of(
        "--master", cluster.masterUrl(), "--deploy-mode", deployMode, "--class", MAIN,
        "--driver-memory", DRIVER_MEMORY, "--executor-memory", "1g",
        "--conf", "spark.driver.extraJavaOptions=" + driverJava,
        "--conf", "spark.executor.extraJavaOptions=" + String.join(" ", java17),
        // Standalone cluster mode returns after submitting unless told to wait for the driver.
        "--conf", "spark.standalone.submit.waitAppCompletion=true",
        jar.toString(),
        "run", "--all", "--conf", home.resolve("conf/pipelines/tpch.conf").toString(), "--env", "cluster",
        "--set", "lakehouse.root=" + root,
        // cluster.conf sizes shuffles for big data; this data is small.
        "--set", "lakehouse.spark.conf.\"spark.sql.shuffle.partitions\"=4",
        "--set", "lakehouse.spark.conf.\"spark.databricks.delta.snapshotPartitions\"=2",
        "--set", "lakehouse.run.parallelism=2"));
    Path out = dir.resolve("submit-" + deployMode + ".log");
    List<String> driverJvm = deployMode.equals("client") ? List.of("-Xmx" + DRIVER_MEMORY, "-Dlog4j2.configurationFile=" + log4j) : List.of();
    ProcessBuilder pb = new ProcessBuilder(cluster.sparkSubmit(driverJvm, args)).redirectErrorStream(true).redirectOutput(out.toFile());
    pb.environment().putAll(cluster.environment());
    Process p = pb.start();
    if (!p.waitFor(8, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("spark-submit --deploy-mode " + deployMode + " did not finish in 8 minutes:\n"
          + Files.readString(out));
    }
    return new Result(p.exitValue(), Files.readString(out));
  }

  private static String driverOutput(SparkStandaloneCluster cluster) throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> drivers = Files.list(cluster.workDir())) {
      for (Path d : drivers.filter(p -> p.getFileName().toString().startsWith("driver-")).toList()) {
        for (String f : List.of("stdout", "stderr")) {
          Path file = d.resolve(f);
          if (Files.exists(file)) {
            all.append("--- ").append(file).append('\n').append(Files.readString(file));
          }
        }
      }
    }
    return all.toString();
  }
}
