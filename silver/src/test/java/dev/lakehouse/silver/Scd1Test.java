package dev.lakehouse.silver;

import static dev.lakehouse.silver.SilverScenario.lines;
import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.silver.guard.SilverQuarantine;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SCD type 1 with deletes, dedupe against the table and the key guard, the same on Delta and Hudi. */
class Scd1Test {
  private static final String SCHEMA = "id BIGINT, name STRING, city STRING, seq BIGINT, op STRING";
  private static final String SPEC = """
      keys = [id]
      sequence-by = seq
      delete-when = "op = 'D'"
      select = [id, name, city, seq]
      """;

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void newestWinsOlderEventsNeverOverwriteAndDeletesStayDeleted(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, SPEC);
    s.land(List.of(row(1, "ann", "paris", 1, "I"), row(2, "bob", "lyon", 1, "I"), row(1, "ann", "nice", 3, "U"),
        row(3, "cy", "rome", 1, "I"), row(1, "ann", "nice", 3, "U")));
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("1|nice|3", "2|lyon|1", "3|rome|1");

    s.land(List.of(row(1, "ann", "oslo", 2, "U"), row(2, "bob", null, 5, "D"), row(3, "cy", "milan", 4, "U")));
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("1|nice|3", "3|milan|4");

    // An update older than the delete arrives late: the key stays deleted.
    List<Object[]> third = List.of(row(2, "bob", "lyon", 4, "U"), row(4, "dee", "bern", 1, "I"));
    s.land(third);
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("1|nice|3", "3|milan|4", "4|bern|1");
    if (format.equals("delta")) {
      // Only a new key was left to write: an insert, not a merge.
      assertThat(SharedSpark.session().sql("DESCRIBE HISTORY delta.`" + s.job().target().location() + "` LIMIT 1")
          .head().<String>getAs("operation")).isEqualTo("WRITE");
    }

