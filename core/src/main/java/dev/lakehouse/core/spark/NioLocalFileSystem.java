package dev.lakehouse.core.spark;

import com.globalmentor.apache.hadoop.fs.NakedLocalFileSystem;
import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Hadoop's local file system ({@code fs.file.impl}) without a process per file. Without Hadoop's
 * native library, its raw file system forks a {@code chmod} for every file and directory it
 * creates, an {@code ls} for every permission it reads and a {@code readlink} for every path a
 * rename resolves; forking a JVM of several GiB costs milliseconds each, and a table run commits
 * hundreds of small files (Delta log, checkpoints, checksums). {@link NakedLocalFileSystem} does
 * the first two through {@code java.nio}; {@link Raw} answers the third without following links.
 * Checksums are kept, as by Hadoop's {@code LocalFileSystem}.
 */
public final class NioLocalFileSystem extends LocalFileSystem {
  public NioLocalFileSystem() {
    super(new Raw());
  }

  /** The raw local file system over {@code java.nio}, for this class and {@link NioLocalFs}. */
  static final class Raw extends NakedLocalFileSystem {
    @Override
    public FileStatus getFileLinkStatus(Path f) throws IOException {
      // NakedLocalFileSystem does not support symlinks: a path's status is its own.
      return getFileStatus(f);
    }
  }
}
