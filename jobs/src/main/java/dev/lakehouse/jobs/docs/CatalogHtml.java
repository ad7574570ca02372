package dev.lakehouse.jobs.docs;

import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Locale;

/** Renders the catalog as one static HTML page: the lineage picture, then a section per table. */
final class CatalogHtml {
  private static final String CSS = """
      body{font:14px/1.45 -apple-system,Helvetica,Arial,sans-serif;margin:0;color:#222;display:flex}
      nav{width:230px;min-height:100vh;background:#f4f4f4;padding:16px;box-sizing:border-box;position:sticky;top:0;align-self:flex-start}
      nav h3{margin:14px 0 4px;font-size:12px;text-transform:uppercase;color:#777}
      nav a{display:block;color:#1a5fb4;text-decoration:none;padding:1px 0}
      main{flex:1;padding:20px 32px;max-width:1100px}
      h1{margin:0 0 4px} .sub{color:#666;margin-bottom:16px}
      section.table{border-top:1px solid #ddd;padding-top:10px;margin-top:22px}
      .badge{display:inline-block;border-radius:3px;padding:0 6px;font-size:12px;margin-left:6px;vertical-align:middle}
      .bronze{background:#e3c3a3}.silver{background:#d3dae2}.gold{background:#f1d77c}.fmt{background:#e8e8e8}
      .pii{background:#f8d7da;color:#842029}.succeeded{background:#d1e7dd}.failed{background:#f8d7da}.skipped,.cancelled{background:#fff3cd}
      table.cols,table.facts{border-collapse:collapse;margin:6px 0}
      table.cols td,table.cols th,table.facts td,table.facts th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
      table.cols th,table.facts th{background:#fafafa;font-weight:600}
      code,pre{font-family:Menlo,Consolas,monospace;font-size:12px}
      pre{background:#f7f7f7;padding:8px;overflow-x:auto;white-space:pre-wrap}
      .lineage svg{max-width:100%;height:auto}
      .muted{color:#888}
      """;

  private CatalogHtml() {}

  static String render(PipelineSpec spec, List<TableDoc> docs, String lineageSvg, String generatedAt) {
    StringBuilder h = new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    h.append("<title>").append(esc(spec.name())).append(" — lakehouse catalog</title>\n<style>").append(CSS).append("</style></head>\n<body>\n");
    h.append("<nav><strong>").append(esc(spec.name())).append("</strong>");
    for (Layer layer : Layer.values()) {
      h.append("<h3>").append(layer.id()).append("</h3>");
      for (TableDoc d : docs) {
        if (d.spec().name().layer() == layer) {
          h.append("<a href=\"#").append(LineageGraph.anchor(d.spec().name())).append("\">").append(esc(d.spec().name().name())).append("</a>");
        }
      }
    }
    h.append("</nav>\n<main>\n<h1>Pipeline ").append(esc(spec.name())).append("</h1>\n<div class=\"sub\">")
        .append(esc(spec.description().orElse(""))).append("<br>Owner: ").append(esc(spec.owner().orElse("(no owner)")))
        .append(" · ").append(docs.size()).append(" tables · storage root <code>").append(esc(spec.settings().root()))
        .append("</code> · generated ").append(esc(generatedAt)).append("</div>\n");
    h.append("<h2>Lineage</h2>\n<div class=\"lineage\" id=\"lineage\">").append(stripXmlProlog(lineageSvg)).append("</div>\n");
    for (TableDoc d : docs) {
      table(h, d);
    }
    return h.append("</main>\n</body></html>\n").toString();
  }

  private static void table(StringBuilder h, TableDoc d) {
    TableSpec t = d.spec();
    String layer = t.name().layer().id();
    h.append("<section class=\"table\" id=\"").append(LineageGraph.anchor(t.name())).append("\">\n<h2>").append(esc(t.name().toString()))
        .append("<span class=\"badge ").append(layer).append("\">").append(layer).append("</span><span class=\"badge fmt\">")
        .append(t.format().id()).append("</span></h2>\n");
    h.append("<p>").append(esc(t.description().orElse("(no description)"))).append("</p>\n<table class=\"facts\">");
    fact(h, "owner", esc(d.owner()));
    fact(h, "reads", sources(t));
    fact(h, "read by", d.readBy().isEmpty() ? "<span class=\"muted\">no table</span>" : links(d.readBy()));
    fact(h, "does", esc(what(t)));
    if (!t.keys().isEmpty()) {
      fact(h, "keys", "<code>" + esc(String.join(", ", t.keys())) + "</code>");
    }
    if (!t.partitionBy().isEmpty()) {
      fact(h, "partitioned by", "<code>" + esc(String.join(", ", t.partitionBy())) + "</code>");
    }
    fact(h, "location", "<code>" + esc(t.location()) + "</code>");
    fact(h, "current version", d.version().map(CatalogHtml::esc).orElse("<span class=\"muted\">not written yet</span>"));
    fact(h, "expectations", t.expectations().isEmpty() ? "<span class=\"muted\">none declared</span>" : expectations(t.expectations()));
    fact(h, "latest run", d.latestRun().map(CatalogHtml::run).orElse("<span class=\"muted\">never run</span>"));
    fact(h, "declared at", "<code>" + esc(t.origin()) + "</code>");
    h.append("</table>\n");
    if (t.layer() instanceof LayerSpec.Gold g) {
      h.append("<details><summary>query</summary><pre>").append(esc(g.sql().strip())).append("</pre></details>\n");
    }
    h.append("<h3>Columns").append(d.columnsDeclared() ? " <span class=\"muted\">(as declared; the table is not written yet)</span>" : "")
        .append("</h3>\n<table class=\"cols\"><tr><th>column</th><th>type</th><th>nullable</th><th>classification</th><th>description</th></tr>\n");
    for (TableDoc.Column c : d.columns()) {
      h.append("<tr><td><code>").append(esc(c.name())).append("</code></td><td><code>").append(esc(c.type())).append("</code></td><td>")
          .append(c.nullable() ? "yes" : "no").append("</td><td>")
          .append(c.classification().map(x -> "<span class=\"badge " + ("pii".equals(x) ? "pii" : "fmt") + "\">" + esc(x) + "</span>").orElse(""))
          .append("</td><td>").append(esc(c.description().orElse(""))).append("</td></tr>\n");
    }
    if (d.columns().isEmpty()) {
      h.append("<tr><td colspan=\"5\" class=\"muted\">known after the first run</td></tr>\n");
    }
    h.append("</table>\n</section>\n");
  }

