package dev.lakehouse.jobs.docs;

import dev.lakehouse.jobs.pipeline.Pipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * A static HTML catalog of a pipeline: {@code index.html} (every table: owner, description,
 * columns and types, classification, expectations, sources, latest run from {@code _lakehouse.runs})
 * and {@code lineage.svg}, drawn with Graphviz. Reads table metadata and the run log, never table data.
 */
public final class CatalogDocs {
  private CatalogDocs() {}

  /** Writes the catalog into {@code out}; returns the path of {@code index.html}. */
  public static Path write(Pipeline pipeline, Path out) {
    try {
      Files.createDirectories(out);
      List<TableDoc> docs = CatalogFacts.gather(pipeline);
      String dot = LineageGraph.dot(pipeline.spec());
      String svg = LineageGraph.svg(dot, out);
      Files.writeString(out.resolve("lineage.dot"), dot);
      Files.writeString(out.resolve("lineage.svg"), svg);
      Path index = out.resolve("index.html");
      Files.writeString(index, CatalogHtml.render(pipeline.spec(), docs, svg, Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()));
      return index;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the catalog into " + out + ": " + e.getMessage(), e);
    }
  }
}
