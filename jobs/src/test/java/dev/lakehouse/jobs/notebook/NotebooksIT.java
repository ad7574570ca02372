package dev.lakehouse.jobs.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.cli.LakehouseMain;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notebooks and the kernel as Jupyter runs them: every notebook in notebooks/ executes headless
 * with Jupyter's nbconvert on the Lakehouse (Java) kernel, installed by {@code jupyter install} (a
 * cell that fails to compile or throws fails the build), and the kernel's stop button stops a cell.
 */
class NotebooksIT {
  private static final Path HOME = Path.of(System.getProperty("lakehouse.home", "..")).toAbsolutePath().normalize();
  private static Path jupyter;

  @BeforeAll
  static void installTheKernel() throws Exception {
    jupyter = SharedSpark.newDir("jupyter");
    String classPath = System.getProperty("lakehouse.jobs.jar") + File.pathSeparator
        + Files.readString(Path.of(System.getProperty("lakehouse.classpath.file"))).trim();
    assertThat(LakehouseMain.execute("jupyter", "install", "--dir", jupyter.toString(), "--classpath", classPath, "--heap", "2g"))
        .isZero();
    assertThat(jupyter.resolve("kernels/lakehouse-java/kernel.json")).exists();
  }

  @Test
  void everyNotebookExecutesWithoutAnError() throws Exception {
    Path work = SharedSpark.newDir("notebooks");
    List<Path> notebooks;
    try (Stream<Path> files = Files.list(HOME.resolve("notebooks"))) {
      notebooks = files.filter(f -> f.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertThat(notebooks).isNotEmpty();
    for (Path nb : notebooks) {
      Path out = work.resolve("executed");
      Path log = work.resolve(nb.getFileName() + ".log");
      ProcessBuilder pb = jupyterProcess(work, work.resolve("lakehouse-" + nb.getFileName()), "jupyter", "nbconvert",
          "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=900", "--output-dir", out.toString(), nb.toString())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      Process p = pb.start();
      if (!p.waitFor(20, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(nb + " did not finish in 20 minutes:\n" + Files.readString(log));
      }
      assertThat(p.exitValue()).as("nbconvert --execute %s:\n%s", nb, Files.readString(log)).isZero();
      String executed = Files.readString(out.resolve(nb.getFileName()));
      assertThat(executed).doesNotContain("\"output_type\": \"error\"");
      if (nb.getFileName().toString().equals("quickstart.ipynb")) {
        // cell outputs reached the notebook: the run's lines, Dataset.show() and an expression's value
        assertThat(executed).contains("gold.pricing_summary: SUCCEEDED").contains("|l_returnflag|l_linestatus|")
            .containsPattern("\"text/plain\":\\s*\\[\\s*\"14876\"").contains("silver.lineitem at version 0: ");
      }
    }
  }

  /**
   * Jupyter's stop button, pressed (by jupyter_client, as the notebook server does) while a cell
   * runs the pipeline: the run stops after its current micro-batch, records its tables as
   * cancelled, and the rest of the cell does not run; pressed during a long query, the query's
   * Spark jobs are cancelled, also when it starts them after the press; the kernel lives on, and the next run reads on, each event once.
   */
  @Test
  void theStopButtonStopsARunningCellAndTheKernelLivesOn() throws Exception {
    Path work = SharedSpark.newDir("interrupt");
    Path root = work.resolve("lakehouse");
    Path conf = Path.of("src/test/resources/pipelines/changes.conf").toAbsolutePath();
    int files = 10;
    int perFile = 20;
    Path landing = Files.createDirectories(root.resolve("landing/changes"));
    for (int f = 0; f < files; f++) {
      StringBuilder csv = new StringBuilder("id,op,name,amount,seq\n");
      for (int i = 0; i < perFile; i++) {
        int id = f * perFile + i;
        csv.append(id).append(",U,n").append(id % 3).append(',').append(id).append(".50,").append(100 + id).append('\n');
      }
      Files.writeString(landing.resolve(String.format("changes-%02d.csv", f)), csv);
    }
    String runCell = "RunReport r = p.run(List.of(), false, t -> System.out.println(t.table() + \": \" + t.status()"
        + " + \" \" + t.error().orElse(\"\")));\nSystem.out.println(\"the statement after the run\");";
    var request = new ConfigLayers.Request(conf, java.util.Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", root.toString()));
    String bronze = Lakehouse.validate(request).table(dev.lakehouse.core.spec.TableName.parse("bronze.changes")).location();

    List<Map<String, Object>> cells = List.of(
        // The cell that starts the session, interrupted during its query: its jobs have no group yet.
        Map.of("code", "import dev.lakehouse.jobs.Lakehouse;\nimport dev.lakehouse.jobs.pipeline.*;\n"
            + "import java.nio.file.Path;\nimport java.util.List;\n"
            + "Pipeline p = Lakehouse.open(Path.of(\"" + conf + "\"));\n"
            + "java.nio.file.Files.writeString(Path.of(\"" + work.resolve("session-started") + "\"), \"\");\n"
            + "p.spark().sql(\"SELECT sum(id * 7 % 13) FROM range(0, 1000000000000)\").collect();",
            "interrupt_when", Map.of("file", work.resolve("session-started").toString())),
        Map.of("code", runCell,
            "interrupt_when", Map.of("file", bronze + "/_delta_log/00000000000000000000.json")),
        Map.of("code", runCell,
            "interrupt_when", Map.of("file", bronze + "/_delta_log/00000000000000000001.json", "again_after_seconds", 0)),
        Map.of("code", "p.spark().sql(\"SELECT sum(id * 7 % 13) FROM range(0, 1000000000000)\").collect();",
            "interrupt_when", Map.of("after_seconds", 8)),
        Map.of("code", "{\n  Thread.sleep(8000);\n  p.spark().sql(\"SELECT sum(id * 7 % 13) FROM range(0, 1000000000000)\").collect();\n}",
            "interrupt_when", Map.of("after_seconds", 2)),
        Map.of("code", "System.out.println(\"again \" + p.run().succeeded() + \" \" + p.table(\"bronze.changes\").count());"));
    Path cellsFile = work.resolve("cells.json");
    Path resultFile = work.resolve("result.json");
    ObjectMapper json = new ObjectMapper();
    json.writeValue(cellsFile.toFile(), cells);
    Path log = work.resolve("driver.log");
    Process driver = jupyterProcess(work, root, python(), Path.of("src/test/python/interrupt_cells.py").toAbsolutePath().toString(),
        cellsFile.toString(), resultFile.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!driver.waitFor(20, TimeUnit.MINUTES)) {
      driver.destroyForcibly().waitFor();
      throw new AssertionError("the kernel driver did not finish in 20 minutes:\n" + Files.readString(log));
    }
    assertThat(driver.exitValue()).as(Files.readString(log)).isZero();
    JsonNode result = json.readTree(resultFile.toFile());
    assertThat(result).hasSize(6);
    JsonNode opening = result.get(0);
    assertThat(opening.get("status").asText()).as(opening.toString()).isEqualTo("error");
    assertThat(opening.get("output").asText()).contains("Interrupted: the cell's Spark jobs are cancelled")
        .contains("SparkException: Job").contains("cancelled");
    assertThat(opening.get("seconds_to_reply").asDouble()).isLessThan(60);
    List<Row> logged = SharedSpark.session().read().format("delta")
        .load(Lakehouse.validate(request).settings().systemLocation() + "/runs").orderBy("started_at", "table_name").collectAsList();
    List<String> runIds = logged.stream().map(r -> r.<String>getAs("run_id")).distinct().toList();
    assertThat(runIds).as("three runs").hasSize(3);

    JsonNode run = result.get(1);
    assertThat(run.get("interrupted").asBoolean()).as(run.toString()).isTrue();
    assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("error");
    assertThat(run.get("output").asText())
        .contains("Interrupted: the pipeline run stops after the micro-batches being written")
        .contains("bronze.changes: CANCELLED cancelled (interrupted) after ")
        .contains("silver.current: CANCELLED cancelled (interrupted) before it started")
        .contains("ERROR").contains("Interrupted: the rest of the cell did not run")
        .doesNotContain("the statement after the run");
    List<Row> first = tablesOf(logged, runIds.get(0));
    assertThat(first).extracting(r -> r.<String>getAs("table_name") + " " + r.<String>getAs("status")).containsExactly(
        "bronze.changes cancelled", "gold.by_name cancelled", "gold.events_by_name cancelled",
        "silver.current cancelled", "silver.history cancelled");
    assertThat(first.get(0).<Long>getAs("rows_written")).as("the micro-batches bronze committed before it stopped")
        .isBetween((long) perFile, (long) (files - 1) * perFile);

    // Pressed twice: the second press cancels the micro-batch being written, which the next run writes again.
    JsonNode twice = result.get(2);
    assertThat(twice.get("status").asText()).as(twice.toString()).isEqualTo("error");
    assertThat(twice.get("output").asText()).contains("Interrupted again: every running Spark job is cancelled; a table whose micro-batch this cancels fails")
        .doesNotContain("the statement after the run");
    List<Row> second = tablesOf(logged, runIds.get(1));
    assertThat(second.get(0).<String>getAs("table_name")).isEqualTo("bronze.changes");
    assertThat(second.get(0).<String>getAs("status")).isIn("cancelled", "failed");
    assertThat(second.subList(1, second.size())).extracting(r -> r.<String>getAs("status")).containsOnly("cancelled");

    JsonNode query = result.get(3);
    assertThat(query.get("interrupted").asBoolean()).as(query.toString()).isTrue();
    assertThat(query.get("status").asText()).as(query.toString()).isEqualTo("error");
    assertThat(query.get("output").asText()).contains("Interrupted: the cell's Spark jobs are cancelled")
        .contains("cancelled part of cancelled job group");
    assertThat(query.get("seconds_to_reply").asDouble()).as("a cancelled query ends at once, not after a trillion rows")
        .isLessThan(60);
    JsonNode late = result.get(4);
    assertThat(late.get("status").asText()).as(late.toString()).isEqualTo("error");
    assertThat(late.get("output").asText()).as("interrupted before its query started, which then was cancelled as it started")
        .contains("Interrupted: the cell's Spark jobs are cancelled").contains("SparkException: Job").contains("cancelled");
    assertThat(late.get("seconds_to_reply").asDouble()).isLessThan(60);

    JsonNode again = result.get(5);
    assertThat(again.get("status").asText()).as(again.toString()).isEqualTo("ok");
    assertThat(again.get("output").asText()).contains("again true " + files * perFile);
    assertThat(tablesOf(logged, runIds.get(2))).extracting(r -> r.<String>getAs("status")).hasSize(5).containsOnly("succeeded");
    assertThat(SharedSpark.session().read().format("delta").load(bronze).select("id").distinct().count())
        .as("each event once").isEqualTo(files * perFile);
  }

  private static List<Row> tablesOf(List<Row> runLog, String runId) {
    return runLog.stream().filter(r -> r.getAs("run_id").equals(runId))
        .sorted(java.util.Comparator.comparing(r -> r.<String>getAs("table_name"))).toList();
  }

  /** A process with Jupyter's folders under {@code work} and the kernel installed above; tables under {@code root}. */
  private static ProcessBuilder jupyterProcess(Path work, Path root, String... command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put("JUPYTER_PATH", jupyter.toString());
    pb.environment().put("JUPYTER_CONFIG_DIR", work.resolve("jupyter-config").toString());
    pb.environment().put("JUPYTER_RUNTIME_DIR", work.resolve("jupyter-runtime").toString());
    pb.environment().put("LAKEHOUSE_ROOT", root.toString());
    return pb;
  }

  /** The Python that has jupyter_client: Debian's, which Jupyter's own scripts run with, when a shim shadows it on PATH. */
  private static String python() {
    return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  }
}
