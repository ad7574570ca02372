package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A column the source database gains arrives in Debezium's events as a new field of {@code before}
 * and {@code after}. A table that watches those structs ({@code schema-drift-structs}) applies its
 * schema-drift policy to their fields as to top-level keys; the fields of other structs
 * ({@code source}) are read as declared.
 */
class StructDriftTest {
  private static final String SCHEMA = "op STRING, before STRUCT<id: BIGINT, name: STRING>, "
      + "after STRUCT<id: BIGINT, name: STRING>, source STRUCT<lsn: BIGINT>";
  /** Before the column: a snapshot read of two rows; {@code source} carries fields nobody declared. */
  private static final String FIRST = """
      {"op": "r", "before": null, "after": {"id": 1, "name": "ann"}, "source": {"lsn": 10, "connector": "postgresql"}}
      {"op": "r", "before": null, "after": {"id": 2, "name": "bob"}, "source": {"lsn": 11, "connector": "postgresql"}}
      """;
  /** After ALTER TABLE ... ADD COLUMN email: an update that sets it, a delete whose old image has it null. */
  private static final String SECOND = """
      {"op": "u", "before": null, "after": {"id": 1, "name": "ann", "email": "ann@example.org"}, "source": {"lsn": 20, "connector": "postgresql"}}
      {"op": "d", "before": {"id": 2, "name": null, "email": null}, "after": null, "source": {"lsn": 21, "connector": "postgresql"}}
      """;

  private static Bronze table(String format, String policy) {
    Bronze t = Bronze.table("changes_" + policy.replace('-', '_'), format, """
        source { type = files, format = json, path = landing/changes, schema = "%s" }
        schema-drift = %s
        schema-drift-structs = [before, after]
        """.formatted(SCHEMA, policy));
    Bronze.land(t.landing("landing/changes"), "1.json", FIRST);
    TableRunResult first = t.run();
    assertThat(first.error()).isEmpty();
    assertThat(first.rowsWritten()).isEqualTo(2); // the undeclared source.connector is no drift
    Bronze.land(t.landing("landing/changes"), "2.json", SECOND);
    return t;
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void addNewColumnsAddsTheFieldToTheStructs(String format) {
    Bronze t = table(format, "add-new-columns");
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsWritten()).isEqualTo(2);
    List<Row> rows = t.rows().orderBy("source.lsn").selectExpr("after.email", "before.email", "to_json(source)").collectAsList();
    assertThat(rows).extracting(x -> x.getString(0)).containsExactly(null, null, "ann@example.org", null);
    assertThat(rows).extracting(x -> x.getString(1)).containsExactly(null, null, null, null);
    assertThat(rows).extracting(x -> x.getString(2)).containsOnly("{\"lsn\":10}", "{\"lsn\":11}", "{\"lsn\":20}", "{\"lsn\":21}");
    // The widened structs are pinned: a third drop with the field needs no evolution and keeps it.
    Bronze.land(t.landing("landing/changes"), "3.json",
        "{\"op\": \"c\", \"after\": {\"id\": 3, \"name\": \"cy\", \"email\": \"cy@example.org\"}, \"source\": {\"lsn\": 30}}\n");
    TableRunResult third = t.run();
    assertThat(third.error()).isEmpty();
    assertThat(t.rows().where("source.lsn = 30").selectExpr("after.email").first().getString(0)).isEqualTo("cy@example.org");
    assertThat(t.rows().count()).isEqualTo(5);
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void failNamesTheFieldAndWritesNothing(String format) {
    Bronze t = table(format, "fail");
    TableRunResult r = t.run();
    assertThat(r.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(r.error().orElseThrow())
        .startsWith("Cannot ingest into bronze.changes_fail: records carry columns its schema does not have: before.email, after.email (in file:")
        .contains("/landing/changes/2.json)");
    assertThat(t.rows().count()).isEqualTo(2);
  }

  @Test
  void rescueKeepsTheFieldAsJson() {
    Bronze t = table("delta", "rescue");
    assertThat(t.run().error()).isEmpty();
    List<Row> rows = t.rows().orderBy("source.lsn").selectExpr("_rescued_data", "to_json(after)").collectAsList();
    assertThat(rows).extracting(x -> x.getString(0)).containsExactly(null, null, "{\"after.email\":\"ann@example.org\"}", null);
    assertThat(rows.get(2).getString(1)).isEqualTo("{\"id\":1,\"name\":\"ann\"}");
  }

  /** Without the setting, the struct's new field is left out as before: the setting is what reports it. */
  @Test
  void unwatchedStructsReadTheirDeclaredFields() {
    Bronze t = Bronze.table("unwatched", "delta", """
        source { type = files, format = json, path = landing/changes, schema = "%s" }
        """.formatted(SCHEMA));
    Path landing = t.landing("landing/changes");
    Bronze.land(landing, "2.json", SECOND);
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(t.rows().selectExpr("to_json(after)").where("to_json(after) IS NOT NULL").first().getString(0))
        .isEqualTo("{\"id\":1,\"name\":\"ann\"}");
  }
}
