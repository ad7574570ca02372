package dev.lakehouse.core.config;

import java.nio.file.Path;
import java.util.regex.Pattern;

/** Resolves the paths written in configuration: URIs (s3a://, hdfs://) and absolute paths as given. */
final class Paths {
  private static final Pattern URI_SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:/.*");

  private Paths() {}

  static boolean isAbsolute(String p) {
    return p.startsWith("/") || URI_SCHEME.matcher(p).matches();
  }

  /** The storage root: relative roots are taken from the working directory. */
  static String root(String configured) {
    String root = isAbsolute(configured) ? configured : Path.of(configured).toAbsolutePath().normalize().toString();
    return root.endsWith("/") ? root.substring(0, root.length() - 1) : root;
  }

  /** {@code p} relative to {@code base} unless it is absolute. */
  static String under(String base, String p) {
    return isAbsolute(p) ? p : base + "/" + p;
  }
}
