package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.apache.spark.sql.Encoders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A checkpoint deleted by hand while the table stays: the stream would start its batch ids at 0
 * again and the table would skip them as replays, new files included. The run refuses instead,
 * says how to recover, and a full refresh then holds every landed record once.
 */
class CheckpointGuardTest {

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void aRunFromACheckpointBehindItsTableIsRefusedAndAFullRefreshLosesNothing(String format) {
    Bronze t = Bronze.table("guarded", format, """
        source { type = files, format = csv, path = landing/guarded, schema = "id BIGINT, name STRING", options { header = "true" } }
        """);
    Path landing = t.landing("landing/guarded");
    Bronze.land(landing, "a.csv", "id,name\n1,ann\n2,bob\nnot-a-number,cy\n");
    assertThat(t.run().error()).isEmpty();
    Bronze.land(landing, "b.csv", "id,name\n3,dee\n");
    assertThat(t.run().error()).isEmpty(); // the checkpoint as it should be: batch ids 0 and 1, no refusal

    LakehouseTable.deletePath(SharedSpark.session(), t.spec.checkpoint());
    Bronze.land(landing, "c.csv", "id,name\n4,eve\n");
    TableRunResult refused = t.run();

    assertThat(refused.error()).hasValueSatisfying(e -> assertThat(e)
        .contains("bronze.guarded", "holds micro-batches of its stream up to id 1", t.spec.checkpoint(), "is missing or empty",
            "run --full-refresh --tables bronze.guarded"));
    assertThat(refused.batches()).isZero();
    assertThat(t.rows().count()).isEqualTo(3); // c.csv not taken, and nothing skipped silently

    TableRunResult rebuilt = new TableRunner(SharedSpark.session(), UUID.randomUUID().toString(), Duration.ofMillis(200))
        .runBatch(new BronzeIngest(t.spec), t.spec.checkpoint(), true);
    assertThat(rebuilt.error()).isEmpty();
    assertThat(t.rows().select("id").as(Encoders.LONG()).collectAsList()).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
    assertThat(t.quarantined().count()).isEqualTo(1);
    assertThat(t.run().error()).isEmpty(); // the new checkpoint and the rebuilt table agree
  }
}
