package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real PostgreSQL: each run reads only rows past the last high-water mark, in a partitioned read. */
class JdbcSourceTest {
  private static EmbeddedPostgres postgres;

  @BeforeAll
  static void startPostgres() throws Exception {
    postgres = EmbeddedPostgres.builder().start();
  }

  @AfterAll
  static void stopPostgres() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      for (String st : statements) {
        s.execute(st);
      }
    }
  }

  @Test
  void watermarkRunsPickUpOnlyNewAndUpdatedRows() throws Exception {
    sql("CREATE TABLE customers (id INT PRIMARY KEY, name TEXT, balance NUMERIC(10,2), updated_at TIMESTAMP NOT NULL)",
        "INSERT INTO customers SELECT g, 'c' || g, g * 1.5, TIMESTAMP '2024-01-01' + g * INTERVAL '1 minute' FROM generate_series(1, 50) g");
    Bronze t = Bronze.table("customers", "delta", """
        source {
          type = jdbc, url = "jdbc:postgresql://localhost:%d/postgres", table = public.customers
          watermark-column = updated_at
          partition { column = id, lower-bound = 1, upper-bound = 50, partitions = 3 }
          options { user = postgres, password = "" }
        }
        """.formatted(postgres.getPort()));

    TableRunResult first = t.run();
    assertThat(first.error()).isEmpty();
    assertThat(first.rowsWritten()).isEqualTo(50);
    assertThat(t.rows().select("id").distinct().count()).isEqualTo(50);
    assertThat(t.rows().first().<String>getAs("_source"))
        .isEqualTo("jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres public.customers updated_at in (-inf, 2024-01-01 00:50:00]");

    sql("UPDATE customers SET balance = 0, updated_at = TIMESTAMP '2024-02-01' WHERE id IN (7, 8)",
        "INSERT INTO customers VALUES (51, 'new', 1.00, TIMESTAMP '2024-02-02')");
    TableRunResult second = t.run();
    assertThat(second.error()).isEmpty();
    assertThat(second.rowsWritten()).isEqualTo(3);
    List<Row> latest = t.rows().where("_batch_id = 1").orderBy("id").collectAsList();
    assertThat(latest).extracting(r -> r.<Integer>getAs("id")).containsExactly(7, 8, 51);
    assertThat(latest.get(0).<java.math.BigDecimal>getAs("balance")).isEqualByComparingTo("0");
    assertThat(t.rows().count()).isEqualTo(53); // bronze keeps both versions of 7 and 8
    // The run log records the high-water mark each run ended at.
    assertThat(first.sourceVersions().values()).containsExactly("\"2024-01-01 00:50:00\"");
    assertThat(second.sourceVersions().values()).containsExactly("\"2024-02-02 00:00:00\"");

    TableRunResult third = t.run();
    assertThat(third.batches()).isZero();
    assertThat(t.rows().count()).isEqualTo(53);
  }

  /**
   * The driver's error (a checked SQLException Spark throws undeclared) escaped the source's
   * handler and the runner's: the run ended with the driver's exception instead of a failed table.
   */
  @Test
  void aMissingTableFailsItsRunWithWhatToCheck() {
    Bronze t = Bronze.table("missing_pg", "delta", """
        source {
          type = jdbc, url = "jdbc:postgresql://localhost:%d/postgres", table = public.no_such_table
          watermark-column = updated_at, options { user = postgres, password = "" }
        }
        """.formatted(postgres.getPort()));
    TableRunResult run = t.run();
    assertThat(run.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(run.error().orElseThrow()).contains(
        "Cannot read the columns of public.no_such_table at jdbc:postgresql://localhost:" + postgres.getPort() + "/postgres for bronze.missing_pg",
        "does not exist", "check url, table or query, and the credentials in options");
  }

  @Test
  void aQueryWithANumericWatermark() throws Exception {
    sql("CREATE TABLE events (seq BIGINT, kind TEXT)", "INSERT INTO events SELECT g, 'k' || (g % 3) FROM generate_series(1, 10) g");
    Bronze t = Bronze.table("events_pg", "hudi", """
        source {
          type = jdbc, url = "jdbc:postgresql://localhost:%d/postgres?user=postgres"
          query = "SELECT seq, upper(kind) AS kind FROM events WHERE kind <> 'k0'", watermark-column = seq
        }
        """.formatted(postgres.getPort()));
    assertThat(t.run().rowsWritten()).isEqualTo(7);
    sql("INSERT INTO events SELECT g, 'k' || (g % 3) FROM generate_series(11, 13) g");
    assertThat(t.run().rowsWritten()).isEqualTo(2);
    assertThat(t.rows().select("seq").as(org.apache.spark.sql.Encoders.LONG()).collectAsList())
        .containsExactlyInAnyOrder(1L, 2L, 4L, 5L, 7L, 8L, 10L, 11L, 13L);
  }
}
