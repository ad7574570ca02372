package dev.lakehouse.silver;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Full snapshots ({@code cdc { format = snapshot }}) turned into SCD type 1 and 2 tables, checked
 * against the snapshots themselves: after each run the type 1 table equals the newest snapshot
 * landed, and the type 2 table, read as of each snapshot landed, equals that snapshot, with one
 * version per change and no more. Snapshots land alone, two at once, late (after the one that
 * follows them) and twice.
 */
class SnapshotCdcTest {
  private static final String SCHEMA = "id BIGINT, name STRING, tier STRING, snap DATE, _ingested_at TIMESTAMP";
  private static final String SNAPSHOTS = "keys = [id], sequence-by = snap, cdc { format = snapshot }";
  private static final LocalDate FIRST = LocalDate.of(2026, 11, 1);

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void eachRunLeavesTheNewestSnapshotAndTheHistoryOfEveryOneLanded(String format) {
    SilverScenario current = SilverScenario.of(format, SCHEMA, Map.of(
        "current", SNAPSHOTS, "history", SNAPSHOTS + "\nwrite = scd2"));
    SilverScenario history = current.table("history");
    List<Map<Long, List<String>>> snapshots = randomSnapshots(new Random(20261206), 7, 30);
    TreeMap<Integer, Map<Long, List<String>>> landed = new TreeMap<>();
    // The 4th lands after the 5th; the 6th twice, in two drops.
    int[][] drops = {{0}, {1, 2}, {4}, {3}, {5}, {5, 6}};
    for (int d = 0; d < drops.length; d++) {
      List<Object[]> rows = new ArrayList<>();
      for (int s : drops[d]) {
        landed.put(s, snapshots.get(s));
        snapshots.get(s).forEach((id, v) -> rows.add(new Object[] {id, v.get(0), v.get(1), Date.valueOf(FIRST.plusDays(s)),
            new Timestamp(System.currentTimeMillis())}));
      }
      current.land(rows);
      assertThat(current.run().error()).as("drop %d", d).isEmpty();
      assertThat(history.run().error()).as("drop %d", d).isEmpty();

      assertThat(states(current.rows().collectAsList(), null))
          .as("drop %d: the type 1 table is the newest snapshot landed", d)
          .isEqualTo(landed.lastEntry().getValue());
      List<Row> versions = history.rows().collectAsList();
      for (var s : landed.entrySet()) {
        assertThat(states(versions, Date.valueOf(FIRST.plusDays(s.getKey()))))
            .as("drop %d: the history as of snapshot %d", d, s.getKey())
            .isEqualTo(s.getValue());
      }
      assertThat(versions).as("drop %d: one version per change, none for an unchanged row", d)
          .hasSize(changes(landed.values()));
    }

    var before = current.job().target().currentVersion(SharedSpark.session()).orElseThrow();
    var historyBefore = history.job().target().currentVersion(SharedSpark.session()).orElseThrow();
    var row = snapshots.get(6).entrySet().iterator().next();
    current.land(List.<Object[]>of(new Object[] {row.getKey(), row.getValue().get(0), row.getValue().get(1),
        Date.valueOf(FIRST.plusDays(6)), new Timestamp(0)}));
    assertThat(current.run().error()).isEmpty();
    assertThat(history.run().error()).isEmpty();
    assertThat(current.job().target().currentVersion(SharedSpark.session())).as("a row of the newest snapshot landed again writes nothing").contains(before);
    assertThat(history.job().target().currentVersion(SharedSpark.session())).contains(historyBefore);
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aSnapshotThatLacksMostKeysIsRefusedUntilItIsIgnored(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, Map.of("current", SNAPSHOTS));
    List<Object[]> whole = new ArrayList<>();
    for (long id = 1; id <= 10; id++) {
      whole.add(new Object[] {id, "n" + id, "gold", Date.valueOf(FIRST), new Timestamp(0)});
    }
    s.land(whole);
    assertThat(s.run().error()).isEmpty();
    var version = s.job().target().currentVersion(SharedSpark.session()).orElseThrow();

    // A truncated extract: three of ten customers.
    s.land(List.of(whole.get(0), whole.get(1), whole.get(2)).stream()
        .map(r -> new Object[] {r[0], r[1], r[2], Date.valueOf(FIRST.plusDays(1)), new Timestamp(1)}).toList());
    TableRunResult refused = s.run();
    assertThat(refused.error()).get().asString()
        .contains("Cannot apply snapshot snap=2026-11-02 of silver.current: it lacks 7 of the 10 keys snapshot 2026-11-01 held (70 %)")
        .contains("cdc.max-deleted-fraction = 0.5").contains("nothing was written").contains("cdc.ignore-snapshots");
    assertThat(s.job().target().currentVersion(SharedSpark.session())).as("nothing written").contains(version);
    assertThat(s.rows().count()).isEqualTo(10);

    SilverScenario skipping = s.respecified(format, Map.of("current", SNAPSHOTS.replace("format = snapshot",
        "format = snapshot, ignore-snapshots = [\"2026-11-02\"]")));
    assertThat(skipping.run().error()).isEmpty();
    assertThat(skipping.rows().count()).as("the ignored snapshot deleted nothing").isEqualTo(10);

    // The next whole snapshot is compared with the one before the ignored one: one key gone, one renamed.
    List<Object[]> next = new ArrayList<>();
    for (Object[] r : whole.subList(1, 10)) {
      next.add(new Object[] {r[0], r[0].equals(2L) ? "renamed" : r[1], r[2], Date.valueOf(FIRST.plusDays(2)), new Timestamp(2)});
    }
    skipping.land(next);
    assertThat(skipping.run().error()).isEmpty();
    assertThat(SilverScenario.lines(skipping.rows().orderBy("id").limit(2), "id", "name", "CAST(snap AS STRING)"))
        .containsExactly("2|renamed|2026-11-03", "3|n3|2026-11-01");
    assertThat(skipping.rows().count()).isEqualTo(9);
  }

