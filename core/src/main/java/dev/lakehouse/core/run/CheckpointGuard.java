package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.TableName;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

/**
 * Refuses to start a table's stream from a checkpoint that is behind the table. Each append of a
 * micro-batch carries the batch's id ({@link BatchMark}), and a table skips an id it already holds:
 * that is what makes a batch replayed after a crash land once. A checkpoint deleted or replaced by
 * hand starts the ids again at 0, so every batch up to the table's newest id would be skipped,
 * new input included, and nothing would say so.
 *
 * <p>Spark writes a batch's offsets before it runs the batch, so a checkpoint that ran a batch
 * the table holds always lists it; only a checkpoint that is behind lists less.
 */
final class CheckpointGuard {
  private CheckpointGuard() {}

  /** The {@link BatchMark#appId} of the micro-batches of {@code table}'s stream. */
  static String streamAppId(TableName table) {
    return "lakehouse:" + table;
  }

  /**
   * @throws TableRunException when {@code target}, or a table kept beside it, holds a batch of the
   *     stream (under its app id or one of its writers', see {@link BatchMark#by}) that the checkpoint never planned
   */
  static void check(SparkSession spark, LakehouseTable target, String checkpoint) {
    String appId = streamAppId(target.name());
    long planned = newestPlannedBatch(spark, checkpoint);
    List<LakehouseTable> written = new ArrayList<>(List.of(target));
    for (Companion companion : Companion.values()) {
      written.add(target.companion(companion));
    }
    for (LakehouseTable table : written) {
      OptionalLong held = table.lastBatches(spark).entrySet().stream().filter(e -> BatchMark.ofStream(e.getKey(), appId))
          .mapToLong(Map.Entry::getValue).max();
      if (held.isPresent() && held.getAsLong() > planned) {
        throw new TableRunException(target.name(), "Cannot run " + target.name() + ": " + table.name() + " at "
            + table.location() + " holds micro-batches of its stream up to id " + held.getAsLong() + ", but the stream's checkpoint at "
            + checkpoint + (planned < 0 ? " is missing or empty" : " only reaches id " + planned)
            + " (deleted or replaced by hand?). Started from it, the stream would read its input again from the start under ids"
            + " the table already holds, and skip those batches as replays: new input among them would be lost."
            + " Put the checkpoint back, or rebuild the table and the tables kept beside it from their sources with"
            + " `run --full-refresh --tables " + target.name() + "`.", null);
      }
    }
  }

  /** The newest batch id whose offsets the checkpoint records; -1 when it has none. */
  private static long newestPlannedBatch(SparkSession spark, String checkpoint) {
    Path offsets = new Path(checkpoint, "offsets");
    try {
      FileSystem fs = offsets.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return StreamCheckpoint.newestBatch(fs, offsets).orElse(-1);
    } catch (IOException e) {
      throw new LakehouseException("Cannot list the offsets of the checkpoint at " + checkpoint + ": " + e.getMessage(), e);
    }
  }
}
