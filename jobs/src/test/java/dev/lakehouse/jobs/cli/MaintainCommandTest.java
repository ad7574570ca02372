package dev.lakehouse.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.MaintenanceResult;
import dev.lakehouse.jobs.pipeline.TableMaintenance;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What maintain prints for the quality reports' folder (MaintainTest runs the real thing). */
class MaintainCommandTest {
  private static String print(long deleted, boolean dryRun) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    TableMaintenance.Outcome o = new TableMaintenance.Outcome("_lakehouse/reports", TableMaintenance.Kind.QUALITY_REPORTS,
        Optional.of(new MaintenanceResult(0, 0, deleted, 0, Duration.ofDays(90), Optional.empty())), List.of(), Optional.empty(),
        Optional.empty());
    MaintainCommand.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), o, dryRun);
    return bytes.toString(StandardCharsets.UTF_8).strip();
  }

  @Test
  void qualityReportsAreCountedAsReports() {
    assertThat(print(12, false)).isEqualTo("[maintained] _lakehouse/reports: deleted 12 quality report(s) older than 90 days");
    assertThat(print(12, true)).isEqualTo("[dry run]    _lakehouse/reports: would delete 12 quality report(s) older than 90 days");
    assertThat(print(0, false)).isEqualTo("[unchanged]  _lakehouse/reports: no quality report older than 90 days");
  }
}
