package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.UsageException;
import dev.lakehouse.core.errors.LakehouseException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line, and the main class spark-submit calls. Exit codes: 0 success, 1 a table run
 * failed, 2 the configuration (or the command line) is invalid.
 */
@Command(name = "lakehouse", mixinStandardHelpOptions = true, version = "lakehouse 0.1.0",
    description = "Configuration-driven medallion pipelines (bronze, silver, gold) on Delta Lake or Apache Hudi.",
    subcommands = {ValidateCommand.class, PlanCommand.class, RunCommand.class, MaintainCommand.class, SqlCommand.class, DemoCommand.class,
        AirflowDagCommand.class, DocsCommand.class, JupyterCommand.class, SuggestRulesCommand.class})
public final class LakehouseMain implements Runnable {
  public static final int OK = 0;
  public static final int RUN_FAILED = 1;
  public static final int CONFIG_ERROR = 2;

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  public static void main(String[] args) {
    int code = execute(args);
    System.out.flush();
    // Spark leaves non-daemon threads behind; exit explicitly so scripts get the code at once.
    System.exit(code);
  }

  /** Runs a command line and returns its exit code (no System.exit), for tests and embedding. */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new LakehouseMain());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ConfigException || e instanceof UsageException) {
        System.err.println(e.getMessage());
        return CONFIG_ERROR;
      }
      if (e instanceof LakehouseException) {
        System.err.println(e.getMessage());
        return RUN_FAILED;
      }
      throw e;
    });
    return cli.execute(args);
  }
}
