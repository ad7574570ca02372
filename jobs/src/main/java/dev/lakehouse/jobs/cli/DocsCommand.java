package dev.lakehouse.jobs.cli;

import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.docs.CatalogDocs;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "docs", description = "Write a static HTML catalog of the pipeline: every table, its columns, sources,"
    + " latest run and a lineage picture (needs Graphviz 'dot').")
final class DocsCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--out", description = "Folder to write index.html and lineage.svg into (default: ${DEFAULT-VALUE}).",
      defaultValue = "lakehouse-docs")
  Path out;

  @Override
  public Integer call() {
    Path index = CatalogDocs.write(Lakehouse.open(common.request()), out);
    System.out.println("Wrote " + index.toAbsolutePath() + " (open it in a browser)");
    return LakehouseMain.OK;
  }
}
