package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.testing.ChildJvm;
import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 at several points of a run (a child JVM ingesting many files in many micro-batches),
 * then a run to the end: every landed record is in bronze or its quarantine exactly once.
 */
class CrashTest {
  private static final int FILES = 10;
  private static final int ROWS_PER_FILE = 50;

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void killedRunsThenAFullRunLeaveEveryRecordOnce(String format) throws Exception {
    Bronze t = Bronze.table("crash", format, """
        source { type = files, format = csv, path = landing/crash, schema = "key STRING, n INT", options { header = "true", maxFilesPerTrigger = "2" } }
        """);
    Path landing = t.landing("landing/crash");
    Set<String> expectedKeys = new HashSet<>();
    Set<String> expectedBad = new HashSet<>();
    for (int f = 0; f < FILES; f++) {
      StringBuilder csv = new StringBuilder("key,n\n");
      for (int r = 0; r < ROWS_PER_FILE; r++) {
        csv.append("f").append(f).append("-").append(r).append(',').append(r).append('\n');
        expectedKeys.add("f" + f + "-" + r);
      }
      if (f % 5 == 0) {
        String bad = "f" + f + "-bad,not-a-number";
        csv.append(bad).append('\n');
        expectedBad.add(bad);
      }
      Bronze.land(landing, String.format("part-%03d.csv", f), csv.toString());
    }

    Random random = new Random(42);
    int kills = 0;
    for (int commitsBeforeKill : new int[] {1, 1, 1}) {
      Process child = startChild(t);
      if (killAfterCommits(t, child, commitsBeforeKill, random.nextInt(400))) {
        kills++;
      }
    }
    assertThat(kills).as("the child must have been killed mid-run at least twice").isGreaterThanOrEqualTo(2);

    Process last = startChild(t);
    assertThat(last.waitFor(10, TimeUnit.MINUTES)).isTrue();
    assertThat(last.exitValue()).as(Files.readString(t.root.resolve("child.out"))).isZero();

    List<String> keys = t.rows().select("key").as(Encoders.STRING()).collectAsList();
    assertThat(keys).hasSize(expectedKeys.size());
    assertThat(new HashSet<>(keys)).isEqualTo(expectedKeys);
    List<String> bad = t.quarantined().select("_raw").as(Encoders.STRING()).collectAsList();
    assertThat(bad).hasSize(expectedBad.size());
    assertThat(new HashSet<>(bad)).isEqualTo(expectedBad);
  }

  /**
   * A run killed while the table's first commit was being made: its data files written, the commit
   * not completed, the stream's batch not committed (simulated by deleting what completes the
   * commit and the batch). Hudi makes a table's configuration before its first commit; the framework
   * took that for a table, read its empty schema, and every later run stopped with all columns as
   * schema drift. The next run now replays the batch into a new table: each record once.
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aRunKilledBeforeTheFirstCommitCompletedIsReplayedByTheNext(String format) throws Exception {
    Bronze t = Bronze.table("first_commit_" + format, format, """
        source { type = files, format = json, path = landing/fc, schema = "id BIGINT, name STRING" }
        """);
    Path landing = t.landing("landing/fc");
    Bronze.land(landing, "1.json", "{\"id\": 1, \"name\": \"a\"}\n{\"id\": 2, \"name\": \"b\"}\n");
    assertThat(t.run().error()).isEmpty();
    Path table = Path.of(new BronzeIngest(t.spec).target().location());
    Path commits = format.equals("delta") ? table.resolve("_delta_log") : table.resolve(".hoodie/timeline");
    try (var files = Files.list(commits)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (format.equals("delta") ? name.startsWith("00000000000000000000.") || name.startsWith(".00000000000000000000.")
            : name.endsWith(".commit") || name.endsWith(".commit.crc")) {
          Files.delete(f);
        }
      }
    }
    Files.delete(Path.of(t.spec.checkpoint()).resolve("commits/0"));
    Files.deleteIfExists(Path.of(t.spec.checkpoint()).resolve("commits/.0.crc"));
    assertThat(new BronzeIngest(t.spec).target().exists(SharedSpark.session())).isFalse();

    Bronze.land(landing, "2.json", "{\"id\": 3, \"name\": \"c\"}\n");
    var next = t.run();
    assertThat(next.error()).isEmpty();
    assertThat(next.rowsWritten()).isEqualTo(3);
    assertThat(t.rows().select("id").as(Encoders.LONG()).collectAsList()).containsExactlyInAnyOrder(1L, 2L, 3L);
  }

  /** Waits until the table gained {@code commits} versions since now, then SIGKILLs the child; false when it ended first. */
  private static boolean killAfterCommits(Bronze t, Process child, int commits, int extraMillis) throws Exception {
    var target = new BronzeIngest(t.spec).target();
    Optional<TableVersion> seen = version(target);
    int changes = 0;
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (child.isAlive() && System.nanoTime() < deadline) {
      Optional<TableVersion> now = version(target);
      if (!now.equals(seen)) {
        seen = now;
        if (++changes >= commits) {
          Thread.sleep(extraMillis);
          break;
        }
      }
      Thread.sleep(50);
    }
    if (!child.isAlive()) {
      return false;
    }
    child.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
    child.waitFor(1, TimeUnit.MINUTES);
    return true;
  }

  /** The table's version as another process sees it mid-write (a table being created has none yet). */
  private static Optional<TableVersion> version(dev.lakehouse.core.format.LakehouseTable target) {
    try {
      return target.currentVersion(SharedSpark.session());
    } catch (RuntimeException creating) {
      return Optional.empty();
    }
  }

  private static Process startChild(Bronze t) throws Exception {
    return ChildJvm.start(CrashChild.class, t.root.resolve("child-work"), t.root.resolve("child.out"),
        t.root.resolve("pipeline.conf").toString());
  }

}
