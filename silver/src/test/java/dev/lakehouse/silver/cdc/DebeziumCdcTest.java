package dev.lakehouse.silver.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.SourceSpec;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real change data capture: PostgreSQL with logical decoding, read by the Debezium embedded engine
 * into JSON-lines files, loaded into a bronze table as they land, and applied to silver tables on
 * Delta and on Hudi. After every round the silver tables must equal the database table itself.
 */
class DebeziumCdcTest {
  private static final String ROW = "id: BIGINT, name: STRING, phone: STRING, balance: STRING";
  private static CapturedDatabase db;
  /** Per key, each row state the database held, in commit order (see {@link #change}). */
  private static final Map<Long, List<String>> STATES = new java.util.TreeMap<>();
  private static final Set<Long> DELETED = new java.util.TreeSet<>();

  @BeforeAll
  static void startCapture() throws Exception {
    db = CapturedDatabase.start(SharedSpark.newDir("debezium"), "customer", 6, // the snapshot: one 'r' event per row
        "CREATE TABLE customer (id BIGINT PRIMARY KEY, name TEXT NOT NULL, phone TEXT, balance NUMERIC(12,2))",
        "INSERT INTO customer SELECT g, 'customer ' || g, '555-000' || g, g * 10.5 FROM generate_series(1, 6) g");
    recordStates();
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      db.close();
    }
  }

  @Test
  void silverTablesFollowTheDatabaseThroughUpdatesDeletesAndKeyChanges() throws Exception {
    List<Lake> lakes = List.of(new Lake("delta"), new Lake("hudi"));
    for (Lake lake : lakes) {
      lake.loadAndApply();
      assertThat(lake.silverRows()).as(lake.format + " after the snapshot").containsExactlyElementsOf(database());
    }

    // Updates (one key twice), an insert, a delete and a primary-key change (delete + insert in one transaction).
    change("UPDATE customer SET name = 'renamed 1' WHERE id = 1",
        "UPDATE customer SET balance = 99.99 WHERE id = 2",
        "UPDATE customer SET balance = 100.01, phone = NULL WHERE id = 2",
        "DELETE FROM customer WHERE id = 4",
        "INSERT INTO customer VALUES (7, 'customer 7', '555-0007', 70.00)",
        "UPDATE customer SET id = 50 WHERE id = 5");
    db.awaitEvents(6 + 9); // 4 u/c + d + tombstone + (d + tombstone + c) of the key change
    for (Lake lake : lakes) {
      lake.loadAndApply();
      assertThat(lake.silverRows()).as(lake.format + " after updates, deletes and a key change").containsExactlyElementsOf(database());
      assertThat(lake.silver().where("id = 1").first().<String>getAs(CdcSpec.OPERATION)).isEqualTo("u");
    }

    // At-least-once delivery: the whole stream arrives again, with new changes after it; a deleted key comes back.
    change("INSERT INTO customer VALUES (4, 'customer 4 again', NULL, 4.00)",
        "UPDATE customer SET name = 'seven' WHERE id = 7");
    db.awaitEvents(6 + 9 + 2);
    for (Lake lake : lakes) {
      lake.redeliverEverything();
      lake.loadAndApply();
      assertThat(lake.silverRows()).as(lake.format + " after redelivery").containsExactlyElementsOf(database());
      assertThat(lake.historyRows()).as(lake.format + " SCD2: every version the database held").containsExactlyElementsOf(versions());
    }

    // An idle round writes nothing.
    for (Lake lake : lakes) {
      TableRunResult idle = lake.loadAndApply();
      assertThat(idle.rowsWritten()).isZero();
    }
  }

  /** One format's bronze and silver tables over the shared landing folder. */
  private static final class Lake {
    final String format;
    final TableSpec bronze;
    final TableSpec silver;
    final TableSpec history;
    final Set<Path> loaded = new HashSet<>();

    Lake(String format) throws Exception {
      this.format = format;
      Path root = SharedSpark.newDir("cdc-" + format);
      Path conf = root.resolve("pipeline.conf");
      Files.writeString(conf, """
          pipeline { name = cdc, format = %s, tables {
            bronze { customer_changes {
              source { type = files, format = json, path = "%s",
                schema = "op STRING, before STRUCT<%s>, after STRUCT<%s>, source STRUCT<lsn: BIGINT, ts_ms: BIGINT, ts_us: BIGINT, txId: BIGINT, snapshot: STRING>, ts_ms BIGINT" }
              schema-drift-structs = [before, after]
            } }
            silver { customer {
              source { type = table, table = bronze.customer_changes }
              keys = [id]
              cdc { format = debezium }
              select = [id, name, phone, "CAST(balance AS DECIMAL(12,2)) AS balance"]
            }
            customer_history {
              source { type = table, table = bronze.customer_changes }
              keys = [id]
              cdc { format = debezium }
              select = [id, name, phone, "CAST(balance AS DECIMAL(12,2)) AS balance"]
              write = scd2
            } }
          } }
          """.formatted(format, db.landing(), ROW, ROW));
      PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(),
          Map.of("LAKEHOUSE_ROOT", root.toString())));
      bronze = p.table(TableName.parse("bronze.customer_changes"));
      silver = p.table(TableName.parse("silver.customer"));
      history = p.table(TableName.parse("silver.customer_history"));
    }

    /**
     * Appends the files landed since the last call to bronze (as a bronze ingest would, with the
     * declared schema), then runs silver.
     */
    TableRunResult loadAndApply() throws Exception {
      List<String> fresh = new ArrayList<>();
      try (Stream<Path> files = Files.list(db.landing())) {
        files.filter(f -> !loaded.contains(f)).sorted().forEach(f -> {
          loaded.add(f);
          fresh.add(f.toString());
        });
      }
      if (!fresh.isEmpty()) {
        append(spark().read().schema(schema()).json(fresh.toArray(String[]::new)));
      }
      TableRunResult result = new TableRunner(spark(), UUID.randomUUID().toString(), Duration.ofMillis(200))
          .runBatch(new SilverTransform(silver, bronze), silver.checkpoint(), false);
      assertThat(result.error()).as(format + " silver run").isEmpty();
      TableRunResult versions = new TableRunner(spark(), UUID.randomUUID().toString(), Duration.ofMillis(200))
          .runBatch(new SilverTransform(history, bronze), history.checkpoint(), false);
      assertThat(versions.error()).as(format + " history run").isEmpty();
      return result;
    }

    void redeliverEverything() {
      append(LakehouseTable.of(bronze).read(spark()).select("op", "before", "after", "source", "ts_ms"));
    }

    private void append(Dataset<Row> rows) {
      LakehouseTable.of(bronze).append(rows, Optional.empty());
    }

    private String schema() {
      return ((SourceSpec.Files) ((dev.lakehouse.core.spec.LayerSpec.Bronze) bronze.layer()).source()).schema().orElseThrow();
    }

    Dataset<Row> silver() {
      return LakehouseTable.of(silver).read(spark());
    }

    /** Each version in the SCD2 table, per key in log order, and whether it is the current one. */
    List<String> historyRows() {
      return LakehouseTable.of(history).read(spark()).orderBy("id", "valid_from").collectAsList().stream()
          .map(r -> line(r.getAs("id"), r.getAs("name"), r.getAs("phone"), r.getAs("balance")) + "|" + r.getAs("is_current"))
          .toList();
    }

    List<String> silverRows() {
      return silver().orderBy("id").collectAsList().stream()
          .map(r -> line(r.getAs("id"), r.getAs("name"), r.getAs("phone"), r.getAs("balance")))
          .toList();
    }
  }

  /**
   * Runs each statement on its own and records the database's rows after it: the truth the SCD2
   * table is held to is what PostgreSQL itself held, key by key, in commit order.
   */
  private static void change(String... statements) throws Exception {
    for (String statement : statements) {
      db.sql(statement);
      recordStates();
    }
  }

  /** Records the database's rows as the newest state of each key (see {@link #change}). */
  private static void recordStates() throws Exception {
    Map<Long, String> now = new java.util.TreeMap<>();
    for (String row : database()) {
      now.put(Long.parseLong(row.substring(0, row.indexOf('|'))), row);
    }
    for (Map.Entry<Long, String> e : now.entrySet()) {
      List<String> seen = STATES.computeIfAbsent(e.getKey(), k -> new ArrayList<>());
      if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(e.getValue()) || DELETED.contains(e.getKey())) {
        seen.add(e.getValue());
      }
      DELETED.remove(e.getKey());
    }
    STATES.keySet().stream().filter(k -> !now.containsKey(k)).forEach(DELETED::add);
  }

  /** The expected SCD2 rows: every state each key had, the last current unless the key is deleted. */
  private static List<String> versions() {
    List<String> out = new ArrayList<>();
    STATES.forEach((key, states) -> {
      for (int i = 0; i < states.size(); i++) {
        out.add(states.get(i) + "|" + (i == states.size() - 1 && !DELETED.contains(key)));
      }
    });
    return out;
  }

  private static List<String> database() throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection c = db.connection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, name, phone, balance FROM customer ORDER BY id")) {
      while (rs.next()) {
        rows.add(line(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getBigDecimal(4)));
      }
    }
    return rows;
  }

  private static String line(Object id, Object name, Object phone, Object balance) {
    return id + "|" + name + "|" + phone + "|" + (balance == null ? null : ((java.math.BigDecimal) balance).toPlainString());
  }

  private static SparkSession spark() {
    return SharedSpark.session();
  }
}