  /** A snapshot landed twice holds its keys once: the limit counts keys, not rows (twice the rows halved it). */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aSnapshotLandedTwiceStillLimitsTheKeysTheNextOneDeletes(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, Map.of("current", SNAPSHOTS));
    for (int copy = 0; copy < 2; copy++) {
      List<Object[]> whole = new ArrayList<>();
      for (long id = 1; id <= 10; id++) {
        whole.add(new Object[] {id, "n" + id, "gold", Date.valueOf(FIRST), new Timestamp(copy)});
      }
      s.land(whole);
    }
    assertThat(s.run().error()).isEmpty();
    assertThat(s.rows().count()).isEqualTo(10);

    s.land(List.of(1L, 2L, 3L).stream()
        .map(id -> new Object[] {id, "n" + id, "gold", Date.valueOf(FIRST.plusDays(1)), new Timestamp(2)}).toList());
    assertThat(s.run().error()).get().asString()
        .contains("it lacks 7 of the 10 keys snapshot 2026-11-01 held (70 %)");
    assertThat(s.rows().count()).as("nothing written").isEqualTo(10);
  }

  /**
   * Snapshots of {@code keys} customers, each from the one before: a customer present may leave
   * (12 %), change name (20 %) or tier (10 %); one absent may (re)appear (35 %). The 5th is made from
   * the 3rd, not the 4th: the changes of the 4th (the one that lands late) are gone again in the
   * 5th, so the late snapshot holds states that neither neighbour holds.
   */
  private static List<Map<Long, List<String>>> randomSnapshots(Random random, int count, int keys) {
    List<Map<Long, List<String>>> out = new ArrayList<>();
    Map<Long, List<String>> state = new TreeMap<>();
    for (int s = 0; s < count; s++) {
      Map<Long, List<String>> next = new TreeMap<>();
      for (long id = 1; id <= keys; id++) {
        List<String> v = state.get(id);
        if (v == null) {
          if (s == 0 || random.nextDouble() < 0.35) {
            next.put(id, List.of("name" + id + "-" + s, random.nextBoolean() ? "gold" : "silver"));
          }
        } else if (random.nextDouble() >= 0.12) {
          String name = random.nextDouble() < 0.2 ? "name" + id + "-" + s : v.get(0);
          String tier = random.nextDouble() < 0.1 ? (v.get(1).equals("gold") ? "silver" : "gold") : v.get(1);
          next.put(id, List.of(name, tier));
        }
      }
      out.add(next);
      state = s == 3 ? state : next;
    }
    return out;
  }

  /** The rows of a type 1 table ({@code asOf} null) or the versions of a type 2 table valid at {@code asOf}. */
  private static Map<Long, List<String>> states(List<Row> rows, Date asOf) {
    Map<Long, List<String>> out = new TreeMap<>();
    for (Row r : rows) {
      if (asOf != null) {
        Date from = r.getAs("valid_from");
        Date to = r.getAs("valid_to");
        if (from.after(asOf) || (to != null && !to.after(asOf))) {
          continue;
        }
      }
      List<String> previous = out.put(r.getAs("id"), List.of(r.<String>getAs("name"), r.<String>getAs("tier")));
      assertThat(previous).as("one row of key %s", (Object) r.getAs("id")).isNull();
    }
    return out;
  }

  /** The versions a history of these snapshots (in order) holds: a key's first state and each that differs from the one before. */
  private static int changes(Iterable<Map<Long, List<String>>> snapshots) {
    int versions = 0;
    Map<Long, List<String>> before = Map.of();
    for (Map<Long, List<String>> s : snapshots) {
      for (var e : s.entrySet()) {
        if (!Objects.equals(before.get(e.getKey()), e.getValue())) {
          versions++;
        }
      }
      before = s;
    }
    return versions;
  }
}