    s.land(third); // the same events again
    TableRunResult again = s.run();
    assertThat(again.error()).isEmpty();
    assertThat(again.rowsWritten()).isZero();
    assertThat(again.changedTable()).isFalse();
    assertThat(table(s)).containsExactly("1|nice|3", "3|milan|4", "4|bern|1");
  }

  @Test
  void manyEventsOfAKeyInOneBatchKeepTheNewestAndATieAmongThemIsStillCaught() {
    SilverScenario s = SilverScenario.of("delta", SCHEMA, SPEC);
    // Key 1 has three events, key 2 two in reverse order, key 3 one: no ties, so no row-by-row check.
    s.land(List.of(row(1, "ann", "paris", 1, "I"), row(1, "ann", "nice", 3, "U"), row(1, "ann", "lyon", 2, "U"),
        row(2, "bob", "oslo", 2, "U"), row(2, "bob", "rome", 1, "I"), row(3, "cy", "bern", 1, "I")));
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("1|nice|3", "2|oslo|2", "3|bern|1");

    // Four events of key 7, two of them different rows with the newest sequence value.
    s.land(List.of(row(7, "gus", "a", 1, "I"), row(7, "gus", "b", 2, "U"), row(7, "gus", "c", 3, "U"),
        row(7, "gus", "d", 3, "U")));
    assertThat(s.run().error().orElseThrow()).contains("4 row(s) of keys with two different rows with the same seq (e.g. id=7, seq=3)");
    assertThat(table(s)).containsExactly("1|nice|3", "2|oslo|2", "3|bern|1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void nullAndAmbiguousKeysFailTheBatchBeforeAnyWrite(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, SPEC);
    s.land(List.<Object[]>of(row(1, "ann", "paris", 1, "I")));
    assertThat(s.run().error()).isEmpty();
    s.land(List.of(row(null, "nobody", "x", 1, "I"), row(5, "eve", "rome", 2, "I"), row(5, "eve", "milan", 2, "U"),
        row(1, "ann", "lyon", 2, "U")));
    TableRunResult r = s.run();
    assertThat(r.error()).contains("Cannot merge into silver.t: 1 row(s) with a null key (id) and 2 row(s) of keys with"
        + " two different rows with the same seq (e.g. id=5, seq=2); nothing was written. Fix the rows upstream (or the"
        + " keys/sequence-by of the spec), or set key-violations = quarantine to keep such rows in silver.t_quarantine"
        + " and write the others");
    assertThat(table(s)).containsExactly("1|paris|1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void keyViolationsCanBeQuarantinedWithTheirReason(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, SPEC + "key-violations = quarantine\n");
    s.land(List.of(row(null, "nobody", "x", 1, "I"), row(5, "eve", "rome", 2, "I"), row(5, "eve", "milan", 2, "U"),
        row(5, "eve", "oslo", 1, "I"), row(1, "ann", "lyon", 2, "U")));
    TableRunResult r = s.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsQuarantined()).isEqualTo(4);
    assertThat(table(s)).containsExactly("1|lyon|2");
    List<Row> bad = s.job().quarantine().table().read(SharedSpark.session()).orderBy("city").collectAsList();
    assertThat(bad).extracting(b -> b.getAs("city") + ": " + b.getAs(SilverQuarantine.REASON)).containsExactly(
        "milan: ambiguous key: two different rows with the same seq; dedupe cannot tell which is newer",
        "oslo: ambiguous key: two different rows with the same seq; dedupe cannot tell which is newer",
        "rome: ambiguous key: two different rows with the same seq; dedupe cannot tell which is newer",
        "x: null key: id must not be null");
  }

  /**
   * A change without a sequence value cannot be placed among its key's changes: a key violation (it
   * was dropped against a stored row without a word), failing the batch or quarantined as the table says.
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aRowWithANullSequenceValueIsAKeyViolation(String format) {
    SilverScenario failing = SilverScenario.of(format, SCHEMA, java.util.Map.of("t", SPEC, "u", SPEC + "key-violations = quarantine\n"));
    SilverScenario quarantining = failing.table("u");
    failing.land(List.<Object[]>of(row(1, "ann", "paris", 1, "I")));
    assertThat(failing.run().error()).isEmpty();
    assertThat(quarantining.run().error()).isEmpty();
    failing.land(List.of(new Object[] {1L, "ann", "lyon", null, "U"}, row(2, "bob", "rome", 1, "I")));

    assertThat(failing.run().error()).get().asString()
        .contains("Cannot merge into silver.t: 1 row(s) with a null seq (pipeline.tables.silver.t.sequence-by")
        .contains("nothing was written").contains("key-violations = quarantine");
    assertThat(table(failing)).containsExactly("1|paris|1");

    TableRunResult r = quarantining.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsQuarantined()).isEqualTo(1);
    assertThat(table(quarantining)).containsExactly("1|paris|1", "2|rome|1");
    assertThat(quarantining.job().quarantine().table().read(SharedSpark.session()).collectAsList())
        .extracting(b -> b.getAs("city") + ": " + b.getAs(SilverQuarantine.REASON))
        .containsExactly("lyon: null sequence: seq (pipeline.tables.silver.u.sequence-by) must not be null");
  }

  @org.junit.jupiter.api.Test
  void anEventLandedTwiceWithOtherLineageIsOneEvent() {
    SilverScenario s = SilverScenario.of("delta", SCHEMA + ", _offset BIGINT", SPEC.replace("select = [id, name, city, seq]", ""));
    s.land(List.of(new Object[] {1L, "ann", "paris", 1L, "I", 100L}, new Object[] {1L, "ann", "paris", 1L, "I", 205L},
        new Object[] {2L, "bob", "lyon", 1L, "I", 101L}));
    TableRunResult r = s.run();
    assertThat(r.error()).isEmpty();
    assertThat(lines(s.rows().orderBy("id"), "id", "city", "_offset")).containsExactly("1|paris|205", "2|lyon|101");
  }

  /**
   * A batch with deletes commits the table and its tombstones: a run that failed after either commit
   * is replayed (its checkpoint never took the batch) to the same table and tombstones as a run that
   * did not fail. The failures are Delta's own, refusing a commit: an append-only table refuses the
   * MERGE that deletes, a CHECK constraint the tombstone.
   */
  @org.junit.jupiter.api.Test
  void aBatchReplayedAfterAFailureBetweenItsTwoCommitsStillDeletes() {
    SilverScenario s = SilverScenario.of("delta", SCHEMA, SPEC);
    String table = "delta.`" + s.job().target().location() + "`";
    String tombstones = "delta.`" + dev.lakehouse.core.spec.Companion.TOMBSTONES.locationOf(s.silver) + "`";
    s.land(List.of(row(1, "ann", "paris", 1, "I"), row(2, "bob", "lyon", 1, "I"), row(3, "cy", "rome", 1, "I"),
        row(9, "zed", null, 2, "D")));
    assertThat(s.run().error()).isEmpty();

    // The table refuses the batch's MERGE, whichever of the two commits comes first.
    s.land(List.of(row(1, "ann", null, 5, "D"), row(2, "bob", "nice", 5, "U")));
    SharedSpark.session().sql("ALTER TABLE " + table + " SET TBLPROPERTIES ('delta.appendOnly' = 'true')");
    assertThat(s.run().error()).isPresent();
    SharedSpark.session().sql("ALTER TABLE " + table + " SET TBLPROPERTIES ('delta.appendOnly' = 'false')");
    TableRunResult replay = s.run();
    assertThat(replay.error()).isEmpty();
    assertThat(table(s)).containsExactly("2|nice|5", "3|rome|1");
    assertThat(tombstones(tombstones)).containsExactly("1|5", "9|2");

    // The tombstones refuse theirs.
    s.land(List.<Object[]>of(row(3, "cy", null, 6, "D")));
    SharedSpark.session().sql("ALTER TABLE " + tombstones + " ADD CONSTRAINT no_three CHECK (id <> 3)");
    assertThat(s.run().error()).isPresent();
    SharedSpark.session().sql("ALTER TABLE " + tombstones + " DROP CONSTRAINT no_three");
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("2|nice|5");
    assertThat(tombstones(tombstones)).containsExactly("1|5", "3|6", "9|2");

    // An update older than either delete stays out.
    s.land(List.of(row(1, "ann", "oslo", 4, "U"), row(3, "cy", "bern", 5, "U")));
    assertThat(s.run().error()).isEmpty();
    assertThat(table(s)).containsExactly("2|nice|5");
  }

  /**
   * A key column's type changed in the spec (INT, now BIGINT). Delta's MERGE hashed the batch's keys
   * by their new type and missed the stored rows (a second row of key 1, key 2 not deleted): the
   * write is refused, naming the column, both types and the ways out, and keeping the old type works.
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aKeyColumnWhoseTypeChangedIsRefusedOnDelta(String format) {
    String spec = SPEC.replace("select = [id, name, city, seq]", "select = [\"CAST(id AS INT) AS id\", name, city, seq]");
    SilverScenario s = SilverScenario.of(format, SCHEMA, spec);
    s.land(List.of(row(1, "ann", "paris", 1, "I"), row(2, "bob", "lyon", 1, "I"), row(3, "cy", "rome", 1, "I")));
    assertThat(s.run().error()).isEmpty();

    s.land(List.of(row(1, "ann", "nice", 2, "U"), row(2, "bob", null, 2, "D")));
    SilverScenario widened = s.respecified(format, java.util.Map.of("t", spec.replace("AS INT", "AS BIGINT")));
    TableRunResult r = widened.run();
    if (format.equals("delta")) {
      assertThat(r.error().orElseThrow()).contains("Cannot write to silver.t: its key column id is INT in the Delta table at "
          + s.job().target().location() + " but BIGINT in the rows written, and a key column's type cannot change in"
          + " place. Keep the column INT in the spec (e.g. CAST(... AS INT) AS id in its select), or run the table with"
          + " --full-refresh to rebuild it from its sources with the new type");
      assertThat(table(s)).containsExactly("1|paris|1", "2|lyon|1", "3|rome|1");
      assertThat(s.run().error()).isEmpty(); // the old type again
    } else {
      // Hudi's record key is the key's text, the same for both types.
      assertThat(r.error()).isEmpty();
    }
    assertThat(table(s)).containsExactly("1|nice|2", "3|rome|1");
  }

  private static List<String> tombstones(String name) {
    return lines(SharedSpark.session().table(name).orderBy("id"), "id", "seq");
  }

  private static List<String> table(SilverScenario s) {
    return lines(s.rows().orderBy("id"), "id", "city", "seq");
  }

  static Object[] row(Integer id, String name, String city, long seq, String op) {
    return new Object[] {id == null ? null : (long) id, name, city, seq, op};
  }
}
