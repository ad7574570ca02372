package dev.lakehouse.jobs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Landing files for the tests' file sources, as an upstream system drops them. */
final class JsonDrops {
  private JsonDrops() {}

  /**
   * Lands {@code lines} as {@code landing/<table>/drop-<drop>.json} under {@code root}: written
   * under a hidden name first and then moved, so a run never reads half a file.
   */
  static void land(Path root, String table, int drop, List<String> lines) throws IOException {
    Path dir = Files.createDirectories(root.resolve("landing").resolve(table));
    Path tmp = dir.resolve(".drop-" + drop + ".json");
    Files.writeString(tmp, String.join("\n", lines) + "\n");
    Files.move(tmp, dir.resolve("drop-" + drop + ".json"));
  }
}
