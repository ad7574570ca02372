package dev.lakehouse.silver;

import static dev.lakehouse.silver.SilverScenario.lines;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SCD type 2: versions, untracked columns, late events repairing history, deletes, reruns; Delta and Hudi. */
class Scd2Test {
  /** A history by id, ordered by seq, deletes marked by op. */
  private static final String BY_SEQ = """
      keys = [id]
      sequence-by = seq
      delete-when = "op = 'D'"
      select = [id, name, city, score, seq]
      write = scd2
      """;

  private static final String SCHEMA = "id BIGINT, name STRING, city STRING, score INT, seq BIGINT, op STRING";
  private static final String COLUMNS = "id, city, score, seq, valid_from, valid_to, is_current";

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void lateEventsRepairHistoryDeletesCloseAndRerunsAreNoOps(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, """
        keys = [id]
        sequence-by = seq
        delete-when = "op = 'D'"
        select = [id, name, city, score, seq]
        write = scd2
        history { except = [score] }
        """);
    s.land(List.of(row(1, "paris", 10, 10, "I"), row(1, "paris", 11, 20, "U"), row(1, "lyon", 11, 30, "U"),
        row(2, "rome", 1, 10, "I")));
    assertThat(s.run().error()).isEmpty();
    // Only score changed at 20: no new version, the version shows the newest score.
    assertThat(history(s)).containsExactly(
        "1|paris|11|20|10|30|false",
        "1|lyon|11|30|30|null|true",
        "2|rome|1|10|10|null|true");

    s.land(List.<Object[]>of(row(1, "nice", 12, 25, "U")));
    assertThat(s.run().error()).isEmpty();
    assertThat(history(s)).containsExactly(
        "1|paris|11|20|10|25|false",
        "1|nice|12|25|25|30|false",
        "1|lyon|11|30|30|null|true",
        "2|rome|1|10|10|null|true");

    List<Object[]> third = List.of(row(1, null, null, 40, "D"), row(1, "rome", 13, 35, "U"), row(2, "rome", 1, 10, "I"));
    s.land(third);
    assertThat(s.run().error()).isEmpty();
    List<String> afterDelete = List.of(
        "1|paris|11|20|10|25|false",
        "1|nice|12|25|25|30|false",
        "1|lyon|11|30|30|35|false",
        "1|rome|13|35|35|40|false",
        "2|rome|1|10|10|null|true");
    assertThat(history(s)).containsExactlyElementsOf(afterDelete);

    s.land(third);
    TableRunResult rerun = s.run();
    assertThat(rerun.error()).isEmpty();
    assertThat(rerun.changedTable()).isFalse();
    assertThat(history(s)).containsExactlyElementsOf(afterDelete);

    s.land(List.<Object[]>of(row(1, "oslo", 14, 50, "I")));
    assertThat(s.run().error()).isEmpty();
    assertThat(history(s)).contains("1|rome|13|35|35|40|false", "1|oslo|14|50|50|null|true").hasSize(6);

