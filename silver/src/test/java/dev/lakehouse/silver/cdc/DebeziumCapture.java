package dev.lakehouse.silver.cdc;

import io.debezium.engine.ChangeEvent;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.format.Json;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A real Debezium engine (PostgreSQL connector, pgoutput) that lands every batch of change events
 * as one JSON-lines file in a landing folder, the way a capture service feeds bronze. A file is
 * written aside and renamed, and its offsets are committed only after the rename: at-least-once.
 * A tombstone (no value) is written as {@code {}}, which is what a JSON reader makes of Kafka's
 * null value: every envelope field null.
 */
final class DebeziumCapture implements AutoCloseable {
  private final DebeziumEngine<ChangeEvent<String, String>> engine;
  private final ExecutorService executor = Executors.newSingleThreadExecutor();
  private final CountDownLatch started = new CountDownLatch(1);
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final AtomicInteger files = new AtomicInteger();
  private final AtomicInteger events = new AtomicInteger();

  DebeziumCapture(int port, String table, Path landing, Path offsets) {
    Properties p = new Properties();
    p.setProperty("name", "silver-cdc-test");
    p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
    p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
    p.setProperty("offset.storage.file.filename", offsets.toString());
    p.setProperty("offset.flush.interval.ms", "0");
    p.setProperty("database.hostname", "127.0.0.1");
    p.setProperty("database.port", String.valueOf(port));
    p.setProperty("database.user", "postgres");
    p.setProperty("database.password", "");
    p.setProperty("database.dbname", "postgres");
    p.setProperty("topic.prefix", "shop");
    p.setProperty("plugin.name", "pgoutput");
    p.setProperty("slot.name", "silver_test");
    p.setProperty("publication.name", "silver_test");
    p.setProperty("publication.autocreate.mode", "filtered");
    p.setProperty("table.include.list", table);
    p.setProperty("snapshot.mode", "initial");
    // The default ("precise") writes decimals as base64 bytes in schemaless JSON.
    p.setProperty("decimal.handling.mode", "string");
    p.setProperty("tombstones.on.delete", "true");
    p.setProperty("key.converter.schemas.enable", "false");
    p.setProperty("value.converter.schemas.enable", "false");
    engine = DebeziumEngine.create(Json.class)
        .using(p)
        .using(new DebeziumEngine.ConnectorCallback() {
          @Override
          public void taskStarted() {
            started.countDown();
          }
        })
        .using((ok, message, error) -> {
          if (!ok) {
            failure.set(error != null ? error : new IllegalStateException(message));
            started.countDown();
          }
        })
        .notifying((records, committer) -> {
          if (!records.isEmpty()) {
            int n = files.getAndIncrement();
            Path tmp = landing.getParent().resolve(".events-" + n + ".tmp");
            try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
              for (ChangeEvent<String, String> r : records) {
                w.write(r.value() == null ? "{}" : r.value());
                w.newLine();
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            try {
              Files.move(tmp, landing.resolve(String.format("events-%06d.json", n)), StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            for (ChangeEvent<String, String> r : records) {
              committer.markProcessed(r);
            }
            events.addAndGet(records.size());
          }
          committer.markBatchFinished();
        })
        .build();
  }

  /** Starts capturing and waits until the connector's task runs (snapshot first). */
  void start() throws Exception {
    executor.execute(engine);
    if (!started.await(120, TimeUnit.SECONDS)) {
      throw new IllegalStateException("Debezium did not start within 120 s");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("Debezium failed to start", failure.get());
    }
  }

  /** Waits until at least {@code n} events (tombstones included) have been landed in all. */
  void awaitEvents(int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (events.get() < n) {
      if (failure.get() != null) {
        throw new IllegalStateException("Debezium failed", failure.get());
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Debezium landed " + events.get() + " events within 120 s, expected " + n);
      }
      Thread.sleep(100);
    }
  }

  int events() {
    return events.get();
  }

  @Override
  public void close() throws Exception {
    engine.close();
    executor.shutdown();
    executor.awaitTermination(30, TimeUnit.SECONDS);
  }
}
