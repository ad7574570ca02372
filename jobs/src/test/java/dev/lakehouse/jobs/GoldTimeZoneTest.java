package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RuntimeConfig;
import org.junit.jupiter.api.Test;

/**
 * A gold table's answer may depend on the session time zone (a timestamp's day), which its spec
 * and its sources do not show: a run after the zone changed must refresh it, even with nothing new
 * upstream, and not merge rows of the new zone's days into stored rows of the old.
 */
class GoldTimeZoneTest {
  private static final Path CONF = Path.of("src/test/resources/pipelines/time-zone.conf");
  private static final Config VARS = ConfigFactory.parseFile(CONF.toFile()).resolve().getConfig("vars");
  private static final Map<String, String> QUERIES = Map.of(
      "gold.daily_merged", VARS.getString("daily"),
      "gold.daily_by_key", VARS.getString("daily-last"),
      "gold.daily_full", VARS.getString("daily"));
  private static final String ZONE = "spark.sql.session.timeZone";

  @Test
  void aChangedSessionTimeZoneRefreshesEveryGoldTableInTheNewZone() throws IOException {
    Path root = SharedSpark.newDir("time-zone");
    RuntimeConfig session = SharedSpark.session().conf();
    String zoneBefore = session.get(ZONE);
    try {
      session.set(ZONE, "UTC");
      // 23:30 and 01:00 UTC: two days in UTC, one (Jan 1st) in New York.
      JsonDrops.land(root, "events", 1, List.of(
          "{\"id\":1,\"at\":\"2024-01-01T23:30:00Z\",\"updated_at\":1}",
          "{\"id\":2,\"at\":\"2024-01-02T01:00:00Z\",\"updated_at\":1}"));
      Pipeline p = open(root);
      assertEqualToQueries(p, p.run(), List.of("2024-01-01,1", "2024-01-02,1"));

      session.set(ZONE, "America/New_York");
      assertEqualToQueries(p, p.run(), List.of("2024-01-01,2"));

      JsonDrops.land(root, "events", 2, List.of("{\"id\":3,\"at\":\"2024-01-02T12:00:00Z\",\"updated_at\":1}"));
      assertEqualToQueries(p, p.run(), List.of("2024-01-01,2", "2024-01-02,1"));
    } finally {
      session.set(ZONE, zoneBefore);
    }
  }

  private static Pipeline open(Path root) {
    return Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=delta"),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
  }

  /** Each gold table holds what its query over silver gives now, and that is {@code days} (day,events). */
  private static void assertEqualToQueries(Pipeline p, RunReport report, List<String> days) {
    assertThat(report.succeeded()).as(report.tables().toString()).isTrue();
    QUERIES.forEach((table, query) -> {
      Dataset<Row> expected = p.sql(query);
      Dataset<Row> stored = p.table(table).selectExpr(expected.columns());
      assertThat(stored.exceptAll(expected).collectAsList()).as(table + " rows not in its query's answer").isEmpty();
      assertThat(expected.exceptAll(stored).collectAsList()).as(table + " rows of its query's answer it lacks").isEmpty();
      assertThat(expected.orderBy("day").collectAsList()).extracting(r -> r.get(0) + "," + r.get(1))
          .as(table).containsExactlyElementsOf(days);
    });
  }
}
