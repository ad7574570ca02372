package dev.lakehouse.core.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.CreateFlag;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;

/**
 * The embedded session's {@code file:} paths, through both Hadoop APIs, set and read permissions,
 * checksum and rename as Hadoop's local file system does, without a process per file.
 */
class NioLocalFileSystemTest {
  private final Configuration conf = SharedSpark.session().sparkContext().hadoopConfiguration();

  @Test
  void theFileSystemApiWritesWithPermissionsAndChecksums() throws Exception {
    java.nio.file.Path dir = SharedSpark.newDir("nio-fs");
    Path file = new Path(dir.toUri().toString(), "part-0.txt");
    FileSystem fs = file.getFileSystem(conf);
    assertThat(fs).isInstanceOf(NioLocalFileSystem.class);

    try (FSDataOutputStream out = fs.create(file, new FsPermission((short) 0640), true, 4096, (short) 1, 1 << 20, null)) {
      out.write("rows".getBytes(StandardCharsets.UTF_8));
    }

    java.nio.file.Path local = dir.resolve("part-0.txt");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(local))).isEqualTo("rw-r-----");
    assertThat(fs.getFileStatus(file).getPermission().toShort()).isEqualTo((short) 0640);
    assertThat(fs.getFileStatus(file).getLen()).isEqualTo(4);
    assertThat(dir.resolve(".part-0.txt.crc")).exists();
    Path renamed = new Path(dir.toUri().toString(), "part-1.txt");
    assertThat(fs.rename(file, renamed)).isTrue();
    assertThat(Files.readString(dir.resolve("part-1.txt"))).isEqualTo("rows");
    assertThat(fs.listStatus(new Path(dir.toUri().toString()))).hasSize(1);
  }

  @Test
  void theFileContextApiCreatesAndRenamesOverAnExistingFile() throws Exception {
    java.nio.file.Path dir = SharedSpark.newDir("nio-fc");
    Path base = new Path(dir.toUri().toString());
    FileContext fc = FileContext.getFileContext(base.toUri(), conf);
    assertThat(fc.getDefaultFileSystem()).isInstanceOf(NioLocalFs.class);

    Path tmp = new Path(base, ".00001.json.tmp");
    Path commit = new Path(base, "00001.json");
    Files.writeString(dir.resolve("00001.json"), "older");
    try (FSDataOutputStream out = fc.create(tmp, EnumSet.of(CreateFlag.CREATE),
        Options.CreateOpts.perms(new FsPermission((short) 0600)))) {
      out.write("{\"commit\":1}".getBytes(StandardCharsets.UTF_8));
    }
    // As a streaming checkpoint or a log store commits: write aside, then rename into place.
    fc.rename(tmp, commit, Options.Rename.OVERWRITE);

    assertThat(Files.readString(dir.resolve("00001.json"))).isEqualTo("{\"commit\":1}");
    assertThat(dir.resolve(".00001.json.tmp")).doesNotExist();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("00001.json")))).isEqualTo("rw-------");
    assertThat(fc.getFileLinkStatus(commit).isSymlink()).isFalse();
    assertThat(fc.util().exists(new Path(base, "missing"))).isFalse();
  }
}
