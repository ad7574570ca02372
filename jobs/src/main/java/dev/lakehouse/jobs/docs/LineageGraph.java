package dev.lakehouse.jobs.docs;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The lineage of a pipeline as a Graphviz graph: landing sources → bronze → silver → gold, one
 * column per layer, each table linking to its section of the catalog. Drawn by Graphviz's
 * {@code dot} (Debian package {@code graphviz}).
 */
final class LineageGraph {
  private LineageGraph() {}

  static String dot(PipelineSpec spec) {
    StringBuilder g = new StringBuilder("digraph lineage {\n");
    g.append("  rankdir=LR; nodesep=0.25; ranksep=0.9;\n");
    g.append("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11, color=\"#555555\"];\n");
    g.append("  edge [color=\"#888888\", arrowsize=0.7];\n");
    g.append("  subgraph cluster_sources { label=\"sources\"; style=dashed; color=\"#aaaaaa\"; fontname=\"Helvetica\";\n");
    for (TableSpec t : spec.tables().values()) {
      if (t.layer() instanceof LayerSpec.Bronze b && b.source() instanceof SourceSpec.Files f) {
        g.append("    ").append(q("src:" + t.name())).append(" [shape=note, fillcolor=\"#f5f5f5\", label=")
            .append(q(f.format().id() + " files\n" + shortPath(f.path()))).append("];\n");
      }
    }
    g.append("  }\n");
    for (Layer layer : Layer.values()) {
      g.append("  subgraph cluster_").append(layer.id()).append(" { label=").append(q(layer.id()))
          .append("; style=filled; color=").append(q(background(layer))).append("; fontname=\"Helvetica-Bold\";\n");
      for (TableSpec t : spec.tables().values()) {
        if (t.name().layer() == layer) {
          g.append("    ").append(q(t.name().toString())).append(" [label=").append(q(t.name().name() + "\n(" + t.format().id() + ")"))
              .append(", fillcolor=").append(q(fill(layer))).append(", URL=").append(q("#" + anchor(t.name())))
              .append(", tooltip=").append(q(t.description().orElse(t.name().toString()))).append("];\n");
        }
      }
      g.append("  }\n");
    }
    for (TableSpec t : spec.tables().values()) {
      if (t.layer() instanceof LayerSpec.Bronze b && b.source() instanceof SourceSpec.Files) {
        g.append("  ").append(q("src:" + t.name())).append(" -> ").append(q(t.name().toString())).append(";\n");
      }
      for (TableName up : t.upstream().stream().distinct().toList()) {
        g.append("  ").append(q(up.toString())).append(" -> ").append(q(t.name().toString())).append(";\n");
      }
    }
    return g.append("}\n").toString();
  }

  /** Draws {@code dot} as SVG with Graphviz. @throws LakehouseException when Graphviz is missing or fails */
  static String svg(String dot, Path workDir) {
    try {
      Process p = new ProcessBuilder("dot", "-Tsvg").directory(workDir.toFile()).start();
      p.getOutputStream().write(dot.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      byte[] svg = p.getInputStream().readAllBytes();
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new LakehouseException("Cannot draw the lineage graph: Graphviz dot failed: " + err);
      }
      return new String(svg, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new LakehouseException("Cannot draw the lineage graph: Graphviz 'dot' is not installed (" + e.getMessage()
          + "); install it, e.g. apt-get install graphviz");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LakehouseException("Cannot draw the lineage graph: interrupted");
    }
  }

  static String anchor(TableName t) {
    return t.layer().id() + "-" + t.name();
  }

  private static String shortPath(String path) {
    Path p = Path.of(path);
    return p.getNameCount() >= 2 ? p.subpath(p.getNameCount() - 2, p.getNameCount()).toString() : path;
  }

  private static String background(Layer layer) {
    return switch (layer) {
      case BRONZE -> "#f6ede4";
      case SILVER -> "#eef1f4";
      case GOLD -> "#fbf5dc";
    };
  }

  private static String fill(Layer layer) {
    return switch (layer) {
      case BRONZE -> "#e3c3a3";
      case SILVER -> "#d3dae2";
      case GOLD -> "#f1d77c";
    };
  }

  private static String q(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
  }
}
