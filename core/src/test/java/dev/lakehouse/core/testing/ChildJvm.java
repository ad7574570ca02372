package dev.lakehouse.core.testing;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A JVM on the test's classpath, with its Java 17 flags, running one main class: for tests that kill it mid-run. */
public final class ChildJvm {
  private ChildJvm() {}

  /**
   * Starts {@code main} with {@code args}; its scratch folder ({@link SharedSpark#workDir}) is
   * {@code work}, its output (both streams) is appended to {@code out}.
   */
  public static Process start(Class<?> main, Path work, Path out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    // A child runs for seconds to a minute, most of it warming up: the quick compiler alone starts it sooner.
    cmd.add("-XX:TieredStopAtLevel=1");
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-opens") || arg.startsWith("-XX:+IgnoreUnrecognizedVMOptions") || arg.startsWith("-Djdk.reflect")) {
        cmd.add(arg);
      }
    }
    Optional.ofNullable(System.getProperty("log4j2.configurationFile")).ifPresent(f -> cmd.add("-Dlog4j2.configurationFile=" + f));
    cmd.add("-Dlakehouse.test.tmp=" + work);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
  }
}
