package dev.lakehouse.jobs.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.cli.LakehouseMain;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every notebook in notebooks/ executes headless with Jupyter's nbconvert on the Lakehouse (Java)
 * kernel, installed by {@code jupyter install}; a cell that fails to compile or throws fails the build.
 */
class NotebooksIT {
  private final Path home = Path.of(System.getProperty("lakehouse.home", "..")).toAbsolutePath().normalize();

  @Test
  void everyNotebookExecutesWithoutAnError() throws Exception {
    Path work = SharedSpark.newDir("notebooks");
    Path jupyter = work.resolve("jupyter");
    String classPath = System.getProperty("lakehouse.jobs.jar") + File.pathSeparator
        + Files.readString(Path.of(System.getProperty("lakehouse.classpath.file"))).trim();
    assertThat(LakehouseMain.execute("jupyter", "install", "--dir", jupyter.toString(), "--classpath", classPath, "--heap", "2g"))
        .isZero();
    assertThat(jupyter.resolve("kernels/lakehouse-java/kernel.json")).exists();

    List<Path> notebooks;
    try (Stream<Path> files = Files.list(home.resolve("notebooks"))) {
      notebooks = files.filter(f -> f.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertThat(notebooks).isNotEmpty();
    for (Path nb : notebooks) {
      Path out = work.resolve("executed");
      Path log = work.resolve(nb.getFileName() + ".log");
      ProcessBuilder pb = new ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute",
          "--ExecutePreprocessor.timeout=900", "--output-dir", out.toString(), nb.toString())
          .redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().put("JUPYTER_PATH", jupyter.toString());
      pb.environment().put("JUPYTER_CONFIG_DIR", work.resolve("jupyter-config").toString());
      pb.environment().put("JUPYTER_RUNTIME_DIR", work.resolve("jupyter-runtime").toString());
      pb.environment().put("LAKEHOUSE_ROOT", work.resolve("lakehouse-" + nb.getFileName()).toString());
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
}
