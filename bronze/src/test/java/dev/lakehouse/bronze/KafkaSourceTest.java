package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.lakehouse.bronze.testing.KafkaBroker;
import dev.lakehouse.bronze.testing.KafkaBroker.Sent;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.testing.SharedSpark;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real broker: batch and stream runs, offsets kept, messages that are not JSON orders quarantined
 * with their offsets. Each test checks every message sent against the table and its quarantine: each
 * stands in exactly one of them, once, with its key, place, timestamp and content.
 */
class KafkaSourceTest {
  private static final String NO_VALUE = "Cannot parse the message as JSON: it has no value (a tombstone or an empty message)";
  /** Messages that are not orders, keyed by what is wrong with them, and why bronze says it cannot read them. */
  private static final Map<String, String> WHY = Map.of(
      "not-json", "Cannot parse the record as a JSON object: malformed JSON",
      "tombstone", NO_VALUE,
      "empty", NO_VALUE,
      "wrong-type", "Cannot read the record with schema \"id BIGINT,amount BIGINT\": a value does not fit the type of its column",
      "metadata-keys", "Cannot read the record: its keys _offset, _key name columns bronze writes into every row"
          + " (_key, _topic, _partition, _offset, _timestamp, _source, _ingested_at, _batch_id, _run_id, _rescued_data);"
          + " rename them where the records are made");
  private static final String ORDERS_SOURCE = """
      source {
        type = kafka, bootstrap-servers = "%s", topics = [%s]
        starting-offsets = earliest, value = json, schema = "id BIGINT, amount BIGINT"%s
      }
      """;

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

  private static String[] order(long i) {
    return new String[] {"k" + i, "{\"id\": " + i + ", \"amount\": " + (i * 10) + "}"};
  }

