package dev.lakehouse.silver.cdc;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * An embedded PostgreSQL with logical decoding and one of its tables captured by Debezium into
 * {@link #landing()}, as JSON-lines files: the source database of a change data capture test.
 */
final class CapturedDatabase implements AutoCloseable {
  private final EmbeddedPostgres postgres;
  private final Path landing;
  private DebeziumCapture capture;

  private CapturedDatabase(EmbeddedPostgres postgres, Path landing) {
    this.postgres = postgres;
    this.landing = landing;
  }

  /**
   * Starts PostgreSQL, runs {@code setup} (which creates {@code table} in schema public), then
   * captures the table, waiting for the snapshot's {@code snapshotRows} events.
   */
  static CapturedDatabase start(Path dir, String table, int snapshotRows, String... setup) throws Exception {
    CapturedDatabase db = new CapturedDatabase(EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start(),
        Files.createDirectories(dir.resolve("landing")));
    try {
      db.sql(setup);
      db.capture = new DebeziumCapture(db.postgres.getPort(), "public." + table, db.landing, dir.resolve("offsets.dat"));
      db.capture.start();
      db.capture.awaitEvents(snapshotRows);
      return db;
    } catch (Exception e) {
      db.close();
      throw e;
    }
  }

  Path landing() {
    return landing;
  }

  /** Waits until at least {@code n} events (tombstones included) have been landed in all. */
  void awaitEvents(int n) throws Exception {
    capture.awaitEvents(n);
  }

  void sql(String... statements) throws Exception {
    try (Connection c = connection(); Statement s = c.createStatement()) {
      for (String st : statements) {
        s.execute(st);
      }
    }
  }

  Connection connection() throws Exception {
    return postgres.getPostgresDatabase().getConnection();
  }

  @Override
  public void close() throws Exception {
    if (capture != null) {
      capture.close();
    }
    postgres.close();
  }
}
