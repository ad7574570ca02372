package dev.lakehouse.bronze.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A real Kafka broker (KRaft, no ZooKeeper) in its own JVM on 127.0.0.1 and free ports. Its class
 * path comes from the testing/kafka-broker module, so its Kafka version never meets Spark's
 * kafka-clients. Stopped by the process it started.
 */
public final class KafkaBroker implements AutoCloseable {
  private final Process process;
  private final String bootstrap;

  private KafkaBroker(Process process, String bootstrap) {
    this.process = process;
    this.bootstrap = bootstrap;
  }

  public static KafkaBroker start(Path dir) {
    try {
      String classpath = Files.readString(Path.of(System.getProperty("kafka.broker.classpath",
          "../testing/kafka-broker/target/classpath.txt"))).trim();
      int port = freePort();
      int controller = freePort();
      Path logs = Files.createDirectories(dir.resolve("kafka-logs"));
      Properties p = new Properties();
      p.setProperty("process.roles", "broker,controller");
      p.setProperty("node.id", "1");
      p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controller);
      p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controller);
      p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
      p.setProperty("controller.listener.names", "CONTROLLER");
      p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
      p.setProperty("log.dirs", logs.toString());
      p.setProperty("num.partitions", "2");
      p.setProperty("offsets.topic.replication.factor", "1");
      p.setProperty("transaction.state.log.replication.factor", "1");
      p.setProperty("transaction.state.log.min.isr", "1");
      p.setProperty("group.initial.rebalance.delay.ms", "0");
      Path props = dir.resolve("server.properties");
      try (var out = Files.newOutputStream(props)) {
        p.store(out, "test broker");
      }
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> base = List.of(java, "-Xmx384m", "-cp", classpath);
      Path out = dir.resolve("kafka.out");
      List<String> format = new ArrayList<>(base);
      format.addAll(List.of("kafka.tools.StorageTool", "format", "-t", UUID.randomUUID().toString().replace("-", "").substring(0, 22),
          "-c", props.toString()));
      Process f = new ProcessBuilder(format).redirectErrorStream(true).redirectOutput(dir.resolve("format.out").toFile()).start();
      if (!f.waitFor(120, TimeUnit.SECONDS) || f.exitValue() != 0) {
        throw new IllegalStateException("Kafka storage format failed: " + Files.readString(dir.resolve("format.out")));
      }
      List<String> server = new ArrayList<>(base);
      server.addAll(List.of("kafka.Kafka", props.toString()));
      Process broker = new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        if (!broker.isAlive()) {
          throw new IllegalStateException("Kafka broker exited: " + Files.readString(out));
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
          return new KafkaBroker(broker, "127.0.0.1:" + port);
        } catch (IOException notYet) {
          Thread.sleep(250);
        }
      }
      broker.destroyForcibly();
      throw new IllegalStateException("Kafka broker did not listen on " + port + " within 120 s: " + Files.readString(out));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String bootstrapServers() {
    return bootstrap;
  }

  /** A message as the broker took it: where it stands in the topic, its timestamp, key and value. */
  public record Sent(String topic, int partition, long offset, long timestamp, String key, String value) {
    /** {@code topic/partition/offset}: the message's place, which no other message of the broker has. */
    public String position() {
      return topic + "/" + partition + "/" + offset;
    }
  }

  /**
   * Sends {@code (key, value)} pairs to {@code topic}, waits until the broker has them all, and
   * returns them as it took them, in order.
   */
  public List<Sent> send(String topic, List<String[]> messages) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrap);
    p.setProperty("acks", "all");
    List<Sent> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (String[] m : messages) {
        RecordMetadata at = producer.send(new ProducerRecord<>(topic, m[0], m[1])).get(60, TimeUnit.SECONDS);
        sent.add(new Sent(at.topic(), at.partition(), at.offset(), at.timestamp(), m[0], m[1]));
      }
    } catch (Exception e) {
      throw new IllegalStateException("Cannot send to " + topic + ": " + e.getMessage(), e);
    }
    return sent;
  }

  /** Deletes every message the topic holds now, as retention deletes old ones: the partitions' start offsets move to their ends. */
  public void deleteAllRecords(String topic) {
    Properties p = new Properties();
    p.setProperty("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(p)) {
      Map<TopicPartition, RecordsToDelete> before = new HashMap<>();
      for (TopicPartitionInfo info : admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic).partitions()) {
        TopicPartition tp = new TopicPartition(topic, info.partition());
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(60, TimeUnit.SECONDS).offset();
        before.put(tp, RecordsToDelete.beforeOffset(end));
      }
      admin.deleteRecords(before).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot delete the records of " + topic + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
