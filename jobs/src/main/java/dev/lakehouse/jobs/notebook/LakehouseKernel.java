package dev.lakehouse.jobs.notebook;

import dev.lakehouse.jobs.pipeline.Pipeline;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.SparkSession;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.history.HistoryManager;
import org.dflib.jjava.jupyter.kernel.magic.MagicTranspiler;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.magic.MagicParser;

/**
 * A Jupyter kernel for Java notebooks over the lakehouse: cells are Java snippets run by JShell
 * in this JVM (the "local" execution engine), so they share its class path — the framework, Spark,
 * Delta and Hudi — and one SparkSession lives as long as the kernel. The Jupyter protocol comes
 * from {@code org.dflib.jjava:jjava-jupyter}. A cell that does not compile or throws fails, so
 * {@code jupyter nbconvert --execute} fails on it. Installed by {@code bin/lakehouse jupyter install}.
 */
public final class LakehouseKernel extends BaseKernel {
  private final JShell shell;
  private final JupyterIO io;
  /** Whether a cell runs: an interrupt between cells has nothing of a cell's to stop. */
  private volatile boolean cellRunning;
  /** Interrupts received while the current cell runs (reset as each cell starts). */
  private final AtomicInteger interrupts = new AtomicInteger();
  /** Whether an interrupt of the current cell cancelled a pipeline run (then a second one cancels its streams' jobs). */
  private volatile boolean runCancelled;
  private final AtomicLong cells = new AtomicLong();
  /** The Spark job group of the cell running now (see {@link #evalRaw}); null before a session exists. */
  private volatile String cellJobs;
  /** The job groups of interrupted cells: a job such a cell starts after the interrupt is cancelled too. */
  private final Set<String> interrupted = ConcurrentHashMap.newKeySet();
  /** The local property {@code setJobGroup} sets (Spark's {@code SparkContext.SPARK_JOB_GROUP_ID}, private to Spark). */
  private static final String JOB_GROUP = "spark.jobGroup.id";
  /**
   * In {@link #interrupted}: the jobs of no group, those of the cell that started the session
   * (every job of the session so far is that cell's, since the session did not exist before it).
   */
  private static final String NO_GROUP = "";
  /** The SparkContext {@link #cancelLateJobs} listens to. */
  private final AtomicReference<SparkContext> listenedTo = new AtomicReference<>();

