package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.LakehouseException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Where a stream's next run starts, read from its checkpoint as Spark writes it: {@code
 * offsets/<id>} is written before batch {@code id} runs, {@code commits/<id>} after it committed. A
 * restarted stream reruns a planned batch that has no commit, starting from where the last
 * committed batch ended; so it has read everything up to the offsets of its newest committed batch,
 * or nothing when it has none.
 */
public final class StreamCheckpoint {
  private StreamCheckpoint() {}

  /**
   * One entry per source of the stream (its offset as JSON, in the sources' order) up to which the
   * stream has read; empty when the checkpoint is missing or no batch committed.
   */
  public static List<String> readUpTo(Configuration hadoop, String checkpoint) {
    return newestCommitted(hadoop, checkpoint, false).orElse(List.of());
  }

  /**
   * The entries of {@link #readUpTo} when the stream's newest planned batch is also its newest
   * committed one: a start would plan its next batch from them. Empty when no batch committed, or
   * when a batch was planned and not committed (a start runs it again first).
   */
  public static Optional<List<String>> settled(Configuration hadoop, String checkpoint) {
    return newestCommitted(hadoop, checkpoint, true);
  }

  /** The offsets of the newest committed batch; with {@code onlyIfNewestPlanned}, none when a later batch was planned. */
  private static Optional<List<String>> newestCommitted(Configuration hadoop, String checkpoint, boolean onlyIfNewestPlanned) {
    try {
      Path commits = new Path(checkpoint, "commits");
      FileSystem fs = commits.getFileSystem(hadoop);
      OptionalLong committed = newestBatch(fs, commits);
      if (committed.isEmpty()
          || (onlyIfNewestPlanned && !committed.equals(newestBatch(fs, new Path(checkpoint, "offsets"))))) {
        return Optional.empty();
      }
      return Optional.of(offsets(fs, checkpoint, committed.getAsLong()));
    } catch (IOException e) {
      throw new LakehouseException("Cannot read the stream checkpoint at " + checkpoint + ": " + e.getMessage(), e);
    }
  }

  /** One entry per source, from {@code offsets/<batch>}. */
  private static List<String> offsets(FileSystem fs, String checkpoint, long batch) throws IOException {
    Path offsets = new Path(new Path(checkpoint, "offsets"), Long.toString(batch));
    List<String> entries = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(offsets), StandardCharsets.UTF_8))) {
      in.readLine(); // the log's version, "v1"
      in.readLine(); // the batch's metadata (watermark, timestamp, settings)
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        entries.add(line);
      }
    }
    return entries;
  }

  /** The highest batch id among the files of {@code folder}; empty when it has none. */
  static OptionalLong newestBatch(FileSystem fs, Path folder) throws IOException {
    if (!fs.exists(folder)) {
      return OptionalLong.empty();
    }
    OptionalLong newest = OptionalLong.empty();
    for (FileStatus f : fs.listStatus(folder)) {
      String name = f.getPath().getName();
      if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) { // not a temporary or checksum file
        long id = Long.parseLong(name);
        newest = newest.isEmpty() || id > newest.getAsLong() ? OptionalLong.of(id) : newest;
      }
    }
    return newest;
  }
}
