package dev.lakehouse.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.TableName;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The run's lines reach the terminal whole. Spark logs to stderr from other threads while tables
 * run; whatever stdout hands the operating system in one write cannot be split by a log line, so
 * each line (with its error, if any) must be one write. CI's spark-submit test once found
 * "[succeeded] gold.pricing_summary" cut in two by a log line when this printed with printf.
 */
class RunSummaryTest {
  /** What the operating system would receive: one entry per write. */
  private static final class Writes extends OutputStream {
    final List<String> chunks = new ArrayList<>();

    @Override
    public void write(int b) {
      chunks.add(String.valueOf((char) b));
    }

    @Override
    public void write(byte[] b, int off, int len) {
      chunks.add(new String(b, off, len, StandardCharsets.UTF_8));
    }
  }

  /** Like System.out: auto-flushing over a 128-byte buffer. */
  private static PrintStream stdout(Writes writes) {
    return new PrintStream(new BufferedOutputStream(writes, 128), true, StandardCharsets.UTF_8);
  }

  @Test
  void eachLineIsOneWrite() {
    String nl = System.lineSeparator();
    TableRunResult succeeded = new TableRunResult(TableName.parse("gold.pricing_summary"), RunMode.BATCH,
        TableRunResult.Status.SUCCEEDED, 1, 30_201, 4, Optional.empty(), Optional.of(new TableVersion("0")),
        Duration.ofMillis(4_700), Optional.empty(), Instant.now(), Map.of());
    TableRunResult failed = TableRunResult.notRun(TableName.parse("gold.shipping_priority_with_a_long_name"),
        RunMode.BATCH, TableRunResult.Status.FAILED, Optional.of(new TableVersion("3")), "first line\nsecond line");

    Writes writes = new Writes();
    PrintStream out = stdout(writes);
    RunSummary.progress(out, succeeded);
    RunSummary.progress(out, failed);
    RunSummary.table(out, List.of(succeeded, failed));

    assertThat(writes.chunks).hasSize(5);
    assertThat(writes.chunks.get(0)).isEqualTo(
        "[succeeded] gold.pricing_summary: batch, 1 batch(es), 30201 rows in, 4 rows out, version new 0, 4.7s" + nl);
    assertThat(writes.chunks.get(1)).isEqualTo(
        "[failed] gold.shipping_priority_with_a_long_name: batch, 0 batch(es), 0 rows in, 0 rows out, version 3 (same), 0.0s"
            + nl + "    first line" + nl + "    second line" + nl);
    assertThat(writes.chunks.get(2)).startsWith("table ").endsWith(nl);
    assertThat(writes.chunks.get(3)).startsWith("gold.pricing_summary ").contains("new 0").endsWith(nl);
    assertThat(writes.chunks.get(4)).startsWith("gold.shipping_priority_with_a_long_name ").contains("3 (same)")
        .endsWith(nl);
  }
}
