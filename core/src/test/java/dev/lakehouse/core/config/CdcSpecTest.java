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
        f + "9:" + t + "unknown.cdc.format: Cannot read change events in format 'maxwell': supported formats are debezium or operation-column",
        f + "10:" + t + "no_sequence.cdc: Cannot order the change events of silver.no_sequence: declare sequence-by = "
            + "<column that grows with each change of a key>, e.g. a log position or change time",
        f + "11:" + t + "no_deletes.cdc.delete-values: Cannot tell deletes from upserts: list the operation values that delete a key, e.g. delete-values = [D]",
        f + "12:" + t + "mixed.cdc.operation-column: Cannot use operation-column with format = debezium: Debezium events carry their operation in op; remove it");
  }

  @Test
  void debeziumTablesAreSequencedByTheLogPosition(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("p.conf");
    Files.writeString(conf, """
        pipeline { name = ok, tables {
          bronze { changes { source { type = files, format = json, path = landing, schema = "op STRING" } } }
          silver {
            customer { source { type = table, table = bronze.changes }, keys = [id], cdc { format = debezium } }
            orders { source { type = table, table = bronze.changes }, keys = [id], sequence-by = seq,
                     cdc { format = operation-column, operation-column = op, delete-values = [D, X] } }
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
  }
}
