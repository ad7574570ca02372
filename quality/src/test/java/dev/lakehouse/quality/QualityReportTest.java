package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.run.BatchContext;
import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The per-run HTML report: results of the run, a metric chart per rule, laid out by a real headless chromium. */
class QualityReportTest {
  /** maintain --all's retention of reports: by age, only reports, a dry run deletes nothing. */
  @Test
  void reportsOlderThanTheRetentionAreDeletedAndNothingElse() throws Exception {
    org.apache.spark.sql.SparkSession spark = dev.lakehouse.core.testing.SharedSpark.session();
    Path root = dev.lakehouse.core.testing.SharedSpark.newDir("report-retention");
    dev.lakehouse.core.spec.LakehouseSettings settings = dev.lakehouse.core.testing.SharedSpark.settings(root.toString());
    Duration quarter = Duration.ofDays(90);
    assertThat(QualityReport.deleteOlderThan(spark, settings, quarter, false)).as("no folder yet").isZero();

    Path dir = Files.createDirectories(Path.of(settings.reportsLocation()));
    long now = System.currentTimeMillis();
    Path old = aged(dir.resolve("quality-20260101-000000-aaaa.html"), now - Duration.ofDays(100).toMillis());
    Path recent = aged(dir.resolve("quality-20261101-000000-bbbb.html"), now - Duration.ofDays(30).toMillis());
    Path notAReport = aged(dir.resolve("notes.txt"), now - Duration.ofDays(400).toMillis());

    assertThat(QualityReport.deleteOlderThan(spark, settings, quarter, true)).isEqualTo(1);
    assertThat(old).exists();
    assertThat(QualityReport.deleteOlderThan(spark, settings, quarter, false)).isEqualTo(1);
    assertThat(old).doesNotExist();
    assertThat(recent).exists();
    assertThat(notAReport).exists();
    assertThat(QualityReport.deleteOlderThan(spark, settings, Duration.ZERO, false)).isEqualTo(1);
    assertThat(recent).doesNotExist();
    assertThat(notAReport).exists();
  }

