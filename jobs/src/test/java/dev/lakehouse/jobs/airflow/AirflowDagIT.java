package dev.lakehouse.jobs.airflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the Python test of the generated Airflow DAGs (airflow-dags/tests, plain unittest against a
 * stand-in of Airflow) after packaging, so {@code mvn verify} proves the demo DAG runs the pipeline.
 */
class AirflowDagIT {
  @Test
  void generatedDagsLoadAndRunThePipeline() throws Exception {
    Path home = Path.of(System.getProperty("lakehouse.home", "..")).toAbsolutePath().normalize();
    Path work = SharedSpark.newDir("airflow");
    Path log = work.resolve("unittest.log");
    ProcessBuilder pb = new ProcessBuilder("python3", "-m", "unittest", "discover", "-s", "airflow-dags/tests", "-v")
        .directory(home.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("LAKEHOUSE_TEST_WORK", work.toString());
    pb.environment().put("LAKEHOUSE_JAVA_OPTS", "-Xmx1g -XX:TieredStopAtLevel=1");
    Process p = pb.start();
    if (!p.waitFor(20, TimeUnit.MINUTES)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("The Airflow DAG test did not finish in 20 minutes:\n" + Files.readString(log));
    }
    String out = Files.readString(log);
    System.out.println(out);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("OK");
  }
}
