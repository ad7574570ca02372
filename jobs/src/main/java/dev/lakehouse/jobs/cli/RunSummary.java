package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.TableRunResult;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;

/**
 * Prints what a run did: a line per table as it finishes, and a table at the end.
 *
 * <p>Each line is formatted first and printed whole: {@code printf} on an auto-flushing stream
 * writes each piece of the format separately, and Spark's log lines (stderr, often the same
 * terminal or file) land between them, splitting "[succeeded] gold.x" in two.
 */
final class RunSummary {
  private static final String ROW = "%-32s %-9s %7s %10s %10s %11s %-14s %8s%n";

  private RunSummary() {}

  static void progress(PrintStream out, TableRunResult r) {
    String line = String.format("[%s] %s: %s, %d batch(es), %d rows in, %d rows out%s, version %s, %.1fs%n",
        r.status().name().toLowerCase(), r.table(), r.mode().id(), r.batches(), r.rowsRead(), r.rowsWritten(),
        r.rowsQuarantined() == 0 ? "" : ", " + r.rowsQuarantined() + " quarantined", version(r), r.duration().toMillis() / 1000.0);
    String error = r.error().map(e -> "    " + e.replace("\n", "\n    ") + System.lineSeparator()).orElse("");
    out.print(line + error);
  }

  static void table(PrintStream out, List<TableRunResult> results) {
    out.print(String.format(ROW, "table", "status", "batches", "rows in", "rows out", "quarantined", "version", "time"));
    for (TableRunResult r : results) {
      out.print(String.format(ROW, r.table(), r.status().name().toLowerCase(), r.batches(), r.rowsRead(), r.rowsWritten(),
          r.rowsQuarantined(), version(r), String.format("%.1fs", r.duration().toMillis() / 1000.0)));
    }
  }

  private static String version(TableRunResult r) {
    String after = r.versionAfter().map(TableVersion::id).orElse("-");
    return r.changedTable() ? r.versionBefore().map(v -> v.id() + "->").orElse("new ") + after : after + " (same)";
  }

  static String id(Optional<TableVersion> v) {
    return v.map(TableVersion::id).orElse("-");
  }
}