  private static List<String[]> orders(int from, int to) {
    List<String[]> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add(order(i));
    }
    return out;
  }

  private static String[] message(String key, String value) {
    return new String[] {key, value};
  }

  @SafeVarargs
  private static List<Sent> all(List<Sent>... sent) {
    return Stream.of(sent).flatMap(List::stream).toList();
  }

  /** A table row of an order: its id and amount are those of the message at its offset. */
  private static void isTheOrder(Row r, Sent m) {
    assertThat(new String[] {m.key(), m.value()}).containsExactly(order(r.<Long>getAs("id")));
  }

  /** A quarantined row: the message's raw value, and why it is not an order. */
  private static void isQuarantinedWithItsReason(Row r, Sent m) {
    assertThat(WHY).as("a quarantined message is one of the bad ones: %s", m).containsKey(m.key());
    assertThat(r.<String>getAs("_raw")).isEqualTo(m.value());
    assertThat(r.<String>getAs("_reason")).isEqualTo(WHY.get(m.key()));
  }

  private static void noneQuarantined(Row r, Sent m) {
    fail("%s was quarantined: %s", m, r);
  }

  /**
   * Every message {@code sent} stands in the table or its quarantine exactly once, and no other row
   * does: the (topic, partition, offset) of their rows are the places the broker gave the messages,
   * none lost or twice. Each row carries its message's key, topic, partition, offset and timestamp,
   * and {@code inTable} and {@code inQuarantine} check the rest of it against its message.
   */
  private static void assertEachMessageOnce(Bronze t, List<Sent> sent, BiConsumer<Row, Sent> inTable,
      BiConsumer<Row, Sent> inQuarantine) {
    Map<String, Sent> byPosition = sent.stream().collect(Collectors.toMap(Sent::position, Function.identity()));
    List<String> positions = new ArrayList<>();
    t.rows().collectAsList().forEach(r -> positions.add(checked(r, byPosition, inTable)));
    if (new BronzeIngest(t.spec).quarantineTable().exists(SharedSpark.session())) {
      t.quarantined().collectAsList().forEach(r -> positions.add(checked(r, byPosition, inQuarantine)));
    }
    assertThat(positions).as("the topic/partition/offset of the table's and the quarantine's rows")
        .containsExactlyInAnyOrderElementsOf(byPosition.keySet());
  }

  /** The row's topic/partition/offset, once its lineage is checked against the message sent there. */
  private static String checked(Row r, Map<String, Sent> byPosition, BiConsumer<Row, Sent> check) {
    String position = r.getAs("_topic") + "/" + r.getAs("_partition") + "/" + r.getAs("_offset");
    Sent m = byPosition.get(position);
    assertThat(m).as("the message sent at %s, for the row %s", position, r).isNotNull();
    assertThat(r.<String>getAs("_key")).as("key of %s", position).isEqualTo(m.key());
    assertThat(r.<Timestamp>getAs("_timestamp").getTime()).as("timestamp of %s", position).isEqualTo(m.timestamp());
    assertThat(r.<String>getAs("_source")).isEqualTo("kafka:" + position);
    check.accept(r, m);
    return position;
  }

  @Test
  void batchThenStreamEveryMessageOnceWithItsOffsets() throws Exception {
    List<Sent> first = broker.send("orders", orders(1, 5));
    List<Sent> firstBad = broker.send("orders", List.of(message("not-json", "not json at all"), message("tombstone", null),
        message("metadata-keys", "{\"id\": 6, \"_offset\": 99, \"_key\": \"x\"}")));
    Bronze t = Bronze.table("orders_kafka", "delta", ORDERS_SOURCE.formatted(broker.bootstrapServers(), "orders", ""));

    TableRunResult batch = t.run();
    assertThat(batch.error()).isEmpty();
    assertThat(batch.rowsWritten()).isEqualTo(first.size());
    assertThat(batch.rowsQuarantined()).isEqualTo(firstBad.size());
    assertEachMessageOnce(t, all(first, firstBad), KafkaSourceTest::isTheOrder, KafkaSourceTest::isQuarantinedWithItsReason);

    // stream mode continues from the checkpoint's offsets
    TableRunner.RunningTable stream = t.startStream();
    List<Sent> streamed = new ArrayList<>(broker.send("orders", orders(6, 8)));
    List<Sent> streamedBad = broker.send("orders", List.of(message("empty", ""), message("wrong-type", "{\"id\": \"six\"}")));
    stream.processAllAvailable();
    streamed.addAll(broker.send("orders", orders(9, 10)));
    stream.processAllAvailable();
    TableRunResult run = stream.stop();
    assertThat(run.error()).isEmpty();
    assertThat(run.rowsWritten()).isEqualTo(streamed.size());
    assertThat(run.rowsQuarantined()).isEqualTo(streamedBad.size());

    assertEachMessageOnce(t, all(first, firstBad, streamed, streamedBad), KafkaSourceTest::isTheOrder,
        KafkaSourceTest::isQuarantinedWithItsReason);
    assertThat(t.run().batches()).isZero();
  }

  /**
   * Messages aged out of Kafka (retention) before the table read them: the run stops, saying which
   * offsets are gone and the two ways on; with {@code failOnDataLoss = "false"} it reads what Kafka holds.
   */
  @Test
  void messagesAgedOutBeforeTheTableReadThemStopItsRunWithWhatToDo() throws Exception {
    List<Sent> read = broker.send("aging", orders(1, 5));
    Bronze t = Bronze.table("aging_kafka", "delta", ORDERS_SOURCE.formatted(broker.bootstrapServers(), "aging", ""));
    assertThat(t.run().rowsWritten()).isEqualTo(read.size());

    broker.send("aging", orders(6, 10));
    broker.deleteAllRecords("aging"); // what retention does to messages older than it keeps
    List<Sent> kept = broker.send("aging", orders(11, 12));
    TableRunResult lost = t.run();
    assertThat(lost.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(lost.error().orElseThrow()).startsWith("Cannot fetch offset ").contains("TopicPartition: aging-",
        "Kafka no longer holds messages bronze.aging_kafka had yet to read", "options { failOnDataLoss = \"false\" }",
        "or run it with --full-refresh");
    assertEachMessageOnce(t, read, KafkaSourceTest::isTheOrder, KafkaSourceTest::noneQuarantined);

    TableRunResult onward = t.withBlock(ORDERS_SOURCE.formatted(broker.bootstrapServers(), "aging",
        ", options { failOnDataLoss = \"false\" }")).run();
    assertThat(onward.error()).isEmpty();
    assertEachMessageOnce(t, all(read, kept), KafkaSourceTest::isTheOrder, KafkaSourceTest::noneQuarantined);
  }

  @Test
  void rawStringValuesByTopicPattern() {
    List<Sent> web = broker.send("logs-web", List.of(message(null, "GET /"), message(null, "GET /about")));
    List<Sent> api = broker.send("logs-api", List.of(message("u1", "POST /orders"), message("u2", null)));
    Bronze t = Bronze.table("logs", "hudi", """
        source { type = kafka, bootstrap-servers = "%s", topic-pattern = "logs-.*", value = string }
        """.formatted(broker.bootstrapServers()));
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertEachMessageOnce(t, all(web, api), (row, m) -> assertThat(row.<String>getAs("value")).isEqualTo(m.value()),
        KafkaSourceTest::noneQuarantined);
  }
}
