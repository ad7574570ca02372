package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.run.BatchContext;
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

    Path png = dir.resolve("report.png");
    chromium(dir, "--screenshot=" + png, "--window-size=1280,500", html.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image.getWidth()).isEqualTo(1280);
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
