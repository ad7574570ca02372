package dev.lakehouse.silver;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Seeded random change streams (inserts, updates of tracked and untracked columns, deletes, late
 * and duplicate events) landed in several batches: the SCD1 and SCD2 tables the framework writes
 * must equal, after every batch, what a plain-Java replay of all events landed so far computes.
 */
class ChangeStreamOracleTest {
  private static final String SCHEMA = "id BIGINT, name STRING, city STRING, score INT, seq BIGINT, op STRING";
  private static final String COMMON = """
      keys = [id]
      sequence-by = seq
      delete-when = "op = 'D'"
      select = [id, name, city, score, seq]
      """;
  private static final String[] CITIES = {"paris", "lyon", "nice", "rome", "oslo"};

  /** One change event as landed; {@code op} I, U or D. */
  record Event(long id, String name, String city, Integer score, long seq, String op) {
    Object[] row() {
      return new Object[] {id, name, city, score, seq, op};
    }

    boolean deleted() {
      return op.equals("D");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void scd1AndScd2EqualAnIndependentReplayOfTheWholeStream(String format) {
    SilverScenario s = SilverScenario.of(format, SCHEMA, Map.of(
        "current", COMMON,
        "history", COMMON + "write = scd2\nhistory { except = [score] }\n"));
    SilverScenario history = s.table("history");
    List<List<Event>> batches = stream(new Random(20261124L), 12, 150, 3);
    // The stream must exercise what it claims (this seed: 165 events, 12 deletes, 15 landed twice,
    // 12 older than what an earlier batch already stored for their key).
    assertThat(lateAcrossBatches(batches)).isGreaterThanOrEqualTo(10);
    assertThat(batches.stream().mapToLong(List::size).sum() - batches.stream().flatMap(List::stream).distinct().count())
        .isGreaterThanOrEqualTo(10);
    List<Event> landed = new ArrayList<>();
    for (List<Event> batch : batches) {
      s.land(batch.stream().map(Event::row).toList());
      landed.addAll(batch);
      assertThat(s.run().error()).isEmpty();
      assertThat(history.run().error()).isEmpty();
      assertThat(SilverScenario.lines(s.rows(), "id", "name", "city", "score", "seq"))
          .containsExactlyInAnyOrderElementsOf(scd1(landed));
      assertThat(SilverScenario.lines(history.rows(), "id", "name", "city", "score", "seq", "valid_from", "valid_to", "is_current"))
          .containsExactlyInAnyOrderElementsOf(scd2(landed));
    }
    assertThat(landed.stream().filter(Event::deleted).count()).isGreaterThan(5);
  }

  /**
   * {@code n} events over {@code keys} keys in sequence order, then about a fifth of them delayed
   * (arriving after newer ones) and a tenth landed twice, cut into {@code parts} batches.
   */
  static List<List<Event>> stream(Random r, int keys, int n, int parts) {
    Map<Long, Event> alive = new TreeMap<>();
    List<long[]> arrival = new ArrayList<>(); // {arrival position, index}
    List<Event> events = new ArrayList<>();
    for (int t = 1; t <= n; t++) {
      long id = 1 + r.nextInt(keys);
      Event last = alive.get(id);
      Event e;
      if (last == null) {
        e = new Event(id, "n" + id, CITIES[r.nextInt(CITIES.length)], r.nextInt(100), t * 10L, "I");
      } else if (r.nextDouble() < 0.12) {
        e = new Event(id, null, null, null, t * 10L, "D");
      } else {
        String city = r.nextDouble() < 0.5 ? CITIES[r.nextInt(CITIES.length)] : last.city();
        String name = r.nextDouble() < 0.1 ? last.name() + "x" : last.name();
        e = new Event(id, name, city, r.nextInt(100), t * 10L, "U"); // score alone is untracked
      }
      if (e.deleted()) {
        alive.remove(id);
      } else {
        alive.put(id, e);
      }
      events.add(e);
      long late = r.nextDouble() < 0.2 ? 50 + r.nextInt(600) : 0;
      arrival.add(new long[] {e.seq() + late, events.size() - 1});
      if (r.nextDouble() < 0.1) {
        arrival.add(new long[] {e.seq() + late + r.nextInt(800), events.size() - 1}); // the same event again, later
      }
    }
    arrival.sort(Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
    List<List<Event>> out = new ArrayList<>();
    int size = (arrival.size() + parts - 1) / parts;
    for (int i = 0; i < arrival.size(); i += size) {
      List<Event> batch = new ArrayList<>();
      for (long[] a : arrival.subList(i, Math.min(arrival.size(), i + size))) {
        batch.add(events.get((int) a[1]));
      }
      out.add(batch);
    }
    return out;
  }

  /** Events older than the newest event of their key landed by an earlier batch. */
  static long lateAcrossBatches(List<List<Event>> batches) {
    Map<Long, Long> newest = new TreeMap<>();
    long late = 0;
    for (List<Event> batch : batches) {
      for (Event e : batch) {
        if (newest.getOrDefault(e.id(), Long.MAX_VALUE) < Long.MAX_VALUE && newest.get(e.id()) > e.seq()) {
          late++;
        }
      }
      for (Event e : batch) {
        newest.merge(e.id(), e.seq(), Math::max);
      }
    }
    return late;
  }

  /** Per key, the event with the greatest sequence value, unless it is a delete. */
  static List<String> scd1(List<Event> landed) {
    Map<Long, Event> latest = new TreeMap<>();
    for (Event e : landed) {
      latest.merge(e.id(), e, (a, b) -> a.seq() >= b.seq() ? a : b);
    }
    List<String> out = new ArrayList<>();
    for (Event e : latest.values()) {
      if (!e.deleted()) {
        out.add(e.id() + "|" + e.name() + "|" + e.city() + "|" + e.score() + "|" + e.seq());
      }
    }
    return out;
  }

  /**
   * Per key, events in sequence order: a version starts at the first event, after a delete, and
   * when name or city (the tracked columns) change; it shows its newest event's values; it ends
   * where the next version or a delete starts.
   */
  static List<String> scd2(List<Event> landed) {
    Set<Event> distinct = new LinkedHashSet<>(landed);
    Map<Long, List<Event>> byKey = new TreeMap<>();
    for (Event e : distinct) {
      byKey.computeIfAbsent(e.id(), k -> new ArrayList<>()).add(e);
    }
    List<String> out = new ArrayList<>();
    for (List<Event> events : byKey.values()) {
      events.sort(Comparator.comparingLong(Event::seq));
      Event open = null; // newest event of the open version
      long from = 0;
      for (Event e : events) {
        if (e.deleted()) {
          if (open != null) {
            out.add(version(open, from, e.seq()));
            open = null;
          }
        } else if (open == null || !Objects.equals(open.city(), e.city()) || !Objects.equals(open.name(), e.name())) {
          if (open != null) {
            out.add(version(open, from, e.seq()));
          }
          open = e;
          from = e.seq();
        } else {
          open = e;
        }
      }
      if (open != null) {
        out.add(version(open, from, null));
      }
    }
    return out;
  }

  private static String version(Event e, long from, Long to) {
    return e.id() + "|" + e.name() + "|" + e.city() + "|" + e.score() + "|" + e.seq() + "|" + from + "|" + to + "|" + (to == null);
  }
}