    if (format.equals("hudi")) { // the record key holds the version start
      assertThat(SharedSpark.session().read().format("hudi").load(s.silver.location())
          .where("id = 1 AND valid_from = 35").select("_hoodie_record_key").first().getString(0))
          .isEqualTo("id:1,valid_from:35");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void deletesCanKeepAFlaggedVersionAndHistoryColumnsCanBeRenamed(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, """
        keys = [id]
        sequence-by = seq
        delete-when = "op = 'D'"
        select = [id, name, city, score, seq]
        write = scd2
        history { track = [city], valid-from = start_seq, valid-to = end_seq, is-current = latest, deletes = flag, is-deleted = gone }
        """);
    s.land(List.of(row(1, "paris", 1, 10, "I"), row(1, "paris", 2, 20, "U"), row(1, "paris", 2, 30, "D"),
        row(1, "paris", 3, 40, "I")));
    assertThat(s.run().error()).isEmpty();
    assertThat(lines(s.rows().orderBy("start_seq"), "city", "score", "start_seq", "end_seq", "latest", "gone")).containsExactly(
        "paris|2|10|30|false|false",
        "paris|2|30|40|false|true",
        "paris|3|40|null|true|false");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aTimestampSequenceKeepsOneRowPerVersion(String format) {
    SilverScenario s = SilverScenario.of(format, "id BIGINT, city STRING, at STRING", """
        keys = [id]
        sequence-by = at
        cast { at = timestamp }
        write = scd2
        """);
    s.land(List.<Object[]>of(new Object[] {1L, "paris", "2025-01-01 08:00:00"}));
    assertThat(s.run().error()).isEmpty();
    s.land(List.<Object[]>of(new Object[] {1L, "lyon", "2025-01-02 08:00:00"}));
    assertThat(s.run().error()).isEmpty();
    assertThat(lines(s.rows().orderBy("valid_from"), "city", "CAST(valid_from AS STRING)", "is_current")).containsExactly(
        "paris|2025-01-01 08:00:00|false", "lyon|2025-01-02 08:00:00|true");
  }

  /**
   * Sequenced by a lineage column, the same row landed twice is two events (the sequence column is
   * never left out when copies of one event are told apart): the same state again is not a change,
   * so the version starts at the first of them.
   */
  @org.junit.jupiter.api.Test
  void theSameRowAgainLaterInALineageSequenceIsNotANewVersion() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, city STRING, _ingested_at TIMESTAMP", """
        keys = [id]
        sequence-by = _ingested_at
        write = scd2
        """);
    s.land(List.of(new Object[] {1L, "paris", at(3)}, new Object[] {1L, "paris", at(7)}, new Object[] {2L, "lyon", at(4)},
        new Object[] {2L, "rome", at(5)}));
    assertThat(s.run().error()).isEmpty();
    assertThat(lines(s.rows().orderBy("id", "valid_from"), "id", "city", "second(valid_from)", "is_current"))
        .containsExactly("1|paris|3|true", "2|lyon|4|false", "2|rome|5|true");
  }

  private static java.sql.Timestamp at(int second) {
    return java.sql.Timestamp.valueOf("2026-01-01 00:00:0" + second);
  }

  /**
   * A change without a sequence value fails the batch (it wrote a version with every column null,
   * which made the next batch's merge fail), or is quarantined as the table says; the history stays whole.
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aRowWithANullSequenceValueIsAKeyViolation(String format) {
    String spec = BY_SEQ;
    SilverScenario failing = SilverScenario.of(format, SCHEMA, java.util.Map.of("t", spec, "u", spec + "key-violations = quarantine\n"));
    SilverScenario quarantining = failing.table("u");
    failing.land(List.<Object[]>of(row(1, "paris", 1, 10, "I")));
    assertThat(failing.run().error()).isEmpty();
    assertThat(quarantining.run().error()).isEmpty();
    failing.land(List.<Object[]>of(new Object[] {1L, "n1", "lyon", 2, null, "U"}));

    assertThat(failing.run().error()).get().asString()
        .contains("Cannot merge into silver.t: 1 row(s) with a null seq (pipeline.tables.silver.t.sequence-by")
        .contains("nothing was written");
    assertThat(history(failing)).containsExactly("1|paris|1|10|10|null|true");

    TableRunResult r = quarantining.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsQuarantined()).isEqualTo(1);
    failing.land(List.<Object[]>of(row(1, "rome", 3, 20, "U")));
    assertThat(quarantining.run().error()).isEmpty();
    assertThat(history(quarantining)).containsExactly("1|paris|1|10|10|20|false", "1|rome|3|20|20|null|true");
  }

  /** On Hudi the stream reads bronze through Hudi's stream source (see HudiFormat.readStream). */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void batchAndStreamModeGiveEqualHistories(String format) {
    String spec = BY_SEQ;
    SilverScenario batch = SilverScenario.of(format, SCHEMA, java.util.Map.of("batch", spec, "stream", spec));
    SilverScenario stream = batch.table("stream");
    batch.land(List.of(row(1, "paris", 1, 10, "I"), row(2, "rome", 1, 10, "I"), row(1, "lyon", 2, 30, "U")));
    assertThat(batch.run().error()).isEmpty();
    dev.lakehouse.core.run.TableRunner.RunningTable running = stream.startStream(); // needs the bronze table
    try {
      running.processAllAvailable();
      batch.land(List.of(row(1, "nice", 3, 20, "U"), row(2, null, null, 40, "D"), row(1, "lyon", 2, 30, "U")));
      assertThat(batch.run().error()).isEmpty();
      running.processAllAvailable();
    } finally {
      assertThat(running.stop().error()).isEmpty();
    }
    assertThat(history(stream)).hasSize(4).containsExactlyElementsOf(history(batch));
  }

  private static List<String> history(SilverScenario s) {
    return lines(s.rows().orderBy("id", "valid_from"), COLUMNS.split(", "));
  }

  static Object[] row(long id, String city, Integer score, long seq, String op) {
    return new Object[] {id, "n" + id, city, score, seq, op};
  }
}
