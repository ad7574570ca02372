package dev.lakehouse.jobs.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import sun.misc.Signal;

/**
 * Ctrl-C (SIGINT) and SIGTERM (a scheduler's kill: Airflow's task timeout or "mark failed", a
 * container's stop) ask a run to stop after the micro-batches it is writing, so that it records what
 * it did and gives its tables up; a second signal stops the process at once, as a kill does (each
 * table is safe against that too; it only loses the batches in flight and the run log's rows).
 * Handled in the main's own code, not in a JVM shutdown hook, which would race Spark's own hooks
 * that stop the executors under it.
 */
final class StopSignals {
  private final AtomicReference<Signal> first = new AtomicReference<>();

  private StopSignals() {}

  /** Installs the handlers; {@code onStop} runs once, on the first signal, on a thread of its own, with its name ("SIGTERM"). */
  static StopSignals install(PrintStream out, Consumer<String> onStop) {
    StopSignals signals = new StopSignals();
    for (String name : List.of("INT", "TERM")) {
      Signal.handle(new Signal(name), s -> {
        if (!signals.first.compareAndSet(null, s)) {
          out.println("SIG" + s.getName() + " again: stopping at once");
          out.flush();
          Runtime.getRuntime().halt(exitCode(s));
        }
        out.println("SIG" + s.getName() + ": stopping after the micro-batches being written (send it again to stop at once) ...");
        Thread t = new Thread(() -> onStop.accept(name(s)), "lakehouse-stop");
        t.setDaemon(true);
        t.start();
      });
    }
    return signals;
  }

  /**
   * The shell's convention for a process ended by the first signal received: 128 + its number (130
   * for SIGINT, 143 for SIGTERM); empty when none was.
   */
  Optional<Integer> exitCode() {
    return Optional.ofNullable(first.get()).map(StopSignals::exitCode);
  }

  private static String name(Signal s) {
    return "SIG" + s.getName();
  }

  private static int exitCode(Signal s) {
    return 128 + s.getNumber();
  }
}
