package dev.lakehouse.jobs.cli;

import dev.lakehouse.jobs.notebook.LakehouseKernel;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.launcher.JavaModuleOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "jupyter", description = "Jupyter notebooks in Java over the lakehouse.", subcommands = JupyterCommand.Install.class)
final class JupyterCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  /** The kernel's name in Jupyter (a notebook's metadata.kernelspec.name). */
  static final String KERNEL = "lakehouse-java";

  @Command(name = "install", description = "Install the Lakehouse (Java) kernel: notebooks then run Java cells in a JVM"
      + " that has the framework, Spark, Delta and Hudi on its class path.")
  static final class Install implements Callable<Integer> {
    @Option(names = "--dir", description = "Jupyter data folder to install into (default: ${DEFAULT-VALUE}); "
        + "Jupyter finds kernels in <dir>/kernels, add other folders with JUPYTER_PATH.", defaultValue = "${sys:user.home}/.local/share/jupyter")
    Path dir;

    @Option(names = "--classpath", description = "The kernel's class path (default: this command's own).")
    String classpath;

    @Option(names = "--heap", description = "The kernel JVM's maximum heap (default: ${DEFAULT-VALUE}).", defaultValue = "4g")
    String heap;

    @Override
    public Integer call() throws IOException {
      String cp = classpath != null ? classpath : System.getProperty("java.class.path");
      List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + heap));
      argv.addAll(Arrays.asList(JavaModuleOptions.defaultModuleOptions().split("\\s+")));
      // Hudi's object-size library would otherwise print warnings into the first cell's output.
      argv.addAll(List.of("-Djdk.attach.allowAttachSelf=true", "-Djol.skipHotspotSAAttach=true"));
      String log4j = System.getProperty("log4j2.configurationFile");
      if (log4j != null) {
        argv.add("-Dlog4j2.configurationFile=" + log4j);
      }
      argv.addAll(List.of("-cp", cp, LakehouseKernel.class.getName(), "{connection_file}"));
      StringBuilder json = new StringBuilder("{\n  \"argv\": [");
      for (int i = 0; i < argv.size(); i++) {
        json.append(i == 0 ? "" : ", ").append(str(argv.get(i)));
      }
      json.append("],\n  \"display_name\": \"Lakehouse (Java)\",\n  \"language\": \"java\",\n")
          .append("  \"env\": {\"SPARK_LOCAL_IP\": \"127.0.0.1\"},\n  \"interrupt_mode\": \"message\"\n}\n");
      Path kernelDir = Files.createDirectories(dir.resolve("kernels").resolve(KERNEL));
      Files.writeString(kernelDir.resolve("kernel.json"), json);
      System.out.println("Installed kernel " + KERNEL + " in " + kernelDir + " (" + cp.split(File.pathSeparator).length
          + " class-path entries); open notebooks/ with jupyter and pick \"Lakehouse (Java)\"");
      return LakehouseMain.OK;
    }

    private static String str(String s) {
      StringBuilder b = new StringBuilder("\"");
      for (char c : s.toCharArray()) {
        switch (c) {
          case '"' -> b.append("\\\"");
          case '\\' -> b.append("\\\\");
          default -> {
            if (c < 0x20) {
              b.append(String.format("\\u%04x", (int) c));
            } else {
              b.append(c);
            }
          }
        }
      }
      return b.append('"').toString();
    }
  }
}
