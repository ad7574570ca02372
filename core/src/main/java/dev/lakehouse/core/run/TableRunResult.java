package dev.lakehouse.core.run;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.spec.TableName;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What one table run did.
 *
 * @param batches micro-batches processed (0 when there was no new input)
 * @param rowsRead rows in those micro-batches
 * @param rowsWritten rows committed to the table
 * @param versionBefore the table's version when the run started (empty: it did not exist)
 * @param versionAfter the table's version when the run ended
 * @param error the failure, when {@code status} is FAILED
 * @param startedAt when the run started
 * @param sourceVersions the version of each source table when the run ended ({@code layer.name} → version),
 *     or for a source outside the lakehouse its stream end offset (source name → offset)
 * @param rowsQuarantined rows kept aside instead of written (bronze: records that could not be parsed)
 */
public record TableRunResult(
    TableName table,
    RunMode mode,
    Status status,
    long batches,
    long rowsRead,
    long rowsWritten,
    Optional<TableVersion> versionBefore,
    Optional<TableVersion> versionAfter,
    Duration duration,
    Optional<String> error,
    Instant startedAt,
    Map<String, String> sourceVersions,
    long rowsQuarantined) {

  /** A run that quarantined nothing. */
  public TableRunResult(TableName table, RunMode mode, Status status, long batches, long rowsRead, long rowsWritten,
      Optional<TableVersion> versionBefore, Optional<TableVersion> versionAfter, Duration duration,
      Optional<String> error, Instant startedAt, Map<String, String> sourceVersions) {
    this(table, mode, status, batches, rowsRead, rowsWritten, versionBefore, versionAfter, duration, error, startedAt,
        sourceVersions, 0);
  }

  /**
   * How a table run ended. {@code CANCELLED}: the run was stopped (a signal, {@code Pipeline.cancel})
   * after the micro-batches it had committed, or before it started; the next run goes on from there.
   */
  public enum Status { SUCCEEDED, FAILED, SKIPPED, CANCELLED }

  /** A run that processed nothing: it failed to start, or was skipped; the table stays at {@code version}. */
  public static TableRunResult notRun(TableName table, RunMode mode, Status status, Optional<TableVersion> version,
      String reason) {
    return new TableRunResult(table, mode, status, 0, 0, 0, version, version, Duration.ZERO, Optional.of(reason),
        Instant.now(), Map.of());
  }

  /** Whether this run committed a new version of the table. */
  public boolean changedTable() {
    return !versionBefore.equals(versionAfter);
  }
}
