package dev.lakehouse.jobs.notebook;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
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

  private LakehouseKernel(String name, String version, HistoryManager history, JupyterIO io, CommManager comms,
      Renderer renderer, MagicTranspiler magics, MagicsRegistry registry, StringStyler errorStyler) {
    super(name, version,
        new LanguageInfo("java", Runtime.version().toString(), "text/x-java-source", ".jshell", "java", "java", null),
        List.of(), history, io, comms, renderer, new MagicParser("(?<=(?:^|=))\\s*%", "%%", magics), registry, false, errorStyler);
    this.shell = JShell.builder().executionEngine("local").out(io.out).err(io.err).in(io.in).build();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      if (!entry.isBlank()) {
        shell.addToClasspath(entry);
      }
    }
  }

  /** Runs a cell snippet by snippet; returns the last expression's value as text, or null. */
  @Override
  public Object evalRaw(String code) {
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
    }
    return lastValue;
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
