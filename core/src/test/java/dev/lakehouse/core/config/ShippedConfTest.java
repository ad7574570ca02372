package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-submit --files} ships the configuration flat into the driver's working directory:
 * the pipeline loaded from such a folder must be the pipeline loaded from {@code conf/}.
 */
class ShippedConfTest {
  private static final Path CONF = Path.of("../conf");

  @Test
  void aPipelineShippedFlatWithItsOverlayAndSqlFilesLoadsAsFromTheConfFolder(@TempDir Path shipped) throws Exception {
    Map<String, String> env = Map.of("LAKEHOUSE_ROOT", "/data");
    PipelineSpec original = PipelineParser.load(new ConfigLayers.Request(CONF.resolve("pipelines/tpch.conf"),
        Optional.of("cluster"), List.of(), env));
    assertThat(original.sqlFiles()).contains("sql/pricing_summary.sql");

    // What the generated Airflow DAG lists in --files, landed flat.
    Files.copy(CONF.resolve("application.conf"), shipped.resolve("application.conf"));
    Files.copy(CONF.resolve("env/cluster.conf"), shipped.resolve("cluster.conf"));
    Files.copy(CONF.resolve("pipelines/tpch.conf"), shipped.resolve("tpch.conf"));
    for (String sql : original.sqlFiles()) {
      Path file = CONF.resolve("pipelines").resolve(sql);
      Files.copy(file, shipped.resolve(file.getFileName().toString()));
    }
    PipelineSpec flat = PipelineParser.load(new ConfigLayers.Request(shipped.resolve("tpch.conf"), Optional.of("cluster"), List.of(), env));

    assertThat(flat.settings()).isEqualTo(original.settings()); // the cluster overlay was applied
    assertThat(flat.tables().keySet()).isEqualTo(original.tables().keySet());
    for (TableName name : original.tables().keySet()) {
      TableSpec a = original.table(name);
      TableSpec b = flat.table(name);
      assertThat(b.specHash()).as(name.toString()).isEqualTo(a.specHash());
      if (a.layer() instanceof LayerSpec.Gold gold) {
        assertThat(((LayerSpec.Gold) b.layer()).sql()).as(name.toString()).isEqualTo(gold.sql());
      }
    }
  }
}