  private static Path aged(Path file, long modifiedAt) throws Exception {
    Files.writeString(file, "<html></html>");
    Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(modifiedAt));
    return file;
  }

  @Test
  void reportShowsEachRuleWithItsOutcomeAndMetricHistory() throws Exception {
    QualityFixture f = new QualityFixture("report", ExpectationActionsTest.tables("delta", """
            { name = price_not_negative, column = price, range { at-least = 0 }, action = drop }
            { name = enough_rows, row-count { at-least = 2 }, action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    for (int run = 0; run < 3; run++) {
      List<Object[]> values = new ArrayList<>();
      for (int i = 0; i <= run + 1; i++) {
        values.add(new Object[] {(long) i, "O", run == 2 && i == 0 ? -1.0 : 1.0, "A"});
      }
      rules.check(ExpectationActionsTest.rows(f, values.toArray(Object[][]::new)),
          new BatchContext("run-" + run, run, new BatchMark("t", run)));
    }

    String file = QualityReport.write(f.spark, f.spec.settings(), "run-2").orElseThrow();
    assertThat(QualityReport.find(f.spark, f.spec.settings(), "run-2")).contains(file);
    assertThat(QualityReport.write(f.spark, f.spec.settings(), "no-such-run")).isEmpty();

    Path html = Path.of(file);
    Path dir = html.getParent();
    String dom = chromium(dir, "--dump-dom", html.toUri().toString());
    assertThat(dom).contains("<span class=\"fail\" id=\"summary\">1 broken</span>")
        .contains("<td>price_not_negative</td><td>range</td><td>drop</td><td class=\"fail\">failed</td><td class=\"num\">1</td>")
        .contains("<td>enough_rows</td><td>row-count</td><td>warn</td><td class=\"pass\">passed</td><td class=\"num\"></td><td class=\"num\">4</td>");
    // enough_rows measured 2, 3, 4 rows in three runs: three points on its chart
    String row = dom.substring(dom.indexOf("<td>enough_rows</td>"));
    assertThat(row.substring(0, row.indexOf("</svg>")).split("<circle", -1)).hasSize(4);

    // Laid out and painted, the charts show each measured check as a dot in its outcome's colour:
    // price_not_negative passed twice and failed once, enough_rows passed three times.
    Path png = dir.resolve("report.png");
    chromium(dir, "--screenshot=" + png, "--window-size=1280,500", html.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    Rectangle charts = drawnIn(image, CHART_LINE);
    assertThat(charts).as("the area of the charts' lines").isNotNull();
    assertThat(dots(image, charts, FAILED)).as("red dots").isEqualTo(1);
    assertThat(dots(image, charts, PASSED)).as("green dots").isEqualTo(5);
  }

  /** The report's colours: a chart's line, a passed and a failed check's dot. */
  private static final Color CHART_LINE = new Color(0x5b7db1);
  private static final Color PASSED = new Color(0x176b2c);
  private static final Color FAILED = new Color(0xb3261e);

  /** The bounds of the pixels of about {@code color}, a dot's radius around; null when there are none. */
  private static Rectangle drawnIn(BufferedImage image, Color color) {
    Rectangle bounds = null;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        if (near(image.getRGB(x, y), color)) {
          bounds = bounds == null ? new Rectangle(x, y, 1, 1) : bounds.union(new Rectangle(x, y, 1, 1));
        }
      }
    }
    if (bounds != null) {
      bounds.grow(4, 4);
    }
    return bounds;
  }

  /** The blots of about {@code color} within {@code area} (pixels touching, edges and corners): the dots drawn there. */
  private static int dots(BufferedImage image, Rectangle area, Color color) {
    Rectangle within = area.intersection(new Rectangle(image.getWidth(), image.getHeight()));
    boolean[][] seen = new boolean[image.getWidth()][image.getHeight()];
    int blots = 0;
    for (int y = within.y; y < within.getMaxY(); y++) {
      for (int x = within.x; x < within.getMaxX(); x++) {
        if (!seen[x][y] && near(image.getRGB(x, y), color)) {
          blots++;
          fill(image, within, color, seen, x, y);
        }
      }
    }
    return blots;
  }

  private static void fill(BufferedImage image, Rectangle within, Color color, boolean[][] seen, int x0, int y0) {
    java.util.ArrayDeque<int[]> todo = new java.util.ArrayDeque<>(List.of(new int[] {x0, y0}));
    seen[x0][y0] = true;
    while (!todo.isEmpty()) {
      int[] p = todo.pop();
      for (int dx = -1; dx <= 1; dx++) {
        for (int dy = -1; dy <= 1; dy++) {
          int x = p[0] + dx;
          int y = p[1] + dy;
          if (within.contains(x, y) && !seen[x][y] && near(image.getRGB(x, y), color)) {
            seen[x][y] = true;
            todo.push(new int[] {x, y});
          }
        }
      }
    }
  }

  /** Whether {@code rgb} is {@code color} but for the anti-aliasing of its edges. */
  private static boolean near(int rgb, Color color) {
    Color c = new Color(rgb);
    return Math.abs(c.getRed() - color.getRed()) + Math.abs(c.getGreen() - color.getGreen())
        + Math.abs(c.getBlue() - color.getBlue()) <= 60;
  }

  /** Runs headless chromium (installed by .ci/run) and returns its standard output. */
  private static String chromium(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
        "--hide-scrollbars", "--user-data-dir=" + dir.resolve("chromium-profile")));
    cmd.addAll(List.of(args));
    Path log = dir.resolve("chromium.log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    String stdout = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("chromium finished").isTrue();
    assertThat(p.exitValue()).as("chromium exit code; its log:\n%s", Files.readString(log)).isZero();
    return stdout;
  }
}
