package dev.lakehouse.jobs;

import static dev.lakehouse.jobs.EventsPipelineTest.captureOut;
import static dev.lakehouse.jobs.EventsPipelineTest.land;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.cli.LakehouseMain;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/**
 * What people look at: progress lines while {@code run} works and its summary table, and the HTML
 * catalog with its lineage picture, rendered by a real headless browser (Debian's chromium).
 */
class DocsAndProgressTest {
  @Test
  void runShowsProgressAndSummaryAndDocsRenderInABrowser() throws Exception {
    Path root = SharedSpark.newDir("docs");
    land(root, "1.csv", "1,book,10.00,2024-01-01 10:00:00", "2,pen,1.50,2024-01-01 10:00:00", "3,ink,4.00,2024-01-01 10:00:00");
    String[] common = {"--conf", EventsPipelineTest.CONF.toString(), "--set", "lakehouse.root=" + root,
        "--set", "pipeline.tables.silver.events.columns.kind.classification=pii",
        "--set", "pipeline.tables.silver.events.columns.kind.description=What was bought"};

    String run = captureOut(() -> LakehouseMain.execute(EventsPipelineTest.concat(
        new String[] {"run", "--tables", "bronze.events,silver.events+"}, common)));
    assertThat(run).contains("[started]   bronze.events\n")
        .contains("[progress]  bronze.events: micro-batch 1 done, 3 rows so far (3 in this batch")
        .contains("[progress]  silver.events: micro-batch 1 done, 3 rows so far")
        .containsPattern("\\[succeeded\\] gold.totals: batch, 1 batch\\(es\\)")
        .containsPattern("(?m)^table +status +batches +rows in +rows out +quarantined +version +time$")
        .containsPattern("(?m)^silver.events +succeeded +1 +3 +3 +0 +new 0 ");

    Path out = root.resolve("docs");
    String said = captureOut(() -> LakehouseMain.execute(EventsPipelineTest.concat(new String[] {"docs", "--out", out.toString()}, common)));
    assertThat(said).contains("index.html");
    String html = Files.readString(out.resolve("index.html"));
    String svg = Files.readString(out.resolve("lineage.svg"));
    // every table is in the picture, with an edge for every read
    for (String t : new String[] {"bronze.events", "silver.events", "silver.broken", "gold.totals", "gold.broken_totals"}) {
      assertThat(svg).contains("<title>" + t + "</title>");
      assertThat(html).contains("<h2>" + t + "<span class=\"badge");
    }
    assertThat(svg).contains("<title>silver.events&#45;&gt;gold.totals</title>").contains("<title>bronze.events&#45;&gt;silver.broken</title>");
    assertThat(html)
        .contains("<td><code>amount</code></td><td><code>decimal(10,2)</code></td>")
        .contains("<td><code>kind</code></td><td><code>string</code></td><td>yes</td><td><span class=\"badge pii\">pii</span></td><td>What was bought</td>")
        .containsPattern("latest run</th><td><span class=\"badge succeeded\">succeeded</span> [^<]* · 3 rows read · 3 written · version 0")
        .contains("reads</th><td><a href=\"#silver-events\">silver.events</a>")
        .contains("<li><code>amount_not_negative</code>: range <span class=\"muted\">(column=amount, min=0.0)</span> &rarr; <span class=\"badge fmt\">warn</span></li>")
        .contains("csv files in <code>" + root.resolve("landing/events") + "</code>");
    // silver.broken never ran: no version, the declared-columns note is absent (no declared schema), "never run"
    String broken = html.substring(html.indexOf("id=\"silver-broken\""), html.indexOf("id=\"gold-broken_totals\""));
    assertThat(broken).contains("never run").contains("not written yet").contains("known after the first run");

    // A real browser lays the page out: the DOM has the inline SVG, and the screenshot is a picture.
    Path png = out.resolve("catalog.png");
    String dom = chromium(out, "--dump-dom", out.resolve("index.html").toUri().toString());
    assertThat(dom).contains("<svg").contains("silver.events");
    chromium(out, "--screenshot=" + png, "--window-size=1280,1400", out.resolve("index.html").toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1280);
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 4) {
      for (int x = 0; x < image.getWidth(); x += 4) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertThat(colours.size()).as("distinct colours in the screenshot").isGreaterThan(50);
  }

  /** Runs headless chromium (installed by .ci/run) and returns its standard output. */
  private static String chromium(Path dir, String... args) throws Exception {
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("chromium", "--headless", "--no-sandbox",
        "--disable-gpu", "--hide-scrollbars", "--user-data-dir=" + dir.resolve("chromium-profile")));
    cmd.addAll(java.util.List.of(args));
    Path log = dir.resolve("chromium.log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    String stdout = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    assertThat(p.exitValue()).as("chromium exit code; its log:\n%s", Files.readString(log)).isZero();
    return stdout;
  }
}
