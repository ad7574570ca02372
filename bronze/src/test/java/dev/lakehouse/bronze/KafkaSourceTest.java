package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.bronze.testing.KafkaBroker;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real broker: batch and stream runs, offsets kept, a message that is not JSON quarantined with its offset. */
class KafkaSourceTest {
  private static KafkaBroker broker;

  @BeforeAll
  static void startBroker() {
    broker = KafkaBroker.start(SharedSpark.newDir("kafka"));
  }

  @AfterAll
  static void stopBroker() {
    if (broker != null) {
      broker.close();
    }
  }

  private static List<String[]> orders(int from, int to) {
    List<String[]> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(new String[] {"k" + i, "{\"id\": " + i + ", \"amount\": " + (i * 10) + "}"});
    }
    return out;
  }

  @Test
  void batchThenStreamEveryMessageOnceWithItsOffsets() throws Exception {
    broker.send("orders", orders(1, 5));
    broker.send("orders", List.<String[]>of(new String[] {"bad", "not json at all"}));
    Bronze t = Bronze.table("orders_kafka", "delta", """
        source {
          type = kafka, bootstrap-servers = "%s", topics = [orders]
          starting-offsets = earliest, value = json, schema = "id BIGINT, amount BIGINT"
        }
        """.formatted(broker.bootstrapServers()));

    TableRunResult batch = t.run();
    assertThat(batch.error()).isEmpty();
    assertThat(batch.rowsWritten()).isEqualTo(5);
    assertThat(batch.rowsQuarantined()).isEqualTo(1);
    Row bad = t.quarantined().first();
    assertThat((String) bad.getAs("_raw")).isEqualTo("not json at all");
    assertThat((String) bad.getAs("_key")).isEqualTo("bad");
    assertThat((String) bad.getAs("_reason")).isEqualTo("Cannot parse the record as a JSON object: malformed JSON");
    assertThat((String) bad.getAs("_source")).isEqualTo("kafka:orders/" + bad.getAs("_partition") + "/" + bad.getAs("_offset"));

    // stream mode continues from the checkpoint's offsets
    TableRunner.RunningTable stream = t.startStream();
    broker.send("orders", orders(6, 8));
    stream.processAllAvailable();
    broker.send("orders", orders(9, 10));
    stream.processAllAvailable();
    TableRunResult streamed = stream.stop();
    assertThat(streamed.error()).isEmpty();
    assertThat(streamed.rowsWritten()).isEqualTo(5);

    List<Row> rows = t.rows().collectAsList();
    assertThat(rows).extracting(r -> r.<Long>getAs("id")).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    assertThat(rows).allSatisfy(r -> {
      assertThat(r.<String>getAs("_key")).isEqualTo("k" + r.<Long>getAs("id"));
      assertThat(r.<Long>getAs("amount")).isEqualTo(r.<Long>getAs("id") * 10);
      assertThat(r.<String>getAs("_topic")).isEqualTo("orders");
      assertThat(r.<java.sql.Timestamp>getAs("_timestamp")).isNotNull();
    });
    // every (partition, offset) of the topic is in the table or in quarantine, once
    Set<String> offsets = new TreeSet<>();
    for (Row r : t.rows().union(t.rows().limit(0)).select("_partition", "_offset").collectAsList()) {
      assertThat(offsets.add(r.get(0) + "/" + r.get(1))).isTrue();
    }
    assertThat(offsets.add(bad.getAs("_partition") + "/" + bad.getAs("_offset"))).isTrue();
    assertThat(offsets).hasSize(11);
    assertThat(t.run().batches()).isZero();
  }

  /**
   * Messages aged out of Kafka (retention) before the table read them: the run stops, saying which
   * offsets are gone and the two ways on; with {@code failOnDataLoss = "false"} it reads what Kafka holds.
   */
  @Test
  void messagesAgedOutBeforeTheTableReadThemStopItsRunWithWhatToDo() throws Exception {
    broker.send("aging", orders(1, 5));
    String block = """
        source {
          type = kafka, bootstrap-servers = "%s", topics = [aging]
          starting-offsets = earliest, value = json, schema = "id BIGINT, amount BIGINT"%s
        }
        """;
    Bronze t = Bronze.table("aging_kafka", "delta", block.formatted(broker.bootstrapServers(), ""));
    assertThat(t.run().rowsWritten()).isEqualTo(5);

    broker.send("aging", orders(6, 10));
    broker.deleteAllRecords("aging"); // what retention does to messages older than it keeps
    broker.send("aging", orders(11, 12));
    TableRunResult lost = t.run();
    assertThat(lost.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(lost.error().orElseThrow()).startsWith("Cannot fetch offset ").contains("TopicPartition: aging-",
        "Kafka no longer holds messages bronze.aging_kafka had yet to read", "options { failOnDataLoss = \"false\" }",
        "or run it with --full-refresh");
    assertThat(t.rows().count()).isEqualTo(5);

    TableRunResult onward = t.withBlock(block.formatted(broker.bootstrapServers(), ", options { failOnDataLoss = \"false\" }")).run();
    assertThat(onward.error()).isEmpty();
    assertThat(t.rows().collectAsList()).extracting(r -> r.<Long>getAs("id")).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 11L, 12L);
  }

  @Test
  void rawStringValuesByTopicPattern() {
    broker.send("logs-web", List.<String[]>of(new String[] {null, "GET /"}, new String[] {null, "GET /about"}));
    broker.send("logs-api", List.<String[]>of(new String[] {"u1", "POST /orders"}));
    Bronze t = Bronze.table("logs", "hudi", """
        source { type = kafka, bootstrap-servers = "%s", topic-pattern = "logs-.*", value = string }
        """.formatted(broker.bootstrapServers()));
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(t.rows().select("value").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("GET /", "GET /about", "POST /orders");
    assertThat(t.rows().select("_topic").distinct().count()).isEqualTo(2);
  }
}
