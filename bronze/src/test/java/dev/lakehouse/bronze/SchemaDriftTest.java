package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A second drop carries a column the table lacks: each policy, the same on Delta and on Hudi. */
class SchemaDriftTest {
  private static final String FIRST = "{\"id\": 1, \"name\": \"ann\"}\n{\"id\": 2, \"name\": \"bob\"}\n";
  private static final String SECOND = "{\"id\": 3, \"name\": \"cy\", \"email\": \"cy@example.org\"}\n{\"id\": 4, \"name\": \"dee\"}\n";

  private static Bronze table(String format, String policy) {
    Bronze t = Bronze.table("people_" + policy.replace('-', '_'), format, """
        source { type = files, format = json, path = landing/people, schema = "id BIGINT, name STRING" }
        schema-drift = %s
        """.formatted(policy));
    Bronze.land(t.landing("landing/people"), "1.json", FIRST);
    assertThat(t.run().error()).isEmpty();
    Bronze.land(t.landing("landing/people"), "2.json", SECOND);
    return t;
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void failStopsBeforeWritingAndNamesTheColumn(String format) {
    Bronze t = table(format, "fail");
    TableRunResult r = t.run();
    assertThat(r.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(r.error().orElseThrow())
        .startsWith("Cannot ingest into bronze.people_fail: records carry columns its schema does not have: email (in file:")
        .contains("/landing/people/2.json)")
        .contains("set schema-drift = add-new-columns (evolve the table) or rescue");
    assertThat(t.rows().count()).isEqualTo(2);
    assertThat(t.rows().columns()).doesNotContain("email");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void addNewColumnsEvolvesTheTable(String format) {
    Bronze t = table(format, "add-new-columns");
    TableRunResult first = t.run();
    assertThat(first.error()).isEmpty();
    assertThat(first.rowsWritten()).isEqualTo(2); // the second drop: one record with the new key, one without
    List<Row> rows = t.rows().orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.getAs("email")).containsExactly(null, null, "cy@example.org", null);
    assertThat(rows).extracting(r -> r.getAs("name")).containsExactly("ann", "bob", "cy", "dee");
    // the evolved schema is pinned: a third drop with the column needs no evolution and keeps it
    Bronze.land(t.landing("landing/people"), "3.json", "{\"id\": 5, \"email\": \"e@example.org\"}\n");
    assertThat(t.run().error()).isEmpty();
    assertThat(t.rows().where("id = 5").first().<String>getAs("email")).isEqualTo("e@example.org");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void rescueKeepsUnknownFieldsInTheRescueColumn(String format) {
    Bronze t = table(format, "rescue");
    assertThat(t.run().error()).isEmpty();
    assertThat(t.rows().columns()).doesNotContain("email").contains("_rescued_data");
    List<Row> rows = t.rows().orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.getAs("_rescued_data")).containsExactly(null, null, "{\"email\":\"cy@example.org\"}", null);
  }

  /**
   * A table made without a rescue column whose spec then asks for one ({@code bad-records = rescue})
   * gains it with the next batch: with a malformed record in it (rescued, not taken for drift), and
   * without one (the column added, empty).
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aTableSwitchedToRescueGainsTheColumn(String format) {
    Bronze rescuing = switchedToRescue("switched", format);
    Bronze.land(rescuing.landing("landing/people"), "2.json", "{\"id\": 3, \"name\": \"cy\"}\n{\"id\": 4, \"name\": \n");
    TableRunResult withBad = rescuing.run();
    assertThat(withBad.error()).isEmpty();
    assertThat(withBad.rowsWritten()).isEqualTo(2);
    assertThat(rescuing.rows().where("_rescued_data IS NOT NULL").count()).isEqualTo(1);
    Bronze.land(rescuing.landing("landing/people"), "3.json", "{\"id\": 5, \"name\": \"dee\"}\n");
    assertThat(rescuing.run().error()).isEmpty();
    assertThat(rescuing.rows().orderBy("id").collectAsList()).extracting(r -> r.getAs("id") + ":" + r.getAs("_rescued_data"))
        .containsExactlyInAnyOrder("1:null", "2:null", "3:null", "null:{\"id\": 4, \"name\": ", "5:null");
  }

  /** A table that ingested {@link #FIRST} without a rescue column, declared again with bad-records = rescue. */
  private static Bronze switchedToRescue(String name, String format) {
    String before = "source { type = files, format = json, path = landing/people, schema = \"id BIGINT, name STRING\" }\n";
    Bronze t = Bronze.table(name, format, before);
    Bronze.land(t.landing("landing/people"), "1.json", FIRST);
    assertThat(t.run().error()).isEmpty();
    return t.withBlock(before + "bad-records = rescue\n");
  }

  /** The same switch with a batch without a malformed record: the column comes anyway, empty. */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aTableSwitchedToRescueGainsTheColumnWithAGoodBatch(String format) {
    Bronze rescuing = switchedToRescue("switched_good", format);
    Bronze.land(rescuing.landing("landing/people"), "2.json", "{\"id\": 3, \"name\": \"cy\"}\n");
    assertThat(rescuing.run().error()).isEmpty();
    assertThat(rescuing.rows().columns()).contains("_rescued_data");
    assertThat(rescuing.rows().count()).isEqualTo(3);
  }

  /**
   * Drift is a key the schema does not have at the top of a document. Inside an object declared as
   * a STRUCT, the declared fields are read and others are not (a Debezium envelope's {@code source}
   * block has more than one keeps); declared STRING, an object or array keeps its whole JSON text.
   */
  @Test
  void nestedObjectsAreReadAsDeclared() {
    Bronze t = Bronze.table("nested", "delta", """
        source { type = files, format = json, path = landing/nested, schema = "id BIGINT, address STRUCT<city: STRING>, extra STRING" }
        """);
    Bronze.land(t.landing("landing/nested"), "1.json", "{\"id\": 1, \"address\": {\"city\": \"Oslo\", \"zip\": \"0150\"}, "
        + "\"extra\": {\"tags\": [1, 2], \"note\": \"x\"}}\n");
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsWritten()).isEqualTo(1);
    Row row = t.rows().selectExpr("address.city", "to_json(address)", "extra").first();
    assertThat(row.getString(0)).isEqualTo("Oslo");
    assertThat(row.getString(1)).isEqualTo("{\"city\":\"Oslo\"}");
    assertThat(row.getString(2)).isEqualTo("{\"tags\":[1,2],\"note\":\"x\"}");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void csvHeaderWithANewColumnIsReadByName(String format) {
    Bronze t = Bronze.table("stock", format, """
        source { type = files, format = csv, path = landing/stock, schema = "sku STRING, qty INT", options { header = "true" } }
        schema-drift = add-new-columns
        """);
    Path landing = t.landing("landing/stock");
    Bronze.land(landing, "1.csv", "sku,qty\na,1\nb,2\n");
    assertThat(t.run().error()).isEmpty();
    Bronze.land(landing, "2.csv", "sku,warehouse,qty\nc,north,3\n");
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsQuarantined()).isZero();
    Row c = t.rows().where("sku = 'c'").first();
    assertThat((Integer) c.getAs("qty")).isEqualTo(3);
    assertThat((String) c.getAs("warehouse")).isEqualTo("north");
    assertThat(t.rows().count()).isEqualTo(3);
  }
}
