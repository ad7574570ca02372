package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.spec.Maintenance;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lakehouse.maintenance} and a table's {@code maintenance} block. */
class MaintenanceSpecTest {
  private static final String PIPELINE = """
      pipeline { name = ok, tables {
        bronze {
          plain { source { type = files, format = csv, path = a, schema = "id STRING" } }
          tuned { source { type = files, format = csv, path = b, schema = "id STRING, day DATE" }
            maintenance { keep-history = 2 days, z-order-by = [id], every = 12 hours } }
        }
      } }
      """;

  @Test
  void aTableTakesTheDefaultsAndOverridesWhatItSets(@TempDir Path dir) throws Exception {
    PipelineSpec defaults = load(dir, PIPELINE, List.of());
    assertThat(defaults.table(TableName.parse("bronze.plain")).maintenance()).isEqualTo(Maintenance.DEFAULT)
        .isEqualTo(new Maintenance(Duration.ofDays(7), true, List.of(), Duration.ZERO));
    assertThat(defaults.table(TableName.parse("bronze.tuned")).maintenance())
        .isEqualTo(new Maintenance(Duration.ofDays(2), true, List.of("id"), Duration.ofHours(12)));

    PipelineSpec set = load(dir, PIPELINE, List.of("lakehouse.maintenance.optimize=false", "lakehouse.maintenance.keep-history=1h",
        "lakehouse.maintenance.every=1d"));
    assertThat(set.table(TableName.parse("bronze.plain")).maintenance())
        .isEqualTo(new Maintenance(Duration.ofHours(1), false, List.of(), Duration.ofDays(1)));
    assertThat(set.table(TableName.parse("bronze.tuned")).maintenance())
        .isEqualTo(new Maintenance(Duration.ofDays(2), false, List.of("id"), Duration.ofHours(12)));
    // The defaults alone are what the system tables are maintained with.
    assertThat(defaults.settings().maintenance()).isEqualTo(Maintenance.DEFAULT);
    assertThat(set.settings().maintenance()).isEqualTo(new Maintenance(Duration.ofHours(1), false, List.of(), Duration.ofDays(1)));
    // How long maintain --all keeps the runs' quality reports: the pipeline's alone.
    assertThat(defaults.settings().keepReports()).isEqualTo(Duration.ofDays(90));
    assertThat(load(dir, PIPELINE, List.of("lakehouse.maintenance.keep-reports=14d")).settings().keepReports())
        .isEqualTo(Duration.ofDays(14));
  }

  @Test
  void refusesANegativeRetentionAndReportsInATablesBlock(@TempDir Path dir) {
    assertThatThrownBy(() -> load(dir, PIPELINE, List.of("lakehouse.maintenance.keep-reports=-1d")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("lakehouse.maintenance.keep-reports: Cannot keep quality reports for PT-24H: write 0s or more,"
            + " e.g. 90 days (the default)");
    assertThatThrownBy(() -> load(dir, PIPELINE.replace("keep-history = 2 days", "keep-reports = 2 days"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pipeline.tables.bronze.tuned.maintenance")
        .hasMessageContaining("keep-reports");
    assertThatThrownBy(() -> load(dir, PIPELINE.replace("every = 12 hours", "every = -12 hours"), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pipeline.tables.bronze.tuned.maintenance.every: Cannot maintain every PT-12H: write 0s"
            + " (whenever maintain runs, the default) or more, e.g. 1 day");
  }

  /** Compacting and cleaning change no row: editing them must not make gold tables refresh in full. */
  @Test
  void maintenanceIsNotPartOfTheSpecHash(@TempDir Path dir) throws Exception {
    TableName tuned = TableName.parse("bronze.tuned");
    String before = load(dir, PIPELINE, List.of()).table(tuned).specHash();
    assertThat(load(dir, PIPELINE.replace("keep-history = 2 days", "keep-history = 3 days"), List.of()).table(tuned).specHash())
        .isEqualTo(before);
    assertThat(load(dir, PIPELINE.replace("id STRING, day DATE", "id STRING, day DATE, note STRING"), List.of())
        .table(tuned).specHash()).isNotEqualTo(before);
  }

  private static PipelineSpec load(Path dir, String text, List<String> overrides) throws Exception {
    Path conf = Files.writeString(dir.resolve("p-" + System.nanoTime() + ".conf"), text);
    return PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), overrides, Map.of("LAKEHOUSE_ROOT", dir.toString())));
  }
}
