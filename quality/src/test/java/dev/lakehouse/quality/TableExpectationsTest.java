package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.RefreshJob;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.TableName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every row accounted for by a row rule, and the Deequ metrics history of anomaly checks. */
class TableExpectationsTest {
  private static BatchContext batch(String runId, long id, LongAdder quarantined) {
    return new BatchContext(runId, id, new BatchMark("test", id), quarantined);
  }

  private static Dataset<Row> sized(QualityFixture f, int n) {
    return priced(f, 0, n, 1.0);
  }

  /**
   * A range on a text column: NULL passes, a number within the bounds passes, and text that is not
   * a number fails (its comparison is NULL): it is quarantined or dropped, never lost from both the
   * table and the quarantine.
   */
  @ParameterizedTest
  @ValueSource(strings = {"quarantine", "drop"})
  void aRangeFailsAValueThatIsNotANumberAndEveryRowEndsSomewhere(String action) {
    QualityFixture f = new QualityFixture("range-text-" + action, ExpectationActionsTest.tables("delta", """
            { name = name_is_small_number, column = name, range { at-least = 0, at-most = 10 }, action = %s }
        """.formatted(action)));
    LongAdder quarantined = new LongAdder();
    Dataset<Row> in = ExpectationActionsTest.rows(f, new Object[] {1L, "O", 1.0, "5"},
        new Object[] {2L, "O", 1.0, "abc"}, new Object[] {3L, "O", 1.0, null}, new Object[] {4L, "O", 1.0, "11"});

    Dataset<Row> kept = f.expectations("silver.checked").check(in, batch("run-range-" + action, 0, quarantined));

    assertThat(ExpectationActionsTest.ids(kept)).containsExactly(1L, 3L);
    Row outcome = f.results("run-range-" + action).first();
    assertThat(outcome.<Long>getAs("failing_rows")).isEqualTo(2L);
    assertThat(outcome.<Boolean>getAs("passed")).isFalse();
    long inQuarantine = action.equals("quarantine")
        ? new ExpectationQuarantine(f.spec.table(TableName.parse("silver.checked"))).table().read(f.spark).count() : 0;
    assertThat(quarantined.sum()).isEqualTo(inQuarantine);
    assertThat(inQuarantine).isEqualTo(action.equals("quarantine") ? 2 : 0);
    // kept + quarantined + dropped = input
    long dropped = action.equals("drop") ? outcome.<Long>getAs("failing_rows") : 0;
    assertThat(kept.count() + inQuarantine + dropped).isEqualTo(in.count());
  }

  /** A rule's flag is never NULL: a {@code rule} expression that is NULL fails, its row is set aside. */
  @Test
  void aRuleThatIsNullSetsItsRowAside() {
    QualityFixture f = new QualityFixture("rule-null", ExpectationActionsTest.tables("delta", """
            { name = price_positive, rule = "price > 0", action = drop }
        """));
    Dataset<Row> in = ExpectationActionsTest.rows(f, new Object[] {1L, "O", 1.0, "A"}, new Object[] {2L, "O", null, "B"});

    assertThat(ExpectationActionsTest.ids(f.expectations("silver.checked").check(in, batch("run-null", 0, new LongAdder()))))
        .containsExactly(1L);
  }

