package dev.lakehouse.silver.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.bronze.BronzeIngest;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.silver.SilverTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A column added to the source database table while Debezium captures it: its events carry the new
 * field in {@code after} (and in {@code before} once a delete brings it there). Bronze, reading the
 * events with a declared schema and watching those structs, adds the field; silver tables that take
 * every column gain it. Checked against PostgreSQL's own rows after each round, on Delta and Hudi.
 * Before, bronze read the declared fields only and the new column was lost without a word.
 */
class DebeziumSchemaChangeTest {
  private static final String IMAGE = "STRUCT<id: BIGINT, name: STRING>";
  private static CapturedDatabase db;

  @BeforeAll
  static void startCapture() throws Exception {
    db = CapturedDatabase.start(SharedSpark.newDir("debezium-schema-change"), "account", 3,
        "CREATE TABLE account (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",
        "INSERT INTO account VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')");
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void aColumnAddedToTheDatabaseReachesSilverAndItsHistory() throws Exception {
    List<Lake> lakes = List.of(new Lake("delta"), new Lake("hudi"));
    for (Lake lake : lakes) {
      lake.run();
      assertThat(lake.current()).as(lake.format + " after the snapshot").containsExactlyElementsOf(database(false));
    }

    // The column arrives; updates and an insert carry it in their new image only.
    db.sql("ALTER TABLE account ADD COLUMN email TEXT",
        "UPDATE account SET email = 'ann@example.org' WHERE id = 1",
        "INSERT INTO account VALUES (4, 'dee', 'dee@example.org')");
    db.awaitEvents(3 + 2);
    for (Lake lake : lakes) {
      lake.run();
      assertThat(lake.current()).as(lake.format + " after the column arrived").containsExactlyElementsOf(database(true));
      assertThat(lake.bronzeImageFields("after")).as(lake.format + " bronze's after").containsExactly("id", "name", "email");
    }

    // A delete (its old image holds the key, the other fields null) and a change of the new column alone.
    db.sql("DELETE FROM account WHERE id = 2", "UPDATE account SET email = 'cy@example.org' WHERE id = 3");
    db.awaitEvents(3 + 2 + 3); // the delete, its tombstone, the update
    for (Lake lake : lakes) {
      lake.run();
      assertThat(lake.current()).as(lake.format + " after a delete").containsExactlyElementsOf(database(true));
      // SCD type 2: the change of email alone made a new version; the deleted key is closed.
      assertThat(lake.history()).as(lake.format + " history").containsExactly(
          "1|ann|null|false", "1|ann|ann@example.org|true", "2|bob|null|false",
          "3|cy|null|false", "3|cy|cy@example.org|true", "4|dee|dee@example.org|true");
    }
  }

  /** One format's bronze and silver tables over the shared landing folder, run as a pipeline runs them. */
  private static final class Lake {
    final String format;
    final TableSpec bronze;
    final TableSpec current;
    final TableSpec history;

    Lake(String format) throws Exception {
      this.format = format;
      Path root = SharedSpark.newDir("debezium-drift-" + format);
      Path conf = root.resolve("pipeline.conf");
      Files.writeString(conf, """
          pipeline { name = cdc, format = %s, tables {
            bronze { account_changes {
              source { type = files, format = json, path = "%s",
                schema = "op STRING, before %s, after %s, source STRUCT<lsn: BIGINT, ts_us: BIGINT>" }
              schema-drift = add-new-columns
              schema-drift-structs = [before, after]
            } }
            silver {
              account { source { type = table, table = bronze.account_changes }, keys = [id], cdc { format = debezium } }
              account_history { source { type = table, table = bronze.account_changes }, keys = [id], cdc { format = debezium }, write = scd2 }
            }
          } }
          """.formatted(format, db.landing(), IMAGE, IMAGE));
      PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
          Map.of("LAKEHOUSE_ROOT", root.toString())));
      bronze = p.table(TableName.parse("bronze.account_changes"));
      current = p.table(TableName.parse("silver.account"));
      history = p.table(TableName.parse("silver.account_history"));
    }

    void run() {
      runOne(new BronzeIngest(bronze), bronze);
      runOne(new SilverTransform(current, bronze), current);
      runOne(new SilverTransform(history, bronze), history);
    }

    private void runOne(TableJob job, TableSpec spec) {
      TableRunResult r = new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
          .runBatch(job, spec.checkpoint(), false);
      assertThat(r.error()).as(format + " " + spec.name()).isEmpty();
    }

    List<String> current() {
      return LakehouseTable.of(current).read(SharedSpark.session()).orderBy("id").collectAsList().stream()
          .map(r -> r.getAs("id") + "|" + r.getAs("name") + (hasEmail() ? "|" + r.getAs("email") : "")).toList();
    }

    private boolean hasEmail() {
      return List.of(LakehouseTable.of(current).read(SharedSpark.session()).columns()).contains("email");
    }

    List<String> history() {
      return LakehouseTable.of(history).read(SharedSpark.session()).orderBy("id", "valid_from").collectAsList().stream()
          .map(r -> r.getAs("id") + "|" + r.getAs("name") + "|" + r.getAs("email") + "|" + r.getAs("is_current")).toList();
    }

    List<String> bronzeImageFields(String image) {
      return List.of(((org.apache.spark.sql.types.StructType) LakehouseTable.of(bronze).read(SharedSpark.session()).schema()
          .apply(image).dataType()).fieldNames());
    }
  }

  private static List<String> database(boolean withEmail) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT * FROM account ORDER BY id")) {
      while (rs.next()) {
        rows.add(rs.getLong("id") + "|" + rs.getString("name") + (withEmail ? "|" + rs.getString("email") : ""));
      }
    }
    return rows;
  }
}
