package dev.lakehouse.silver.cdc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.testing.BronzeSchemas;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.silver.SilverTransform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Change events with an operation column, and Debezium events that cannot be applied. The bronze
 * table is written directly here (this module has no bronze ingest); silver runs for real.
 */
class OperationColumnCdcTest {

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void upsertsAndDeletesApplyInSequenceOrderAcrossBatches(String format) throws Exception {
    Pair p = pair(format, """
        source { type = table, table = bronze.changes }
        keys = [id], sequence-by = seq
        cdc { format = operation-column, operation-column = op, delete-values = [D] }
        """, "id BIGINT, name STRING, op STRING, seq BIGINT");
    p.land("(1, 'a', 'I', 1), (2, 'b', 'I', 2), (3, 'c', 'I', 3), (1, 'a2', 'U', 4), (2, NULL, 'D', 5)");
    assertThat(p.apply()).containsExactly("1|a2|4", "3|c|3");

    // A late update of key 1 (older than the row the table holds) and a redelivered delete of key 2
    // change nothing; key 2 comes back; key 3 is deleted and re-inserted in one batch.
    p.land("(1, 'late', 'U', 2), (2, NULL, 'D', 5), (2, 'b again', 'I', 6), (3, NULL, 'D', 7), (3, 'c again', 'I', 8)");
    assertThat(p.apply()).containsExactly("1|a2|4", "2|b again|6", "3|c again|8");
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aDebeziumEventThatCannotBeAppliedFailsTheRunAndNamesIt(String format) throws Exception {
    String row = "STRUCT<id: BIGINT, name: STRING>";
    Pair p = pair(format, """
        source { type = table, table = bronze.changes }
        keys = [id]
        cdc { format = debezium }
        """, "op STRING, before " + row + ", after " + row + ", source STRUCT<lsn: BIGINT, ts_ms: BIGINT>, ts_ms BIGINT");
    p.land("('c', NULL, named_struct('id', 1L, 'name', 'a'), named_struct('lsn', 10L, 'ts_ms', 0L), 0L)");
    assertThat(p.apply()).containsExactly("1|a|10");
    String version = p.silverVersion();

    p.land("('u', NULL, named_struct('id', 1L, 'name', 'b'), named_struct('lsn', 20L, 'ts_ms', 0L), 0L), "
        + "('t', NULL, NULL, named_struct('lsn', 21L, 'ts_ms', 0L), 0L)");
    TableRunResult failed = p.run();
    assertThat(failed.error()).get().asString()
        .contains("silver.customer: change event with op t at lsn 21")
        .contains("supported operations are c, r, u and d");
    assertThat(p.silverVersion()).as("nothing of the failed batch is written").isEqualTo(version);
  }

  /**
   * A key that changes and changes back in one batch: its first and last events carry equal rows but
   * are two events (their log positions differ), so the last one wins and the history keeps all three.
   * The Kafka positions in {@code _source} sort the first event after the last as text (998 > 1000).
   */
  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aKeyThatChangesAndChangesBackInOneBatchEndsAtItsLastEvent(String format) throws Exception {
    String row = "STRUCT<id: BIGINT, name: STRING>";
    String schema = "op STRING, before " + row + ", after " + row + ", source STRUCT<lsn: BIGINT, ts_ms: BIGINT>, ts_ms BIGINT, _source STRING";
    String spec = """
        source { type = table, table = bronze.changes }
        keys = [id]
        cdc { format = debezium }
        """;
    String events = "('c', NULL, named_struct('id', 1L, 'name', 'active'), named_struct('lsn', 100L, 'ts_ms', 0L), 0L, 'kafka:t/0/998'), "
        + "('u', NULL, named_struct('id', 1L, 'name', 'inactive'), named_struct('lsn', 200L, 'ts_ms', 0L), 0L, 'kafka:t/0/999'), "
        + "('u', NULL, named_struct('id', 1L, 'name', 'active'), named_struct('lsn', 300L, 'ts_ms', 0L), 0L, 'kafka:t/0/1000')";
    Pair current = pair(format, spec, schema);
    current.land(events);
    assertThat(current.apply()).containsExactly("1|active|300");

    Pair history = pair(format, spec + "write = scd2\n", schema);
    history.land(events);
    assertThat(history.run().error()).isEmpty();
    assertThat(LakehouseTable.of(history.silver()).read(SharedSpark.session()).orderBy("valid_from").collectAsList().stream()
        .map(r -> r.getAs("name") + "|" + r.getAs("valid_from") + "|" + r.getAs("valid_to")).toList())
        .containsExactly("active|100|200", "inactive|200|300", "active|300|null");
  }

  private record Pair(TableSpec bronze, TableSpec silver, String bronzeSchema) {
    /** Appends the SQL VALUES rows, cast to the bronze schema, as one bronze commit. */
    void land(String values) {
      StructField[] fields = StructType.fromDDL(bronzeSchema).fields();
      String[] casts = IntStream.range(0, fields.length).mapToObj(i ->
          "CAST(col" + (i + 1) + " AS " + fields[i].dataType().sql() + ") AS `" + fields[i].name() + "`").toArray(String[]::new);
      LakehouseTable.of(bronze).append(SharedSpark.session().sql("SELECT * FROM VALUES " + values).selectExpr(casts), Optional.empty());
    }

    TableRunResult run() {
      return new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
          .runBatch(new SilverTransform(silver, bronze), silver.checkpoint(), false);
    }

    List<String> apply() {
      TableRunResult result = run();
      assertThat(result.error()).isEmpty();
      List<Row> rows = LakehouseTable.of(silver).read(SharedSpark.session()).orderBy("id").collectAsList();
      String seq = rows.isEmpty() || List.of(rows.get(0).schema().fieldNames()).contains("seq") ? "seq" : "_cdc_lsn";
      return rows.stream().map(r -> r.getAs("id") + "|" + r.getAs("name") + "|" + r.getAs(seq)).toList();
    }

    String silverVersion() {
      return LakehouseTable.of(silver).currentVersion(SharedSpark.session()).orElseThrow().id();
    }
  }

  private static Pair pair(String format, String silverBlock, String bronzeSchema) throws Exception {
    Path root = SharedSpark.newDir("cdc-op-" + format);
    Path conf = root.resolve("pipeline.conf");
    Files.writeString(conf, """
        pipeline { name = cdc, format = %s, tables {
          bronze { changes { source { type = files, format = json, path = landing, schema = "%s" }%s } }
          silver { customer {
        %s
          } }
        } }
        """.formatted(format, BronzeSchemas.declared(bronzeSchema),
        bronzeSchema.contains("after STRUCT") ? ", schema-drift-structs = [before, after]" : "", silverBlock));
    PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", root.toString())));
    return new Pair(p.table(TableName.parse("bronze.changes")), p.table(TableName.parse("silver.customer")), bronzeSchema);
  }
}
