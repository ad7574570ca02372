package dev.lakehouse.quality;

import dev.lakehouse.core.spec.LakehouseSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The quality report of one run: a self-contained HTML page (no scripts, no external files) with
 * pass/fail per table and rule, failing rows, and an inline SVG chart of each rule's metric over
 * its last {@value #HISTORY} checks. Written next to the system tables, under
 * {@code <root>/_lakehouse/reports/quality-<run id>.html}.
 */
public final class QualityReport {
  static final int HISTORY = 30;
  private static final String PREFIX = "quality-";

  private QualityReport() {}

  public static String location(LakehouseSettings settings, String runId) {
    return settings.reportsLocation() + "/" + PREFIX + runId + ".html";
  }

  /**
   * Deletes the reports last written more than {@code keep} ago (by the file's modification time,
   * as Delta's VACUUM judges a file's age); other files in the folder are left alone.
   *
   * @param dryRun delete nothing, only count
   * @return how many reports were deleted (would be, in a dry run)
   * @throws UncheckedIOException when the folder cannot be listed or a report deleted
   */
  public static long deleteOlderThan(SparkSession spark, LakehouseSettings settings, Duration keep, boolean dryRun) {
    Path folder = new Path(settings.reportsLocation());
    long cutoff = System.currentTimeMillis() - keep.toMillis();
    long deleted = 0;
    try {
      FileSystem fs = folder.getFileSystem(spark.sparkContext().hadoopConfiguration());
      FileStatus[] reports = fs.globStatus(new Path(folder, PREFIX + "*.html"));
      for (FileStatus f : reports == null ? new FileStatus[0] : reports) {
        if (f.isFile() && f.getModificationTime() < cutoff) {
          if (!dryRun && !fs.delete(f.getPath(), false) && fs.exists(f.getPath())) {
            throw new IOException("the file system refused to delete " + f.getPath());
          }
          deleted++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot delete old quality reports in " + folder + ": " + e.getMessage(), e);
    }
    return deleted;
  }

  /** The report of {@code runId}, if it was written. */
  public static Optional<String> find(SparkSession spark, LakehouseSettings settings, String runId) {
    String file = location(settings, runId);
    try {
      Path path = new Path(file);
      return path.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(path) ? Optional.of(file) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Writes the report of {@code runId}; empty when the run checked no expectation. */
  public static Optional<String> write(SparkSession spark, LakehouseSettings settings, String runId) {
    QualityResults results = new QualityResults(spark, settings);
    if (!results.exists()) {
      return Optional.empty();
    }
    var all = spark.read().format("delta").load(results.location());
    List<Row> run = all.where(all.col("run_id").equalTo(runId)).orderBy("table_name", "rule", "batch_id").collectAsList();
    if (run.isEmpty()) {
      return Optional.empty();
    }
    List<String> tables = run.stream().map(r -> r.<String>getAs("table_name")).distinct().toList();
    // Only what the charts draw reaches the driver: the last HISTORY measured checks per rule, not
    // every check since the table's first run (which grows with each run).
    org.apache.spark.sql.expressions.WindowSpec newestFirst = org.apache.spark.sql.expressions.Window
        .partitionBy("table_name", "rule").orderBy(all.col("checked_at").desc(), all.col("batch_id").desc());
    List<Row> history = all.where(all.col("table_name").isin(tables.toArray()).and(all.col("metric_value").isNotNull()))
        .withColumn("_newest", org.apache.spark.sql.functions.row_number().over(newestFirst))
        .where("_newest <= " + HISTORY).drop("_newest")
        .orderBy("checked_at", "batch_id").collectAsList();
    String html = render(runId, run, history);
    String file = location(settings, runId);
    try {
      Path path = new Path(file);
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (OutputStream out = fs.create(path, true)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write the quality report " + file + ": " + e.getMessage(), e);
    }
    return Optional.of(file);
  }

  static String render(String runId, List<Row> run, List<Row> history) {
    // One line per table and rule: a run may check a table in several batches.
    Map<String, List<Row>> byRule = new LinkedHashMap<>();
    for (Row r : run) {
      byRule.computeIfAbsent(r.getAs("table_name") + "|" + r.getAs("rule"), k -> new ArrayList<>()).add(r);
    }
    Map<String, List<Row>> past = new LinkedHashMap<>();
    for (Row r : history) {
      past.computeIfAbsent(r.getAs("table_name") + "|" + r.getAs("rule"), k -> new ArrayList<>()).add(r);
    }
    long failed = byRule.values().stream().filter(rs -> rs.stream().anyMatch(r -> !r.<Boolean>getAs("passed"))).count();
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Quality report ").append(esc(runId))
        .append("</title><style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}"
            + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:middle}"
            + "th{background:#f3f3f3}.pass{color:#176b2c;font-weight:bold}.fail{color:#b3261e;font-weight:bold}"
            + "td.num{text-align:right}</style></head><body>");
    h.append("<h1>Quality report</h1><p>Run <code>").append(esc(runId)).append("</code>: ")
        .append(byRule.size()).append(" rule(s) checked, <span class=\"").append(failed == 0 ? "pass" : "fail")
        .append("\" id=\"summary\">").append(failed).append(" broken</span>.</p>");
    h.append("<table id=\"results\"><tr><th>table</th><th>rule</th><th>kind</th><th>action</th><th>outcome</th>"
        + "<th>failing rows</th><th>metric</th><th>message</th><th>history (last ").append(HISTORY).append(")</th></tr>");
    for (Map.Entry<String, List<Row>> e : byRule.entrySet()) {
      List<Row> rs = e.getValue();
      Row last = rs.get(rs.size() - 1);
      boolean ok = rs.stream().allMatch(r -> r.<Boolean>getAs("passed"));
      long failing = rs.stream().mapToLong(r -> r.isNullAt(r.fieldIndex("failing_rows")) ? 0 : r.<Long>getAs("failing_rows")).sum();
      boolean perRow = rs.stream().anyMatch(r -> !r.isNullAt(r.fieldIndex("failing_rows")));
      String message = rs.stream().map(r -> r.<String>getAs("message")).filter(m -> m != null).reduce((a, b) -> b).orElse("");
      h.append("<tr class=\"").append(ok ? "passed" : "failed").append("\"><td>").append(esc(last.getAs("table_name")))
          .append("</td><td>").append(esc(last.getAs("rule"))).append("</td><td>").append(esc(last.getAs("kind")))
          .append("</td><td>").append(esc(last.getAs("action"))).append("</td><td class=\"").append(ok ? "pass" : "fail")
          .append("\">").append(ok ? "passed" : "failed").append("</td><td class=\"num\">").append(perRow ? failing : "")
          .append("</td><td class=\"num\">").append(last.isNullAt(last.fieldIndex("metric_value")) ? ""
              : number(last.<Double>getAs("metric_value"))).append("</td><td>").append(esc(message)).append("</td><td>")
          .append(chart(past.getOrDefault(e.getKey(), List.of()))).append("</td></tr>");
    }
    h.append("</table></body></html>\n");
    return h.toString();
  }

  /** A small line chart of the metric's last values; failed checks are red dots. */
  static String chart(List<Row> rows) {
    List<Row> points = rows.stream().filter(r -> !r.isNullAt(r.fieldIndex("metric_value"))).toList();
    if (points.size() > HISTORY) {
      points = points.subList(points.size() - HISTORY, points.size());
    }
    if (points.isEmpty()) {
      return "";
    }
    int w = 240;
    int hgt = 48;
    double min = points.stream().mapToDouble(r -> r.<Double>getAs("metric_value")).min().orElse(0);
    double max = points.stream().mapToDouble(r -> r.<Double>getAs("metric_value")).max().orElse(1);
    double span = max - min == 0 ? 1 : max - min;
    StringBuilder line = new StringBuilder();
    StringBuilder dots = new StringBuilder();
    for (int i = 0; i < points.size(); i++) {
      Row r = points.get(i);
      double x = 44 + (points.size() == 1 ? (w - 50) / 2.0 : i * (w - 50.0) / (points.size() - 1)); // labels left of 40
      double y = hgt - 6 - (r.<Double>getAs("metric_value") - min) / span * (hgt - 12);
      line.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.1f,%.1f", x, y));
      boolean ok = r.<Boolean>getAs("passed");
      dots.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s</title></circle>",
          x, y, ok ? "#176b2c" : "#b3261e", esc("batch " + r.getAs("batch_id") + " of run " + r.getAs("run_id") + ": "
              + number(r.getAs("metric_value")))));
    }
    return "<svg class=\"metric\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + w + "\" height=\"" + hgt
        + "\" role=\"img\" aria-label=\"metric history from " + number(min) + " to " + number(max) + "\">"
        + "<polyline fill=\"none\" stroke=\"#5b7db1\" stroke-width=\"1.5\" points=\"" + line + "\"/>" + dots
        + "<text x=\"2\" y=\"10\" font-size=\"9\" fill=\"#666\">" + number(max) + "</text>"
        + "<text x=\"2\" y=\"" + (hgt - 1) + "\" font-size=\"9\" fill=\"#666\">" + number(min) + "</text></svg>";
  }

  private static String number(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.4g", v);
  }

  private static String esc(Object o) {
    return String.valueOf(o).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