  /**
   * A batch that an anomaly check with {@code action = fail} stopped was not written: its metrics do
   * not join the history, so the same batch run again is compared with the batches before it, and
   * fails again.
   */
  @Test
  void aFailedAnomalyCheckFailsAgainWhenTheSameBatchIsRerun() {
    QualityFixture f = new QualityFixture("anomaly-rerun", ExpectationActionsTest.tables("delta", """
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 2.0 }, action = fail }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    rules.check(sized(f, 10), batch("run-rerun", 0, new LongAdder()));
    rules.check(sized(f, 10), batch("run-rerun", 1, new LongAdder()));

    for (int attempt = 0; attempt < 2; attempt++) {
      assertThatThrownBy(() -> rules.check(sized(f, 100), batch("run-rerun", 2, new LongAdder())))
          .as("attempt %d", attempt).isInstanceOf(TableRunException.class)
          .hasMessageContaining("Expectation 'steady_volume' failed on silver.checked");
    }
    assertThat(Deequ.historyDates(f.spark, TableExpectations.metricsLocation(f.spec.settings(),
        TableName.parse("silver.checked")))).hasSize(2);
    assertThat(f.results("run-rerun").where("batch_id = 2").select("passed").as(Encoders.BOOLEAN()).collectAsList())
        .containsExactly(false, false);
  }

  /**
   * A batch that passed its checks and whose write Delta then refused (a CHECK constraint of the
   * table) saved its metrics already; its stream replays it, and the replay replaces that entry
   * instead of adding a second, and is judged against the batches before it, as the first attempt
   * was, not against that attempt.
   */
  @Test
  void aBatchReplayedAfterItsWriteFailedIsCountedOnceInTheHistory() {
    QualityFixture f = new QualityFixture("anomaly-write-failed", ExpectationActionsTest.tables("delta", """
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 5.0 }, action = fail }
            { name = steady_price, anomaly { metric = "mean(price)", min-ratio = 0.9, max-ratio = 1.1 }, action = warn }
        """));
    LakehouseTable source = f.table("bronze.src");
    source.append(priced(f, 0, 10, 1.0), Optional.empty());
    assertThat(runBatch(f, "run-first").error()).isEmpty();
    String target = "delta.`" + f.table("silver.checked").location() + "`";
    f.spark.sql("ALTER TABLE " + target + " ADD CONSTRAINT below_100 CHECK (id < 100)");
    source.append(priced(f, 100, 20, 2.0), Optional.empty());

    assertThat(runBatch(f, "run-refused").error().orElseThrow()).contains("below_100");
    f.spark.sql("ALTER TABLE " + target + " DROP CONSTRAINT below_100");
    assertThat(runBatch(f, "run-replay").error()).isEmpty();

    String location = TableExpectations.metricsLocation(f.spec.settings(), TableName.parse("silver.checked"));
    assertThat(Deequ.historyDates(f.spark, location)).hasSize(2);
    assertThat(MetricsHistory.load(f.spark, location)).extracting(h -> h.resultKey().tags().get(Deequ.BATCH_TAG).get())
        .doesNotHaveDuplicates();
    // Twice the volume is within its bounds; twice the price is not, on both attempts.
    for (String run : List.of("run-refused", "run-replay")) {
      assertThat(f.results(run).where("batch_id = 1").orderBy("rule")
          .selectExpr("concat(rule, ':', cast(passed as string))").as(Encoders.STRING()).collectAsList())
          .as(run).containsExactly("steady_price:false", "steady_volume:true");
    }
  }

  /**
   * A refresh (a gold table's, in batch mode) killed after its checks and before its write: the
   * table stays at the version it started from, the next refresh starts from it again, and its
   * entry replaces the killed one's.
   */
  @Test
  void aRefreshRunAgainAfterItWasKilledBeforeItsWriteIsCountedOnceInTheHistory() {
    QualityFixture f = new QualityFixture("anomaly-refresh-killed", ExpectationActionsTest.tables("delta", """
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 5.0 }, action = warn }
        """));
    f.table("bronze.src").append(priced(f, 0, 10, 1.0), Optional.empty());
    AtomicBoolean killed = new AtomicBoolean();
    RefreshJob job = f.refresh("bronze.src", "silver.checked", killed::get);
    assertThat(f.runner("refresh-first").runBatch(job, f.checkpoint("silver.checked"), false).error()).isEmpty();
    f.table("bronze.src").append(priced(f, 100, 20, 2.0), Optional.empty());

    killed.set(true);
    assertThat(f.runner("refresh-killed").runBatch(job, f.checkpoint("silver.checked"), false).error().orElseThrow())
        .contains("killed between its checks and its write");
    killed.set(false);
    assertThat(f.runner("refresh-again").runBatch(job, f.checkpoint("silver.checked"), false).error()).isEmpty();

    String location = TableExpectations.metricsLocation(f.spec.settings(), TableName.parse("silver.checked"));
    assertThat(MetricsHistory.load(f.spark, location)).extracting(h -> h.resultKey().tags().get(Deequ.BATCH_TAG).get())
        .hasSize(2).doesNotHaveDuplicates();
    assertThat(f.table("silver.checked").read(f.spark).count()).isEqualTo(30);
  }

  /** {@code n} rows from id {@code from} on, each of price {@code price}. */
  private static Dataset<Row> priced(QualityFixture f, long from, int n, double price) {
    Object[][] values = new Object[n][];
    for (int i = 0; i < n; i++) {
      values[i] = new Object[] {from + i, "O", price, "A"};
    }
    return ExpectationActionsTest.rows(f, values);
  }

  private static TableRunResult runBatch(QualityFixture f, String runId) {
    return f.runner(runId).runBatch(f.job("bronze.src", "silver.checked"), f.checkpoint("silver.checked"), false);
  }

  /** A history file cut short (a crash while it was written) names itself and how to start over. */
  @Test
  void aTruncatedMetricsHistoryNamesItsFile() throws IOException {
    History h = historyOfOneBatch("history-truncated", "run-cut");
    QualityFixture f = h.fixture();
    TableExpectations rules = h.rules();
    String location = h.location();
    Path file = h.file();
    String json = Files.readString(file);
    Files.writeString(file, json.substring(0, json.length() / 2));
    // What a crash leaves: the local file system's checksum, written along, would be cut short too.
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));

    assertThatThrownBy(() -> rules.check(sized(f, 10), batch("run-cut", 1, new LongAdder())))
        .hasMessageContaining(location).hasMessageContaining("delete it to restart the history");
  }

  /**
   * The history is replaced by a rename, the old file kept aside until the new one is in place: a
   * crash between the two renames leaves only the kept file, which the next batch reads.
   */
  @Test
  void aHistoryLeftAsideByACrashIsReadBack() throws IOException {
    History h = historyOfOneBatch("history-aside", "run-aside");
    QualityFixture f = h.fixture();
    TableExpectations rules = h.rules();
    String location = h.location();
    Path file = h.file();
    assertThat(file.resolveSibling(file.getFileName() + ".bak")).doesNotExist();
    Files.move(file, file.resolveSibling(file.getFileName() + ".bak"));

    rules.check(sized(f, 2), batch("run-aside", 1, new LongAdder()));

    List<String> verdicts = f.results("run-aside").where("batch_id = 1")
        .selectExpr("concat(cast(passed as string), ':', coalesce(message, ''))").as(Encoders.STRING()).collectAsList();
    assertThat(verdicts).singleElement().asString().startsWith("false:").doesNotContain("not evaluated");
    assertThat(Deequ.historyDates(f.spark, location)).hasSize(2);
    assertThat(file).exists();
    assertThat(file.resolveSibling(file.getFileName() + ".bak")).doesNotExist();
  }

  /** A table with a row-count anomaly rule (warn) whose history holds one batch of 10 rows, and where the history is. */
  private record History(QualityFixture fixture, TableExpectations rules, String location, Path file) {}

  private static History historyOfOneBatch(String name, String runId) {
    QualityFixture f = new QualityFixture(name, ExpectationActionsTest.tables("delta", """
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 2.0 }, action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    rules.check(sized(f, 10), batch(runId, 0, new LongAdder()));
    String location = TableExpectations.metricsLocation(f.spec.settings(), TableName.parse("silver.checked"));
    return new History(f, rules, location, Path.of(location.replaceFirst("^file:", "")));
  }
}
