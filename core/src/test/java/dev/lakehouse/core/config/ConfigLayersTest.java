package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The precedence ConfigLayers states: --set > environment variables > env overlay > pipeline > application > reference. */
class ConfigLayersTest {

  private static Path confDir() throws IOException {
    Path conf = SharedSpark.newDir("conf");
    Files.createDirectories(conf.resolve("pipelines"));
    Files.createDirectories(conf.resolve("env"));
    Files.writeString(conf.resolve("application.conf"), """
        lakehouse { root = /from/application, format = hudi, stream.trigger-interval = 7s, run.parallelism = 3 }
        """);
    Files.writeString(conf.resolve("env/cluster.conf"), """
        lakehouse { root = /from/overlay, run.parallelism = 5 }
        """);
    Files.writeString(conf.resolve("pipelines/p.conf"), """
        lakehouse { run.parallelism = 4, spark.conf { spark.sql.shuffle.partitions = 3 } }
        pipeline {
          name = p
          tables {
            bronze { raw { source { type = files, format = parquet, path = in } } }
            silver { clean { source { type = table, table = bronze.raw }, format = delta } }
          }
        }
        """);
    return conf;
  }

  private static PipelineSpec load(Path conf, Optional<String> env, List<String> sets, Map<String, String> vars) {
    return PipelineParser.load(new ConfigLayers.Request(conf.resolve("pipelines/p.conf"), env, sets, vars));
  }

  @Test
  void eachLayerWinsOverTheOnesBelowIt() throws IOException {
    Path conf = confDir();
    PipelineSpec base = load(conf, Optional.empty(), List.of(), Map.of());
    assertThat(base.settings().root()).isEqualTo("/from/application");
    assertThat(base.settings().triggerInterval()).isEqualTo(Duration.ofSeconds(7));
    assertThat(base.settings().parallelism()).isEqualTo(4); // pipeline over application
    assertThat(base.settings().spark().master()).isEqualTo("local[*]"); // reference.conf
    assertThat(base.settings().spark().conf()).containsEntry("spark.sql.shuffle.partitions", "3")
        .containsEntry("spark.databricks.delta.snapshotPartitions", "1")
        .containsEntry("spark.sql.sources.parallelPartitionDiscovery.threshold", "1000000");

    PipelineSpec overlay = load(conf, Optional.of("cluster"), List.of(), Map.of());
    assertThat(overlay.settings().root()).isEqualTo("/from/overlay");
    assertThat(overlay.settings().parallelism()).isEqualTo(5);

    PipelineSpec env = load(conf, Optional.of("cluster"), List.of(), Map.of("LAKEHOUSE_ROOT", "/from/env"));
    assertThat(env.settings().root()).isEqualTo("/from/env");
    assertThat(env.table(TableName.parse("bronze.raw")).location()).isEqualTo("/from/env/bronze/raw");
    assertThat(env.table(TableName.parse("silver.clean")).checkpoint()).isEqualTo("/from/env/_checkpoints/silver/clean");

    PipelineSpec set = load(conf, Optional.of("cluster"), List.of("lakehouse.root=/from/set", "lakehouse.spark.master=local[2]"),
        Map.of("LAKEHOUSE_ROOT", "/from/env"));
    assertThat(set.settings().root()).isEqualTo("/from/set");
    assertThat(set.settings().spark().master()).isEqualTo("local[2]");
  }

  @Test
  void theLeaseExpiryDefaultsToTwoMinutesAndMustBeASecondOrMore() throws IOException {
    Path conf = confDir();
    assertThat(load(conf, Optional.empty(), List.of(), Map.of()).settings().leaseExpiry()).isEqualTo(Duration.ofMinutes(2));
    assertThat(load(conf, Optional.empty(), List.of("lakehouse.run.lease-expiry=45s"), Map.of()).settings().leaseExpiry())
        .isEqualTo(Duration.ofSeconds(45));
    ConfigException e = assertThrows(ConfigException.class,
        () -> load(conf, Optional.empty(), List.of("lakehouse.run.lease-expiry=0s"), Map.of()));
    assertThat(e.problems()).extracting(ConfigProblem::toString).anySatisfy(p -> assertThat(p)
        .contains("lakehouse.run.lease-expiry: Cannot use a lease expiry of PT0S").contains("write 1s or more"));
  }

  @Test
  void tableFormatWinsOverPipelineWhichWinsOverLakehouse() throws IOException {
    Path conf = confDir();
    PipelineSpec spec = load(conf, Optional.empty(), List.of(), Map.of());
    assertThat(spec.table(TableName.parse("bronze.raw")).format()).isEqualTo(FormatKind.HUDI); // application.conf
    assertThat(spec.table(TableName.parse("silver.clean")).format()).isEqualTo(FormatKind.DELTA); // the table's own
    PipelineSpec pipelineFormat = load(conf, Optional.empty(), List.of("pipeline.format=delta"), Map.of());
    assertThat(pipelineFormat.table(TableName.parse("bronze.raw")).format()).isEqualTo(FormatKind.DELTA);
  }

  @Test
  void theDemoPipelineParsesAndGoldDependenciesComeFromItsQueries() {
    PipelineSpec spec = PipelineParser.load(new ConfigLayers.Request(Path.of("../conf/pipelines/tpch.conf"),
        Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", "/data")));
    assertThat(spec.tables()).hasSize(20);
    LayerSpec.Gold daily = (LayerSpec.Gold) spec.table(TableName.parse("gold.revenue_daily")).layer();
    assertThat(daily.sources()).containsExactly(TableName.parse("silver.orders"), TableName.parse("silver.lineitem"));
    LayerSpec.Gold q1 = (LayerSpec.Gold) spec.table(TableName.parse("gold.pricing_summary")).layer();
    assertThat(q1.sql()).contains("l_returnflag"); // read from sql-file
    assertThat(q1.sources()).containsExactly(TableName.parse("silver.lineitem"));
    assertThat(spec.table(TableName.parse("bronze.lineitem")).location()).isEqualTo("/data/bronze/lineitem");
  }

  @Test
  void queriesWithCommonTableExpressionsAndSubqueriesNameTheirTables() {
    assertThat(SqlTableReferences.of("""
        WITH big AS (SELECT * FROM silver.orders WHERE o_totalprice > 10)
        SELECT * FROM big JOIN silver.customer c ON big.o_custkey = c.c_custkey
        WHERE c.c_nationkey IN (SELECT n_nationkey FROM silver.nation)
        """)).containsExactlyInAnyOrder(List.of("silver", "orders"), List.of("silver", "customer"), List.of("silver", "nation"));
  }
}
