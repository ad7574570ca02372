package dev.lakehouse.quality;

import com.amazon.deequ.repository.AnalysisResult;
import com.amazon.deequ.repository.AnalysisResultSerde;
import dev.lakehouse.core.errors.LakehouseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import scala.collection.JavaConverters;

/**
 * A table's Deequ metrics history file, read and replaced so that a crash never leaves it half
 * written. Deequ's {@code FileSystemMetricsRepository} overwrites the file in place, and a file cut
 * short by a crash then fails every later batch. Here the new history is written to a temporary
 * file and renamed into place; Hadoop's rename does not replace an existing file (local file
 * system, HDFS), so the old file is first renamed aside to {@code .bak} and deleted only once the
 * new one is in place. A crash between the two renames leaves only {@code .bak}, which is read.
 */
final class MetricsHistory {
  private MetricsHistory() {}

  /** The saved results, oldest or newest first as saved; none when there is no history yet. */
  static List<AnalysisResult> load(SparkSession spark, String file) {
    Path path = new Path(file);
    Path read = path;
    try {
      FileSystem fs = fs(spark, path);
      if (!fs.exists(path)) {
        read = aside(path);
        if (!fs.exists(read)) {
          return List.of();
        }
      }
      String json;
      try (InputStream in = fs.open(read)) {
        json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      return List.copyOf(JavaConverters.seqAsJavaList(AnalysisResultSerde.deserialize(json)));
    } catch (IOException | RuntimeException e) {
      // Deequ's parser names no file; without the path a user cannot find what to repair.
      throw new LakehouseException("Cannot read the Deequ metrics history " + read + ": " + e.getMessage()
          + ". It holds the metrics of earlier batches that anomaly checks compare with; delete it to restart the"
          + " history (the next batch then starts it again, unchecked)", e);
    }
  }

  /** Replaces the history with {@code results}: complete or not at all. */
  static void write(SparkSession spark, String file, List<AnalysisResult> results) {
    Path path = new Path(file);
    Path tmp = new Path(file + ".tmp");
    Path aside = aside(path);
    byte[] json = AnalysisResultSerde.serialize(JavaConverters.asScalaBuffer(results).toList())
        .getBytes(StandardCharsets.UTF_8);
    try {
      FileSystem fs = fs(spark, path);
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(json);
      }
      if (fs.exists(path)) {
        fs.delete(aside, false); // left by a crash after the new file was in place: stale
        rename(fs, path, aside);
      }
      rename(fs, tmp, path);
      fs.delete(aside, false);
    } catch (IOException e) {
      throw new LakehouseException("Cannot write the Deequ metrics history " + file + ": " + e.getMessage(), e);
    }
  }

  private static Path aside(Path path) {
    return new Path(path.getParent(), path.getName() + ".bak");
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) { // Hadoop reports some failures by returning false
      throw new IOException("cannot rename " + from + " to " + to);
    }
  }

  private static FileSystem fs(SparkSession spark, Path path) throws IOException {
    return path.getFileSystem(spark.sparkContext().hadoopConfiguration());
  }
}
