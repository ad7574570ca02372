package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code cdc} block of silver tables: what it defaults to, and what it refuses. */
class CdcSpecTest {

  @Test
  void eachMistakeIsReportedWithItsLineAndFix() {
    String f = "src/test/resources/broken/bad-cdc.conf:";
    String t = " pipeline.tables.silver.";
    List<String> problems;
    try {
      PipelineParser.load(new ConfigLayers.Request(Path.of("src/test/resources/broken/bad-cdc.conf"), Optional.empty(),
          List.of(), Map.of("LAKEHOUSE_ROOT", "/tmp/lakehouse-test-root")));
      throw new AssertionError("bad-cdc.conf was accepted");
    } catch (ConfigException e) {
      problems = e.problems().stream().map(ConfigProblem::toString).toList();
    }
    assertThat(problems).containsExactlyInAnyOrder(
        f + "8:" + t + "no_keys.cdc: Cannot apply change events to silver.no_keys without keys: declare keys = [<primary key column>, ...]",
        f + "9:" + t + "unknown.cdc.format: Cannot read change events in format 'maxwell': supported formats are debezium, operation-column or snapshot",
        f + "10:" + t + "no_sequence.cdc: Cannot order the change events of silver.no_sequence: declare sequence-by = "
            + "<column that grows with each change of a key>, e.g. a log position or change time",
        f + "11:" + t + "no_deletes.cdc.delete-values: Cannot tell deletes from upserts: list the operation values that delete a key, e.g. delete-values = [D]",
        f + "12:" + t + "mixed.cdc.operation-column: Cannot use operation-column with format = debezium: Debezium events carry their operation in op; remove it",
        f + "13:" + t + "unordered_snapshots.cdc: Cannot tell the snapshots of silver.unordered_snapshots apart: declare"
            + " sequence-by = <column that names each snapshot>, the same on all its rows and greater for each later one, e.g. the extract date",
        f + "14:" + t + "appended_snapshots.write: Cannot append the snapshots of silver.appended_snapshots: their differences"
            + " update and delete keys; set write = scd1 (the newest snapshot) or scd2 (every version)",
        f + "15:" + t + "snapshot_deletes.delete-when: Cannot use delete-when on silver.snapshot_deletes, which reads snapshots:"
            + " a key is deleted when a snapshot lacks it; remove delete-when (or filter out the rows that should not be kept)",
        f + "15:" + t + "snapshot_deletes.cdc.delete-values: Cannot use delete-values with format = snapshot: a key is deleted"
            + " when a snapshot lacks it; remove it",
        f + "16:" + t + "snapshot_limit.cdc.max-deleted-fraction: Cannot use max-deleted-fraction = 2.0: it is the fraction"
            + " of the keys of a snapshot that the next one may delete, from 0 to 1 (1: no limit)",
        f + "17:" + t + "limit_elsewhere.cdc.ignore-snapshots: Cannot use ignore-snapshots with format = operation-column:"
            + " it applies to format = snapshot; remove it");
  }

  @Test
  void debeziumTablesAreSequencedByTheLogPositionSnapshotsByTheirColumn(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("p.conf");
    Files.writeString(conf, """
        pipeline { name = ok, tables {
          bronze { changes { source { type = files, format = json, path = landing, schema = "op STRING" } } }
          silver {
            customer { source { type = table, table = bronze.changes }, keys = [id], cdc { format = debezium } }
            orders { source { type = table, table = bronze.changes }, keys = [id], sequence-by = seq,
                     cdc { format = operation-column, operation-column = op, delete-values = [D, X] } }
            dimension { source { type = table, table = bronze.changes }, keys = [id], sequence-by = extract_date,
                        cdc { format = snapshot } }
            strict { source { type = table, table = bronze.changes }, keys = [id], sequence-by = extract_date, write = scd2,
                     cdc { format = snapshot, max-deleted-fraction = 0.1, ignore-snapshots = ["2026-12-01"] } }
          }
        } }
        """);
    PipelineSpec p = PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", dir.toString())));
    LayerSpec.Silver customer = (LayerSpec.Silver) p.table(TableName.parse("silver.customer")).layer();
    assertThat(customer.cdc()).contains(new CdcSpec.Debezium());
    assertThat(customer.sequenceBy()).contains(CdcSpec.LSN);
    LayerSpec.Silver orders = (LayerSpec.Silver) p.table(TableName.parse("silver.orders")).layer();
    assertThat(orders.cdc()).contains(new CdcSpec.OperationColumn("op", List.of("D", "X")));
    assertThat(orders.sequenceBy()).contains("seq");
    LayerSpec.Silver dimension = (LayerSpec.Silver) p.table(TableName.parse("silver.dimension")).layer();
    assertThat(dimension.cdc()).contains(new CdcSpec.Snapshot(CdcSpec.Snapshot.DEFAULT_MAX_DELETED_FRACTION, List.of()));
    assertThat(dimension.sequenceBy()).contains("extract_date");
    LayerSpec.Silver strict = (LayerSpec.Silver) p.table(TableName.parse("silver.strict")).layer();
    assertThat(strict.cdc()).contains(new CdcSpec.Snapshot(0.1, List.of("2026-12-01")));
  }

