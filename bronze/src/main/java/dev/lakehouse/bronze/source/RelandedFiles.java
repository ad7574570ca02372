package dev.lakehouse.bronze.source;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.TableName;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.network.util.JavaUtils;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.streaming.FileStreamSource;
import org.apache.spark.sql.execution.streaming.FileStreamSourceLog;

/**
 * Files a table's file stream took that have changed since: landed again under the same name (a
 * daily {@code orders.csv} overwritten), appended to, or still being written when the stream
 * listed them. Spark's file source reads each name once and skips it afterwards without a word,
 * so the new content would be lost silently; a run refuses to start while such a file is there.
 *
 * <p>The stream's own log (its checkpoint's {@code sources/0}) says which files it took and their
 * modification time then; one listing of the landing folder gives the times now. Spark forgets a
 * name once it is older than {@code maxFileAge} (7 days) behind the newest file taken, and then
 * reads it again as new: such names are not reported. Files are matched by full path, as the stream
 * takes them: the config refuses {@code fileNameOnly}, with which the stream would match by name.
 */
final class RelandedFiles {
  private RelandedFiles() {}

  /** Fails when a file under {@code landing} changed after the stream with {@code checkpoint} took it. */
  static void check(SparkSession spark, TableName table, String landing, String checkpoint, Map<String, String> options) {
    Path log = new Path(checkpoint, "sources/0");
    try {
      FileSystem logFs = log.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!logFs.exists(log)) {
        return; // a first run: nothing taken yet
      }
      Map<String, FileStreamSource.FileEntry> taken = new HashMap<>();
      long newest = Long.MIN_VALUE;
      for (Object o : new FileStreamSourceLog(FileStreamSourceLog.VERSION(), spark, log.toString()).allFiles()) {
        FileStreamSource.FileEntry e = (FileStreamSource.FileEntry) o;
        taken.merge(key(e.sparkPath().toPath()), e, (a, b) -> a.timestamp() >= b.timestamp() ? a : b);
        newest = Math.max(newest, e.timestamp());
      }
      long forgottenBefore = rememberedSince(newest, options);
      List<String> changed = new ArrayList<>();
      for (FileStatus now : listed(spark, landing)) {
        FileStreamSource.FileEntry then = taken.get(key(now.getPath()));
        if (then != null && then.timestamp() >= forgottenBefore && now.getModificationTime() > then.timestamp()) {
          changed.add(now.getPath() + " (taken in micro-batch " + then.batchId() + " as modified at "
              + Instant.ofEpochMilli(then.timestamp()) + ", modified again at " + Instant.ofEpochMilli(now.getModificationTime()) + ")");
        }
      }
      if (!changed.isEmpty()) {
        throw new LakehouseException("Cannot ingest into " + table + ": " + changed.size() + " file(s) under " + landing
            + " changed after this table read them: " + String.join("; ", changed.subList(0, Math.min(5, changed.size())))
            + (changed.size() > 5 ? "; ..." : "") + ". A file stream reads each file name once, so the new content would be"
            + " skipped without a word. The file was landed again under the same name, appended to, or still being"
            + " written when it was read (land files by writing them aside, then renaming them into the folder). To read"
            + " the new content, land it under a new name (a date or a sequence number in it); to keep what was read"
            + " and drop the change, move the file out of " + landing + "; either way the next run goes on");
      }
    } catch (IOException e) {
      throw new LakehouseException("Cannot check the files " + table + " read under " + landing + " against its checkpoint "
          + checkpoint + ": " + e.getMessage(), e);
    }
  }

  /**
   * The oldest modification time Spark still remembers a taken name by: {@code maxFileAge} behind the
   * newest file taken, or all of them when {@code latestFirst} with a per-trigger limit (Spark's rule).
   */
  private static long rememberedSince(long newest, Map<String, String> options) {
    boolean latestFirst = "true".equalsIgnoreCase(option(options, "latestFirst", "false"));
    boolean limited = option(options, "maxFilesPerTrigger", null) != null || option(options, "maxBytesPerTrigger", null) != null;
    if (latestFirst && limited) {
      return Long.MIN_VALUE;
    }
    return newest - JavaUtils.timeStringAsMs(option(options, "maxFileAge", "7d"));
  }

  private static String option(Map<String, String> options, String key, String fallback) {
    return options.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key)).map(Map.Entry::getValue)
        .findFirst().orElse(fallback);
  }

  /** A file's path without scheme and authority differences (file:/x and file:///x). */
  private static String key(Path p) {
    return p.toUri().getPath();
  }

  /** The files under the landing path (a folder, read recursively, or a glob), as Spark's listing sees them. */
  private static List<FileStatus> listed(SparkSession spark, String landing) throws IOException {
    Path path = new Path(landing);
    FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
    List<FileStatus> files = new ArrayList<>();
    FileStatus[] roots;
    try {
      roots = fs.globStatus(path);
    } catch (FileNotFoundException e) {
      return files;
    }
    for (FileStatus root : roots == null ? new FileStatus[0] : roots) {
      if (!root.isDirectory()) {
        files.add(root);
        continue;
      }
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root.getPath(), true);
      while (it.hasNext()) {
        files.add(it.next());
      }
    }
    return files;
  }
}
