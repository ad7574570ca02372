package dev.lakehouse.core.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One run of a table at a time: in this process, against other processes, and against another host's dead run. */
class TableLeaseTest {
  private static final TableName TABLE = TableName.parse("bronze.events");
  private static final Duration EXPIRY = Duration.ofMinutes(2);
  private final Configuration hadoop = new Configuration();

  @TempDir
  Path dir;

  private String checkpoint() {
    return dir.resolve("_checkpoints/bronze/events").toString();
  }

  private TableLease acquire(String runId) {
    return TableLease.acquire(hadoop, TABLE, checkpoint(), runId, EXPIRY);
  }

  private Path folder() {
    return Path.of(TableLease.folderOf(checkpoint()));
  }

  private List<String> generations() throws IOException {
    try (Stream<Path> files = Files.list(folder())) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9]+")).sorted().toList();
    }
  }

  @Test
  void aSecondRunInThisProcessIsRefusedUntilTheFirstEnds() throws IOException {
    TableLease first = acquire("run-a");
    TableRunException busy = assertThrows(TableRunException.class, () -> acquire("run-b"));
    assertTrue(busy.getMessage().contains("Cannot run bronze.events: run run-a (process " + ProcessHandle.current().pid()),
        busy.getMessage());
    assertTrue(busy.getMessage().contains("in this process is running it"), busy.getMessage());
    first.close();
    assertEquals(List.of(), generations(), "a closed lease leaves no file");
    acquire("run-b").close();
  }

  @Test
  void aRunOfAnotherProcessHoldsTheTableUntilItsProcessIsGone() throws Exception {
    Path out = dir.resolve("holder.log");
    Path go = Files.createFile(dir.resolve("go"));
    Process holder = ChildJvm.start(LeaseHolder.class, dir, out, checkpoint(), "run-child", go.toString());
    try {
      awaitLine(out, "HELD");
      TableRunException busy = assertThrows(TableRunException.class, () -> acquire("run-here"));
      assertTrue(busy.getMessage().contains("run run-child (process " + holder.pid() + " on "), busy.getMessage());
      assertTrue(busy.getMessage().contains("this run read and wrote nothing"), busy.getMessage());
    } finally {
      holder.destroyForcibly().waitFor(); // SIGKILL: the lease stays behind, as after a crash
    }
    assertEquals(List.of("1"), generations());
    TableLease taken = acquire("run-here"); // at once: its process is gone
    assertEquals(List.of("2"), generations(), "the dead run's generation is cleaned up");
    taken.close();
  }

  @Test
  void aLeaseOfAnotherHostHoldsUntilItWasNotRenewedForTheExpiry() throws IOException {
    Files.createDirectories(folder());
    Path other = Files.writeString(folder().resolve("7"),
        "run_id=run-elsewhere\nhost=another-host.example\npid=4242\nprocess_started=1\nstarted_at=2026-01-01T00:00:00Z\n");
    TableRunException busy = assertThrows(TableRunException.class, () -> acquire("run-here"));
    assertTrue(busy.getMessage().contains("run run-elsewhere (process 4242 on another-host.example"), busy.getMessage());
    assertTrue(busy.getMessage().contains("expires 120 s after it last renewed it (lakehouse.run.lease-expiry)"), busy.getMessage());

    Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(EXPIRY).minusSeconds(5)));
    TableLease taken = acquire("run-here");
    assertEquals(List.of("8"), generations());
    taken.close();
  }

  @Test
  void theHolderRenewsItsLeaseEveryQuarterOfTheExpiry() throws Exception {
    TableLease held = TableLease.acquire(hadoop, TABLE, checkpoint(), "run-a", Duration.ofSeconds(2));
    try {
      Path file = folder().resolve(generations().get(0));
      FileTime old = FileTime.from(Instant.now().minusSeconds(60));
      Files.setLastModifiedTime(file, old);
      Thread.sleep(1_500);
      assertTrue(Files.getLastModifiedTime(file).toInstant().isAfter(Instant.now().minusSeconds(5)),
          "renewed: " + Files.getLastModifiedTime(file));
    } finally {
      held.close();
    }
  }

  @Test
  void processesStartingAtTheSameMomentGetOneLease() throws Exception {
    Path go = dir.resolve("go");
    List<Process> holders = new ArrayList<>();
    List<Path> outs = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Path out = dir.resolve("holder-" + i + ".log");
        outs.add(out);
        holders.add(ChildJvm.start(LeaseHolder.class, dir, out, checkpoint(), "run-" + i, go.toString()));
      }
      Thread.sleep(2_000); // the JVMs start, then wait for the file
      Files.createFile(go);
      int held = 0;
      for (Path out : outs) {
        held += awaitLine(out, "HELD", "BUSY").equals("HELD") ? 1 : 0;
      }
      assertEquals(1, held, "exactly one of the processes holds the lease");
      assertEquals(1, generations().size());
      assertThrows(TableRunException.class, () -> acquire("run-here"));
    } finally {
      for (Process p : holders) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  /** Waits (at most a minute) for the first of {@code lines} the child prints, and returns it. */
  private static String awaitLine(Path out, String... lines) throws Exception {
    long end = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (System.nanoTime() < end) {
      if (Files.exists(out)) {
        for (String l : Files.readAllLines(out)) {
          for (String want : lines) {
            if (l.trim().equals(want)) {
              return want;
            }
          }
        }
      }
      Thread.sleep(50);
    }
    throw new AssertionError("The child printed none of " + List.of(lines) + ": " + (Files.exists(out) ? Files.readString(out) : ""));
  }
}
