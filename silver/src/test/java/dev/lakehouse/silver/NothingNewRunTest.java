package dev.lakehouse.silver;

import static dev.lakehouse.silver.SilverScenario.lines;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.core.testing.StreamStarts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A batch run of a silver table whose stream has already read every version of its bronze table
 * starts no stream, and changes nothing; one with anything new to read, or with a batch planned and
 * not committed (a run killed between the table's commit and the checkpoint's), starts it.
 */
class NothingNewRunTest {
  private static final String SCHEMA = "id BIGINT, name STRING, seq BIGINT";
  private static final String SPEC = """
      keys = [id]
      sequence-by = seq
      """;

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aRunWithNothingNewStartsNoStreamAndOneWithAnythingNewOrUnfinishedDoes(String format) throws IOException {
    SilverScenario s = SilverScenario.of(format, SCHEMA, SPEC);
    String name = s.silver.name().toString();
    StreamStarts starts = new StreamStarts(name);
    SharedSpark.session().streams().addListener(starts);
    try {
      s.land(List.of(row(1, "ann", 1), row(2, "bob", 1)));
      assertThat(run(s, starts, 1).batches()).isEqualTo(1);

      // Its checkpoint holds one batch: a stream started from it would plan bronze's first snapshot again.
      TableRunResult idle = run(s, starts, 0);
      assertThat(idle.batches()).isZero();
      assertThat(idle.changedTable()).isFalse();
      assertThat(idle.sourceVersions()).containsEntry("bronze.input",
          LakehouseTable.of(s.bronze).currentVersion(SharedSpark.session()).orElseThrow().id());
      assertThat(table(s)).containsExactly("1|ann|1", "2|bob|1");

      s.land(List.of(row(1, "ann", 2), row(3, "cy", 1)));
      TableRunResult next = run(s, starts, 1);
      assertThat(next.batches()).isEqualTo(1);
      assertThat(next.rowsRead()).isEqualTo(2);
      assertThat(run(s, starts, 0).batches()).isZero();

      // The run was killed after the table committed its batch, before the checkpoint did: the stream
      // starts and plans that batch again, which the table skips as one it holds.
      Path commits = Path.of(s.silver.checkpoint(), "commits");
      String batch = newest(commits);
      Files.delete(commits.resolve(batch));
      Files.deleteIfExists(commits.resolve("." + batch + ".crc"));
      TableRunResult replay = run(s, starts, 1);
      assertThat(replay.error()).isEmpty();
      assertThat(replay.changedTable()).isFalse();
      assertThat(run(s, starts, 0).batches()).isZero();
      assertThat(table(s)).containsExactly("1|ann|2", "2|bob|1", "3|cy|1");
    } finally {
      SharedSpark.session().streams().removeListener(starts);
    }
  }

  /** Runs the table and checks how many streams the run started (Spark tells its listeners before {@code start} returns). */
  private static TableRunResult run(SilverScenario s, StreamStarts starts, int streams) {
    starts.take();
    TableRunResult result = s.run();
    assertThat(result.error()).isEmpty();
    assertThat(result.status()).isEqualTo(TableRunResult.Status.SUCCEEDED);
    assertThat(starts.take()).as("streams started").isEqualTo(streams);
    return result;
  }

  private static String newest(Path folder) throws IOException {
    try (Stream<Path> files = Files.list(folder)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.chars().allMatch(Character::isDigit))
          .max(java.util.Comparator.comparingLong(Long::parseLong)).orElseThrow();
    }
  }

  private static List<String> table(SilverScenario s) {
    return lines(s.rows().orderBy("id"), "id", "name", "seq");
  }

  private static Object[] row(long id, String name, long seq) {
    return new Object[] {id, name, seq};
  }
}
