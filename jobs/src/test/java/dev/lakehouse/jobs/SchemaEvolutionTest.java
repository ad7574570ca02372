package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunResult.Status;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import dev.lakehouse.jobs.pipeline.StreamingRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A column bronze gains ({@code schema-drift = add-new-columns}) reaches the silver tables that
 * take every column, their quarantine, and the gold tables over them; earlier rows read null there,
 * and a table that selects its columns keeps them.
 * Before, every such silver table failed with the engine's error (Delta's MERGE could not assign
 * the column, its append refused the schema, the SCD type 2 diff could not find it in the history).
 */
class SchemaEvolutionTest {
  static final Path CONF = Path.of("src/test/resources/pipelines/drift.conf");

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aColumnBronzeGainsReachesTheSilverAndGoldTablesThatTakeEveryColumn(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("drift-" + format.id());
    Pipeline p = Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id()),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
    Path landing = Files.createDirectories(root.resolve("landing/people"));
    Files.writeString(landing.resolve("1.json"), """
        {"id": 1, "name": "a", "seq": 1}
        {"id": 2, "name": "b", "seq": 1}
        {"id": 5, "seq": 1}
        """);
    // A gold query naming the column before it arrives fails alone, with Spark's message: its
    // AnalysisException (checked, thrown undeclared) escaped the runner and ended the whole run.
    RunReport first = p.run(List.of(), false, r -> {});
    assertThat(first.tables()).filteredOn(t -> t.status() != Status.SUCCEEDED).singleElement().satisfies(t -> {
      assertThat(t.table().toString()).isEqualTo("gold.emails");
      assertThat(t.status()).isEqualTo(Status.FAILED);
      assertThat(t.error().orElseThrow()).contains("`email` cannot be resolved");
    });
    Files.writeString(landing.resolve("2.json"), """
        {"id": 1, "name": "a2", "seq": 2, "email": "a@x"}
        {"id": 3, "name": "c", "seq": 1, "email": "c@x"}
        {"id": 4, "seq": 1, "email": "d@x"}
        """);
    assertSucceeded(p.run(List.of(), false, r -> {}));
    // After the schema changed: a change of a column alone (2's email) is a change like any other.
    Files.writeString(landing.resolve("3.json"), """
        {"id": 2, "name": "b", "seq": 2, "email": "b@x"}
        """);
    assertSucceeded(p.run(List.of(), false, r -> {}));

    List<String> current = List.of("1|a2|2|a@x", "2|b|2|b@x", "3|c|1|c@x");
    assertThat(rows(p, "silver.current", "id, name, seq, email")).containsExactlyElementsOf(current);
    assertThat(rows(p, "silver.current_quarantine", "id, email, _failed_rules[0]")).containsExactly("4|d@x|has_name", "5|null|has_name");
    assertThat(rows(p, "silver.history", "id, name, email, valid_from, valid_to, is_current")).containsExactly(
        "1|a|null|1|2|false", "1|a2|a@x|2|null|true", "2|b|null|1|2|false", "2|b|b@x|2|null|true", "3|c|c@x|1|null|true",
        "4|null|d@x|1|null|true", "5|null|null|1|null|true");
    assertThat(rows(p, "silver.log", "id, seq, email")).containsExactly("1|1|null", "1|2|a@x", "2|1|null", "2|2|b@x", "3|1|c@x",
        "4|1|d@x", "5|1|null");
    assertThat(p.table("silver.pinned").columns()).doesNotContain("email");
    assertThat(rows(p, "silver.pinned", "id, name, seq")).containsExactly("1|a2|2", "2|b|2", "3|c|1", "4|null|1", "5|null|1");
    assertThat(rows(p, "gold.people", "id, name, email")).containsExactly("1|a2|a@x", "2|b|b@x", "3|c|c@x");
    assertThat(rows(p, "gold.people_by_key", "id, name, seq, email")).containsExactlyElementsOf(current);
    assertThat(rows(p, "gold.emails", "id, email")).containsExactly("1|a@x", "2|b@x", "3|c@x");
  }

  /**
   * In stream mode a running query keeps the schema it started with, and its source stops it when
   * the schema changes (Delta: DELTA_SCHEMA_CHANGED; Hudi: Spark's "Invalid batch"): every stream
   * below bronze failed. The runner now starts such a stream again, which reads on with the column.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void streamsBelowATableThatGainsAColumnStartAgainWithIt(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("drift-stream-" + format.id());
    Pipeline p = Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of("pipeline.format=" + format.id(),
        "lakehouse.stream.trigger-interval=1s"), Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
    Path landing = Files.createDirectories(root.resolve("landing/people"));
    Files.writeString(landing.resolve("1.json"), "{\"id\": 1, \"name\": \"a\", \"seq\": 1}\n");
    StreamingRun streams = p.startStreams(List.of("bronze.people", "silver.current", "silver.history", "silver.log", "gold.people"),
        false, r -> {});
    List<TableRunResult> results;
    try {
      streams.processAllAvailable();
      Files.writeString(landing.resolve("2.json"), "{\"id\": 3, \"name\": \"c\", \"seq\": 1, \"email\": \"c@x\"}\n");
      EventsPipelineTest.awaitTrue(() -> {
        streams.processAllAvailable();
        return List.of(p.table("gold.people").columns()).contains("email");
      }, Duration.ofSeconds(180));
    } finally {
      results = streams.stop();
    }
    assertThat(results).allSatisfy(r -> assertThat(r.error()).as(r.table().toString()).isEmpty());
    for (String t : List.of("silver.current", "silver.log", "gold.people")) {
      assertThat(rows(p, t, "id, name, email")).as(t).containsExactly("1|a|null", "3|c|c@x");
    }
    assertThat(rows(p, "silver.history", "id, email, is_current")).containsExactly("1|null|true", "3|c@x|true");
  }

  private static void assertSucceeded(RunReport report) {
    assertThat(report.tables()).allSatisfy(t -> assertThat(t.error()).as(t.table().toString()).isEmpty());
  }

  private static List<String> rows(Pipeline p, String table, String columns) {
    return p.sql("SELECT " + columns + " FROM " + table + " ORDER BY " + columns).collectAsList().stream()
        .map(r -> r.mkString("|")).toList();
  }
}
