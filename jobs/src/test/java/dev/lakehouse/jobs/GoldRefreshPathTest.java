package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A gold table whose spec edit changes how it refreshes: a top n refreshed by key (the rows it
 * ranks kept beside it) whose keys become its GROUP BY columns merges partial aggregates instead,
 * then made {@code refresh = full} keeps nothing. What the old path kept beside it goes; the
 * table stays equal to its query.
 */
class GoldRefreshPathTest {
  private static final Path CONF = Path.of("src/test/resources/pipelines/sales.conf");
  private static final String TABLE = "gold.top_customers_incremental";
  private static final String QUERY = ConfigFactory.parseFile(CONF.toFile()).resolve().getString("vars.top-customers");

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aTableThatChangesHowItRefreshesDeletesWhatItKeptForTheOldWay(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("refresh-path-" + format.id());
    Path unranked = root.resolve("gold/top_customers_incremental.unranked");
    Path states = root.resolve("gold/top_customers_incremental.state");
    land(root, "orders", 1, 1);
    land(root, "customers", 1, 1);
    Pipeline byKey = open(root, format);
    assertRefreshed(byKey, byKey.run("+" + TABLE));
    assertThat(unranked).isDirectory();
    assertThat(states).doesNotExist();

    land(root, "orders", 2, 41);
    Pipeline merged = open(root, format, "pipeline.tables." + TABLE + ".keys=[customer_id, region]");
    assertRefreshed(merged, merged.run("+" + TABLE));
    assertThat(states).isDirectory();
    assertThat(unranked).doesNotExist();

    land(root, "orders", 3, 81);
    Pipeline full = open(root, format, "pipeline.tables." + TABLE + ".refresh=full");
    assertRefreshed(full, full.run("+" + TABLE));
    assertThat(states).doesNotExist();
    assertThat(unranked).doesNotExist();
  }

  private static Pipeline open(Path root, FormatKind format, String... overrides) {
    List<String> all = new ArrayList<>(List.of("pipeline.format=" + format.id()));
    all.addAll(List.of(overrides));
    return Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), all,
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
  }

  private static void assertRefreshed(Pipeline p, RunReport report) {
    assertThat(report.succeeded()).as(report.tables().toString()).isTrue();
    assertThat(report.table(TABLE).rowsWritten()).isPositive();
    Dataset<Row> expected = p.sql(QUERY);
    assertThat(p.table(TABLE).count()).isEqualTo(expected.count()).isEqualTo(5);
    assertThat(p.table(TABLE).exceptAll(expected).collectAsList()).isEmpty();
  }

  /** 40 orders from {@code firstId} on, of 12 customers in 3 regions (the customers once, with drop 1). */
  private static void land(Path root, String table, int drop, long firstId) throws IOException {
    List<String> lines = new ArrayList<>();
    if (table.equals("customers")) {
      for (long c = 1; c <= 12; c++) {
        lines.add(String.format("{\"customer_id\":%d,\"region\":\"r%d\",\"updated_at\":1}", c, c % 3));
      }
    } else {
      for (long id = firstId; id < firstId + 40; id++) {
        lines.add(String.format("{\"order_id\":%d,\"customer_id\":%d,\"order_date\":\"2024-01-%02d\",\"amount\":%d.00,\"updated_at\":1}",
            id, 1 + id % 12, 1 + id % 20, 10 + id * 7 % 90));
      }
    }
    JsonDrops.land(root, table, drop, lines);
  }
}