  /**
   * Debezium events parsed with a declared schema read {@code before} and {@code after} field by
   * field: without {@code schema-drift-structs} a column the database gains would be left out of
   * bronze unseen, so the pipeline is refused until bronze watches them; the setting names STRUCT
   * columns of JSON records only.
   */
  @Test
  void debeziumImagesMustBeWatchedForNewColumns(@TempDir Path dir) throws Exception {
    String images = "op STRING, before STRUCT<id: BIGINT>, after STRUCT<id: BIGINT>, source STRUCT<lsn: BIGINT>";
    Path conf = dir.resolve("p.conf");
    Files.writeString(conf, """
        pipeline { name = cdc, tables {
          bronze {
            changes { source { type = files, format = json, path = landing, schema = "%s" } }
            watched { source { type = files, format = json, path = landing, schema = "%s" }, schema-drift-structs = [before, after] }
            half { source { type = files, format = json, path = landing, schema = "%s" }, schema-drift-structs = [after] }
            wrong { source { type = files, format = json, path = landing, schema = "%s" }, schema-drift-structs = [op, image] }
            csv { source { type = files, format = csv, path = landing, schema = "id BIGINT" }, schema-drift-structs = [after] }
          }
          silver {
            customer { source { type = table, table = bronze.changes }, keys = [id], cdc { format = debezium } }
            ok { source { type = table, table = bronze.watched }, keys = [id], cdc { format = debezium } }
            partly { source { type = table, table = bronze.half }, keys = [id], cdc { format = debezium } }
          }
        } }
        """.formatted(images, images, images, images));
    List<String> problems;
    try {
      PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", dir.toString())));
      throw new AssertionError("accepted");
    } catch (ConfigException e) {
      problems = e.problems().stream().map(ConfigProblem::toString).toList();
    }
    String f = conf + ":";
    assertThat(problems).containsExactlyInAnyOrder(
        f + "3: pipeline.tables.bronze.changes.schema-drift-structs: Cannot apply the Debezium events of bronze.changes to "
            + "silver.customer safely: its declared schema reads before and after field by field, so a column the source "
            + "database gains would be left out of bronze.changes without a word. Add schema-drift-structs = [before, after] "
            + "to bronze.changes (its schema-drift policy then decides: fail, add-new-columns or rescue)",
        f + "5: pipeline.tables.bronze.half.schema-drift-structs: Cannot apply the Debezium events of bronze.half to "
            + "silver.partly safely: its declared schema reads before field by field, so a column the source "
            + "database gains would be left out of bronze.half without a word. Add schema-drift-structs = [before, after] "
            + "to bronze.half (its schema-drift policy then decides: fail, add-new-columns or rescue)",
        f + "6: pipeline.tables.bronze.wrong.schema-drift-structs: Cannot watch the fields of 'op': it is not a STRUCT column "
            + "of the source's schema ([before, after, source] are); name STRUCT columns such as [before, after]",
        f + "6: pipeline.tables.bronze.wrong.schema-drift-structs: Cannot watch the fields of 'image': it is not a STRUCT column "
            + "of the source's schema ([before, after, source] are); name STRUCT columns such as [before, after]",
        f + "7: pipeline.tables.bronze.csv.schema-drift-structs: Cannot watch the fields of [after]: schema-drift-structs "
            + "applies to JSON records read with a declared schema (files with format = json, or Kafka values), whose STRUCT "
            + "columns are read field by field; remove it, or declare the source's schema");
  }
}
