package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Records that carry a column bronze writes itself (its lineage, the rescue column): bronze would
 * put its own value there, so the run stops before writing, saying where and how to rename; a table
 * source keeps another pipeline's bronze lineage beside its own.
 */
class ReservedColumnsTest {

  /**
   * A JSON key that arrives after the table exists: the table has the column, so schema-drift = fail
   * did not see it. A document is a record of its own: it is quarantined with its reason, its file's
   * other records are ingested, and a Kafka topic is not stopped for good by one message.
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aJsonDocumentWithAKeyNamedAsALineageColumnIsQuarantined(String format) {
    Bronze t = Bronze.table("events_" + format, format, """
        source { type = files, format = json, path = landing/events }
        """);
    Path landing = t.landing("landing/events");
    // The first run infers the schema from the file: the key is not taken for a column.
    Bronze.land(landing, "a.json", "{\"id\":1,\"name\":\"a\"}\n{\"id\":9,\"_run_id\":\"nightly\"}\n");
    TableRunResult first = t.run();
    assertThat(first.error()).isEmpty();
    assertThat(first.rowsQuarantined()).isEqualTo(1);

    Bronze.land(landing, "b.json", "{\"id\":2,\"name\":\"b\"}\n{\"id\":3,\"name\":\"c\",\"_batch_id\":77}\n");
    TableRunResult clash = t.run();
    assertThat(clash.error()).isEmpty();
    assertThat(clash.rowsQuarantined()).isEqualTo(1);
    List<Row> kept = t.rows().orderBy("id").collectAsList();
    assertThat(kept).extracting(r -> r.<Long>getAs("id")).containsExactly(1L, 2L);
    assertThat(kept.get(1).<Long>getAs("_batch_id")).as("bronze's own batch id").isEqualTo(1L);
    assertThat(t.rows().columns()).doesNotContain("_run_id_1", "id_1").containsOnlyOnce("_run_id", "_batch_id");
    List<Row> bad = t.quarantined().orderBy(BronzeColumns.SOURCE).collectAsList();
    assertThat(bad).extracting(r -> r.<String>getAs(BronzeColumns.RAW))
        .containsExactly("{\"id\":9,\"_run_id\":\"nightly\"}", "{\"id\":3,\"name\":\"c\",\"_batch_id\":77}");
    assertThat(bad).extracting(r -> r.<String>getAs(BronzeColumns.REASON)).satisfiesExactly(
        r -> assertThat(r).contains("its keys _run_id name columns bronze writes", "rename them where the records are made"),
        r -> assertThat(r).contains("its keys _batch_id name columns bronze writes"));
    assertThat(bad).extracting(r -> r.<String>getAs(BronzeColumns.SOURCE)).satisfiesExactly(
        s -> assertThat(s).endsWith("landing/events/a.json"), s -> assertThat(s).endsWith("landing/events/b.json"));
  }

  /** A CSV header with the name, in a file read again by its header (a name Spark's reread used to overwrite). */
  @Test
  void aCsvHeaderNamingSourceStopsTheRun() {
    assertThat(refusedBeforeTheTableIsMade("crm", "schema = \"id INT, name STRING\",", "id,name,_source\n1,a,crm-eu\n"))
        .contains("Cannot ingest into bronze.crm", "_source", "landing/crm/a.csv");
  }

  /** The first run infers the schema from the files: the table is not made with the name twice. */
  @Test
  void aCsvHeaderNamingALineageColumnStopsTheFirstRunBeforeTheTableIsMade() {
    assertThat(refusedBeforeTheTableIsMade("inferred", "", "id,_run_id\n1,nightly-7\n"))
        .contains("Cannot ingest into bronze.inferred", "_run_id", "landing/inferred");
  }

  /** The error of the first run of bronze.{@code name} reading a CSV file {@code a.csv}, which leaves no table. */
  private static String refusedBeforeTheTableIsMade(String name, String schema, String csv) {
    Bronze t = Bronze.table(name, "delta", """
        source { type = files, format = csv, path = landing/%s, %s options { header = "true" } }
        """.formatted(name, schema));
    Bronze.land(t.landing("landing/" + name), "a.csv", csv);
    TableRunResult clash = t.run();
    assertThat(clash.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(new BronzeIngest(t.spec).target().exists(SharedSpark.session())).isFalse();
    return clash.error().orElseThrow();
  }

  @Test
  void aDeclaredSchemaNamingALineageColumnIsRefusedAtItsLine() {
    Path root = SharedSpark.newDir("bronze-declared");
    assertThatThrownBy(() -> Bronze.parse(root, "declared", "delta", """
        source { type = files, format = json, path = landing/declared, schema = "id INT, _ingested_at TIMESTAMP" }
        """)).isInstanceOf(ConfigException.class).hasMessageContaining("source.schema")
        .hasMessageContaining("Cannot use _ingested_at in schema").hasMessageContaining("into every row itself");
  }

  /** Another pipeline's bronze table, read by its path: its lineage is kept under _upstream names beside this table's. */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aBronzeTableReadByPathKeepsItsLineageBesideThisTables(String format) {
    Bronze upstream = Bronze.table("landed_" + format, format, """
        source { type = files, format = csv, path = landing/orders, schema = "id INT, name STRING", options { header = "true" } }
        """);
    Bronze.land(upstream.landing("landing/orders"), "a.csv", "id,name\n1,a\n2,b\n");
    assertThat(upstream.run().error()).isEmpty();
    String path = new BronzeIngest(upstream.spec).target().location();
    Bronze t = Bronze.table("copied_" + format, format, """
        source { type = table, format = %s, path = "%s" }
        """.formatted(format, path));
    TableRunResult run = t.run();
    assertThat(run.error()).isEmpty();
    List<Row> rows = t.rows().orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.<Integer>getAs("id")).containsExactly(1, 2);
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.<String>getAs("_source")).isEqualTo(format + ":" + path);
      assertThat(r.<String>getAs("_upstream_source")).endsWith("landing/orders/a.csv");
      assertThat(r.<Long>getAs("_upstream_batch_id")).isZero();
      assertThat(r.<String>getAs("_upstream_run_id")).isEqualTo(upstream.rows().first().<String>getAs("_run_id"));
    });
  }
}