  private LakehouseKernel(String name, String version, HistoryManager history, JupyterIO io, CommManager comms,
      Renderer renderer, MagicTranspiler magics, MagicsRegistry registry, StringStyler errorStyler) {
    super(name, version,
        new LanguageInfo("java", Runtime.version().toString(), "text/x-java-source", ".jshell", "java", "java", null),
        List.of(), history, io, comms, renderer, new MagicParser("(?<=(?:^|=))\\s*%", "%%", magics), registry, false, errorStyler);
    this.io = io;
    this.shell = JShell.builder().executionEngine("local").out(io.out).err(io.err).in(io.in).build();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        shell.addToClasspath(entry);
      }
    }
  }

  /**
   * Runs a cell snippet by snippet; returns the last expression's value as text, or null. An
   * interrupt ends the cell after the snippet it came during (see {@link #interrupt}).
   */
  @Override
  public Object evalRaw(String code) {
    interrupts.set(0);
    runCancelled = false;
    cellRunning = true;
    Optional<SparkContext> spark = sparkContext();
    // JShell runs each snippet in a new thread started from this one, and Spark's local properties
    // pass to threads started from a thread: the cell's jobs, and those of the threads it starts
    // (a pipeline run's table runs), carry this group, so an interrupt can cancel them and no other.
    // A stream sets a group of its own (its run id), which is why a pipeline run is cancelled first.
    cellJobs = spark.map(sc -> {
      cancelLateJobs(sc);
      String group = "notebook-cell-" + cells.incrementAndGet();
      sc.setJobGroup(group, "notebook cell", false);
      return group;
    }).orElse(null);
    try {
      return evalSnippets(code);
    } finally {
      spark.ifPresent(SparkContext::clearJobGroup);
      cellRunning = false;
      interrupted.remove(cellJobs == null ? NO_GROUP : cellJobs);
      cellJobs = null;
    }
  }

  /**
   * Spark cancels a group's running jobs, not those it starts later: a query interrupted while it
   * plans, or between two of its jobs, would go on. A listener cancels those as they start.
   */
  private void cancelLateJobs(SparkContext sc) {
    // Not synchronized on the kernel: its execute handler holds that monitor while a cell runs, and
    // an interrupt calls this during the cell.
    SparkContext before = listenedTo.get();
    if (before == sc || !listenedTo.compareAndSet(before, sc)) {
      return;
    }
    sc.addSparkListener(new SparkListener() {
      @Override
      public void onJobStart(SparkListenerJobStart start) {
        String group = start.properties() == null ? null : start.properties().getProperty(JOB_GROUP);
        if (interrupted.contains(group == null ? NO_GROUP : group)) {
          sc.cancelJob(start.jobId());
        }
      }
    });
  }

  private String evalSnippets(String code) {
    SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
    String remaining = code;
    String lastValue = null;
    while (!remaining.isBlank()) {
      SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
      String source = info.completeness().isComplete() ? info.source() : remaining;
      remaining = info.completeness().isComplete() ? info.remaining() : "";
      lastValue = null;
      for (SnippetEvent event : shell.eval(source)) {
        if (event.exception() != null) {
          throw new CellException(describe(event.exception()), event.exception());
        }
        if (event.status() == Snippet.Status.REJECTED) {
          throw new CellException("Cannot compile:\n" + diagnostics(event.snippet()), null);
        }
        if (event.status() == Snippet.Status.RECOVERABLE_DEFINED || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
          throw new CellException("Cannot use " + event.snippet().source().strip() + ":\n" + diagnostics(event.snippet()), null);
        }
        if (event.snippet().kind() == Snippet.Kind.EXPRESSION || event.snippet().kind() == Snippet.Kind.VAR
            && event.snippet().subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND) {
          lastValue = event.value();
        }
      }
      if (interrupts.get() > 0) {
        throw new CellException("Interrupted" + (remaining.isBlank() ? "" : ": the rest of the cell did not run"), null);
      }
    }
    return lastValue;
  }

  /**
   * The stop button (Jupyter's interrupt_request; {@code interrupt_mode = message} in the kernel
   * spec, handled on the control channel's thread while the cell runs on the shell's). The first
   * interrupt cancels the pipeline runs in progress as SIGTERM does on the command line: each
   * table stops after the micro-batch it is writing and is recorded as cancelled, so nothing is
   * written twice or lost; a second interrupt then cancels every running job, the run's
   * micro-batches too (each table is safe against that, as against a kill). With no run in
   * progress the Spark jobs the cell started are cancelled at once, and those it starts later, but
   * not those of streams an earlier cell left running. Java code that runs no Spark job (a loop)
   * cannot be stopped without killing its thread; it runs to its end.
   */
  @Override
  public void interrupt() {
    if (!cellRunning) {
      return;
    }
    int n = interrupts.incrementAndGet();
    if (n == 1 && Pipeline.cancelEveryRun("interrupted") > 0) {
      runCancelled = true;
      io.err.println("Interrupted: the pipeline run stops after the micro-batches being written, and records its tables"
          + " as cancelled (interrupt again to stop at once)");
      return;
    }
    Optional<SparkContext> spark = sparkContext();
    if (spark.isEmpty()) {
      io.err.println("Interrupted: no Spark job to cancel; the cell ends after the statement it is running");
      return;
    }
    String group = cellJobs;
    if (!runCancelled) {
      cancelLateJobs(spark.get());
      if (group == null) { // this cell started the session: its jobs are all there are, and have no group
        interrupted.add(NO_GROUP);
        spark.get().cancelAllJobs();
      } else {
        interrupted.add(group);
        spark.get().cancelJobGroup(group);
      }
      io.err.println("Interrupted: the cell's Spark jobs are cancelled, and any it starts");
    } else {
      spark.get().cancelAllJobs(); // the run's streams run under groups of their own
      io.err.println("Interrupted again: every running Spark job is cancelled; a table whose micro-batch this cancels fails,"
          + " and the next run writes that micro-batch again");
    }
  }

  private static Optional<SparkContext> sparkContext() {
    scala.Option<SparkSession> session = SparkSession.getDefaultSession();
    return session.isDefined() && !session.get().sparkContext().isStopped()
        ? Optional.of(session.get().sparkContext()) : Optional.empty();
  }

  private String diagnostics(Snippet s) {
    return shell.diagnostics(s).map(d -> d.getMessage(null)).collect(Collectors.joining("\n"));
  }

  private static String describe(Throwable t) {
    if (t instanceof EvalException e) {
      return e.getExceptionClassName() + ": " + e.getMessage();
    }
    if (t instanceof UnresolvedReferenceException u) {
      return "Cannot run: " + u.getSnippet().source().strip() + " refers to something not defined";
    }
    return t.toString();
  }

  /** A failed cell: its message is what the notebook shows. */
  static final class CellException extends RuntimeException {
    CellException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  @Override
  public List<String> formatError(Throwable e) {
    List<String> lines = new ArrayList<>(List.of(e.getMessage() == null ? e.toString() : e.getMessage()));
    if (e.getCause() instanceof EvalException eval) {
      for (StackTraceElement el : eval.getStackTrace()) {
        lines.add("    at " + el);
      }
    }
    return lines;
  }

  @Override
  public DisplayData inspect(String code, int at, boolean extraDetail) {
    return null;
  }

  @Override
  public ReplacementOptions complete(String code, int at) {
    int[] anchor = new int[1];
    List<String> options = shell.sourceCodeAnalysis().completionSuggestions(code, at, anchor).stream()
        .map(SourceCodeAnalysis.Suggestion::continuation).distinct().toList();
    return options.isEmpty() ? null : new ReplacementOptions(options, anchor[0], at);
  }

  @Override
  public String isComplete(String code) {
    return switch (shell.sourceCodeAnalysis().analyzeCompletion(code).completeness()) {
      case COMPLETE, COMPLETE_WITH_SEMI, EMPTY -> IS_COMPLETE_YES;
      case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> IS_COMPLETE_MAYBE;
      default -> IS_COMPLETE_BAD;
    };
  }

  @Override
  public void onShutdown(boolean restart) {
    shell.close();
  }

  static final class Builder extends BaseKernelBuilder<Builder, LakehouseKernel> {
    @Override
    public LakehouseKernel build() {
      return new LakehouseKernel(buildName(), buildVersion(), buildHistoryManager(), buildJupyterIO(buildJupyterIOEncoding()),
          buildCommManager(), buildRenderer(), buildMagicTranspiler(), buildMagicsRegistry(), buildErrorStyler());
    }
  }

  /** Started by Jupyter with the path of a connection file (see {@code kernel.json}). */
  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("Usage: LakehouseKernel <connection file> (Jupyter passes it; install with bin/lakehouse jupyter install)");
      System.exit(2);
    }
    KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
    JupyterConnection connection = new JupyterConnection(props);
    LakehouseKernel kernel = new Builder().name("lakehouse-java").version("0.1.0").build();
    kernel.becomeHandlerForConnection(connection);
    connection.connect();
    connection.waitUntilClose();
    System.exit(0);
  }
}