  /** Each rule as name, kind and arguments, and its action. */
  private static String expectations(List<Expectation> rules) {
    StringBuilder b = new StringBuilder("<ul class=\"rules\">");
    for (Expectation e : rules) {
      String r = e.rule().toString(); // a record: Kind[field=value, ...]
      String args = (r.indexOf('[') < 0 ? "" : r.substring(r.indexOf('[') + 1, r.length() - 1))
          .replaceAll("(, )?\\w+=Optional\\.empty", "").replaceAll("^, ", "").replaceAll("Optional\\[([^\\]]*)]", "$1");
      b.append("<li><code>").append(esc(e.name())).append("</code>: ").append(esc(e.rule().kind()))
          .append(args.isEmpty() ? "" : " <span class=\"muted\">(" + esc(args) + ")</span>")
          .append(" &rarr; <span class=\"badge fmt\">").append(e.action().id()).append("</span></li>");
    }
    return b.append("</ul>").toString();
  }

  private static String run(TableDoc.LatestRun r) {
    return "<span class=\"badge " + esc(r.status()) + "\">" + esc(r.status()) + "</span> " + esc(r.startedAt())
        + String.format(Locale.ROOT, " · %.1fs · %,d rows read · %,d written", r.seconds(), r.rowsRead(), r.rowsWritten())
        + (r.rowsQuarantined() > 0 ? String.format(Locale.ROOT, " · %,d quarantined", r.rowsQuarantined()) : "")
        + r.targetVersion().map(v -> " · version " + esc(v)).orElse("") + " · run <code>" + esc(r.runId()) + "</code> (" + r.runs()
        + " run" + (r.runs() == 1 ? "" : "s") + " in all)" + r.error().map(e -> "<pre>" + esc(e) + "</pre>").orElse("");
  }

  private static String sources(TableSpec t) {
    if (t.layer() instanceof LayerSpec.Bronze b) {
      return b.source() instanceof SourceSpec.Files f
          ? esc(f.format().id()) + " files in <code>" + esc(f.path()) + "</code>" : links(b.upstream().stream().map(TableName::toString).toList());
    }
    return links(t.upstream().stream().distinct().map(TableName::toString).toList());
  }

  private static String what(TableSpec t) {
    if (t.layer() instanceof LayerSpec.Silver s) {
      String by = s.sequenceBy().map(q -> " by " + q).orElse("");
      String how = s.cdc().isEmpty() ? "cleanse, keep the newest row per key" + by
          : s.cdc().get() instanceof CdcSpec.Snapshot ? "cleanse, compare each snapshot" + by + " with the one before"
          : "decode change events, cleanse, apply the newest change per key" + by;
      return how + ", write " + s.write().id();
    }
    if (t.layer() instanceof LayerSpec.Gold g) {
      return "recompute the query when a source changes (refresh " + g.refresh().id() + ")";
    }
    return "append new input as it arrived, with lineage columns";
  }

  private static String links(List<String> tables) {
    StringBuilder b = new StringBuilder();
    for (String t : tables) {
      TableName n = TableName.parse(t);
      b.append(b.length() == 0 ? "" : ", ").append("<a href=\"#").append(n == null ? t : LineageGraph.anchor(n)).append("\">")
          .append(esc(t)).append("</a>");
    }
    return b.toString();
  }

  private static void fact(StringBuilder h, String name, String html) {
    h.append("<tr><th>").append(name).append("</th><td>").append(html).append("</td></tr>");
  }

  private static String stripXmlProlog(String svg) {
    int i = svg.indexOf("<svg");
    return i < 0 ? svg : svg.substring(i);
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
