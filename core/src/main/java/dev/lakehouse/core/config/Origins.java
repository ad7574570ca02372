package dev.lakehouse.core.config;

import com.typesafe.config.ConfigOrigin;
import java.nio.file.Path;

/** Renders a config origin as {@code file:line}, with the file relative to the working directory. */
final class Origins {
  private Origins() {}

  static String describe(ConfigOrigin origin) {
    if (origin == null) {
      return "";
    }
    if (origin.filename() == null) {
      return origin.description();
    }
    String file = origin.filename();
    try {
      Path abs = Path.of(file).toAbsolutePath().normalize();
      Path cwd = Path.of("").toAbsolutePath();
      if (abs.startsWith(cwd)) {
        file = cwd.relativize(abs).toString();
      }
    } catch (RuntimeException ignored) {
      // keep the name as Typesafe Config reported it
    }
    return origin.lineNumber() > 0 ? file + ":" + origin.lineNumber() : file;
  }
}
