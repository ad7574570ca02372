package dev.lakehouse.core.format;

import java.time.Duration;
import java.util.Optional;

/**
 * What maintaining a table did, or would do in a dry run.
 *
 * @param filesCompacted small files OPTIMIZE replaced (0 when it did not run)
 * @param filesWritten the files OPTIMIZE wrote in their place
 * @param filesDeleted files VACUUM deleted (would delete, in a dry run), empty folders not counted
 * @param filesKeptForReaders files older than the retention that readers still need, kept
 * @param kept the history kept: {@code keep-history}, or longer for the readers' files
 * @param nothingToDo why the format had nothing to do, when so
 */
public record MaintenanceResult(long filesCompacted, long filesWritten, long filesDeleted, long filesKeptForReaders,
    Duration kept, Optional<String> nothingToDo) {

  public static MaintenanceResult nothingToDo(String why) {
    return new MaintenanceResult(0, 0, 0, 0, Duration.ZERO, Optional.of(why));
  }
}
