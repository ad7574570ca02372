package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.Test;

/** Files landing in drops: picked up once each, bad lines kept aside with their reason, counts exact. */
class FileSourceTest {

  @Test
  void csvDropsArePickedUpOnceAndAMalformedLineIsQuarantined() {
    Bronze t = Bronze.table("orders", "delta", """
        source { type = files, format = csv, path = landing/orders, schema = "id BIGINT, customer STRING, amount DECIMAL(10,2)", options { header = "true" } }
        """);
    Path landing = t.landing("landing/orders");
    Bronze.land(landing, "a.csv", "id,customer,amount\n1,ann,10.50\n2,bob,oops\n3,cy,7.25\n4,dee,1.00,surplus\n");

    TableRunResult first = t.run();
    assertThat(first.error()).isEmpty();
    assertThat(first.rowsWritten()).isEqualTo(2);
    assertThat(first.rowsQuarantined()).isEqualTo(2);
    assertThat(t.rows().select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList()).containsExactlyInAnyOrder(1L, 3L);
    List<Row> bad = t.quarantined().orderBy("_raw").collectAsList();
    assertThat(bad).extracting(r -> r.getAs("_raw")).containsExactly("2,bob,oops", "4,dee,1.00,surplus");
    assertThat(bad).allSatisfy(r -> {
      assertThat((String) r.getAs("_source")).endsWith("landing/orders/a.csv");
      assertThat((String) r.getAs("_reason")).startsWith("Cannot read the CSV line with schema");
      assertThat((Long) r.getAs("_batch_id")).isEqualTo(0L);
    });

    Bronze.land(landing, "b.csv", "id,customer,amount\n5,eve,3.00\n6,fay,4.00\n");
    TableRunResult second = t.run();
    assertThat(second.rowsWritten()).isEqualTo(2);
    assertThat(second.rowsQuarantined()).isZero();
    assertThat(t.rows().count()).isEqualTo(4);
    assertThat(t.rows().where("_source LIKE '%/b.csv'").count()).isEqualTo(2);

    TableRunResult third = t.run();
    assertThat(third.batches()).isZero();
    assertThat(third.changedTable()).isFalse();
    assertThat(t.rows().count() + t.quarantined().count()).isEqualTo(6); // every landed record, once

    // Read by header, not by position: columns reordered, and one missing; in files whose names
    // need URL-encoding and hold glob characters, which the re-read by header must load as they are.
    Bronze.land(landing, "c [reordered] 1.csv", "amount,id,customer\n5.00,7,gus\n");
    Bronze.land(landing, "d 2.csv", "id,customer\n8,hal\n");
    TableRunResult fourth = t.run();
    assertThat(fourth.error()).isEmpty();
    assertThat(fourth.rowsWritten()).isEqualTo(2);
    assertThat(t.rows().where("id >= 7").orderBy("id").select("id", "customer", "amount").collectAsList())
        .extracting(Row::toString).containsExactly("[7,gus,5.00]", "[8,hal,null]");
    assertThat(t.rows().where("id = 7").select("_source").as(org.apache.spark.sql.Encoders.STRING()).first())
        .endsWith("/c%20%5Breordered%5D%201.csv");
  }

  /**
   * Landing folders named {@code col=value} give the column {@code col}, with or without a header,
   * as Spark's file stream reads them; a reordered header is still read by name.
   */
  /**
   * A file landed again under a name the table already read (a daily orders.csv overwritten): Spark's
   * file source skips the name without a word; the run refuses to start, naming the file, and goes on
   * once the new content is landed under a new name. Files the table read are left alone.
   */
  @Test
  void aFileLandedAgainUnderANameAlreadyReadStopsTheRunUntilItIsRenamed() throws Exception {
    Bronze t = Bronze.table("relanded", "delta", """
        source { type = files, format = csv, path = landing/orders, schema = "id BIGINT, amount BIGINT", options { header = "true" } }
        """);
    Path dir = t.landing("landing/orders");
    Bronze.land(dir, "orders.csv", "id,amount\n1,10\n2,20\n");
    Bronze.land(dir, "other.csv", "id,amount\n5,50\n");
    assertThat(t.run().rowsWritten()).isEqualTo(3);
    assertThat(t.run().error()).as("files read and unchanged stop nothing").isEmpty();

    Files.delete(dir.resolve("orders.csv"));
    Bronze.land(dir, "orders.csv", "id,amount\n3,30\n4,40\n");
    Files.setLastModifiedTime(dir.resolve("orders.csv"),
        FileTime.fromMillis(System.currentTimeMillis() + 2_000)); // later than the first, whatever the clock's grain
    Bronze.land(dir, "new.csv", "id,amount\n6,60\n");
    TableRunResult relanded = t.run();
    assertThat(relanded.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(relanded.error().orElseThrow()).startsWith("Cannot ingest into bronze.relanded: 1 file(s) under ")
        .contains("orders.csv (taken in micro-batch 0 as modified at ", "land it under a new name", "move the file out of ")
        .doesNotContain("other.csv");
    assertThat(t.rows().count()).isEqualTo(3);

    Files.move(dir.resolve("orders.csv"), dir.resolve("orders-2.csv"));
    assertThat(t.run().error()).isEmpty();
    assertThat(t.rows().collectAsList()).extracting(r -> r.<Long>getAs("id")).containsExactlyInAnyOrder(1L, 2L, 5L, 3L, 4L, 6L);
  }

  @Test
  void csvInColValueFoldersKeepsTheFolderColumnWithAndWithoutHeaders() throws Exception {
    Bronze t = Bronze.table("sales", "delta", """
        source { type = files, format = csv, path = landing/sales, schema = "id BIGINT, amount DECIMAL(10,2), day STRING" }
        """);
    Bronze.land(t.landing("landing/sales/day=2024-01-01"), "a.csv", "1,1.50\n2,2.50\n");
    Bronze.land(t.landing("landing/sales/day=2024-01-02"), "b[1].csv", "3,3.50\n");
    assertThat(t.run().rowsWritten()).isEqualTo(3);
    assertThat(t.rows().orderBy("id").select("id", "amount", "day").collectAsList()).extracting(Row::toString)
        .containsExactly("[1,1.50,2024-01-01]", "[2,2.50,2024-01-01]", "[3,3.50,2024-01-02]");
    // Spark's _metadata.file_path, which _source is, spells a file name URL-encoded.
    assertThat(t.rows().where("id = 3").select("_source").first().getString(0)).endsWith("/day=2024-01-02/b%5B1%5D.csv");

    // With headers: the folder's column is not in a file's header, and a reordered header is read by name.
    Bronze h = Bronze.table("sales_h", "hudi", """
        source { type = files, format = csv, path = landing/sales, schema = "id BIGINT, amount DECIMAL(10,2), day STRING", options { header = "true" } }
        """);
    Bronze.land(h.landing("landing/sales/day=2024-02-01"), "a.csv", "id,amount\n1,1.50\n");
    List<String> writes = savePlans(() -> assertThat(h.run().rowsWritten()).isEqualTo(1));
    assertThat(writes).hasSize(1).allSatisfy(plan -> assertThat(plan).doesNotContain("Union")); // not read again by header
    Bronze.land(h.landing("landing/sales/day=2024-02-02"), "b.csv", "amount,id\n2.50,2\n");
    assertThat(h.run().rowsWritten()).isEqualTo(1);
    assertThat(h.rows().orderBy("id").select("id", "amount", "day").collectAsList()).extracting(Row::toString)
        .containsExactly("[1,1.50,2024-02-01]", "[2,2.50,2024-02-02]");
  }

  /** The analysed plans of the table writes ({@code DataFrameWriter.save}) that {@code run} makes. */
  private static List<String> savePlans(Runnable run) throws InterruptedException {
    List<String> writes = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    org.apache.spark.sql.util.QueryExecutionListener listener = new org.apache.spark.sql.util.QueryExecutionListener() {
      @Override
      public void onSuccess(String funcName, org.apache.spark.sql.execution.QueryExecution qe, long durationNs) {
        String plan = qe.analyzed().toString();
        if (plan.contains("SaveIntoDataSourceCommand")) {
          writes.add(plan);
        }
      }

      @Override
      public void onFailure(String funcName, org.apache.spark.sql.execution.QueryExecution qe, Exception exception) {}
    };
    SharedSpark.session().listenerManager().register(listener);
    try {
      run.run();
      long deadline = System.nanoTime() + 10_000_000_000L; // the listener bus is asynchronous
      while (writes.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      Thread.sleep(200); // and a second write, if any, is reported too
    } finally {
      SharedSpark.session().listenerManager().unregister(listener);
    }
    return new java.util.ArrayList<>(writes);
  }

  @Test
  void jsonLinesAndMultiLineDocumentsWithAMalformedOneRescued() {
    Bronze lines = Bronze.table("events", "delta", """
        source { type = files, format = json, path = landing/events, schema = "id BIGINT, kind STRING" }
        bad-records = rescue
        """);
    Path landing = lines.landing("landing/events");
    Bronze.land(landing, "1.json", "{\"id\": 1, \"kind\": \"click\"}\n\n{\"id\": 2, \"kind\": \n{\"id\": \"three\", \"kind\": \"view\"}\n{\"id\": 4}\n");
    TableRunResult r = lines.run();
    assertThat(r.error()).isEmpty();
    assertThat(r.rowsQuarantined()).isZero();
    List<Row> rows = lines.rows().orderBy("id").collectAsList();
    assertThat(rows).hasSize(4);
    // Counted by the pass that parsed them (no job of their own): two good records, two rescued.
    assertThat(r.rowsWritten()).isEqualTo(4);
    assertThat(lines.rows().where("_rescued_data IS NULL").select("id").as(org.apache.spark.sql.Encoders.LONG())
        .collectAsList()).containsExactlyInAnyOrder(1L, 4L);
    assertThat(lines.rows().where("_rescued_data IS NOT NULL").select("_rescued_data").as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList()).containsExactlyInAnyOrder("{\"id\": 2, \"kind\": ", "{\"id\": \"three\", \"kind\": \"view\"}");

    Bronze multi = Bronze.table("docs", "delta", """
        source { type = files, format = json, path = landing/docs, schema = "id BIGINT, tags ARRAY<STRING>", options { multiLine = "true" } }
        """);
    Path docs = multi.landing("landing/docs");
    Bronze.land(docs, "array.json", "[\n  {\"id\": 1,\n   \"tags\": [\"a\", \"b\"]},\n  {\"id\": 2, \"tags\": []}\n]\n");
    Bronze.land(docs, "object.json", "{\n  \"id\": 3,\n  \"tags\": [\"c\"]\n}\n");
    Bronze.land(docs, "broken.json", "{\n  \"id\": 4,\n  \"tags\": [\"d\"\n");
    // JSON Lines where one document per file is expected: Spark's parser reads the first document
    // and ignores the rest; the file is quarantined whole instead, nothing lost.
    Bronze.land(docs, "lines.json", "{\"id\": 5, \"tags\": []}\n{\"id\": 6, \"tags\": []}\n");
    TableRunResult m = multi.run();
    assertThat(m.error()).isEmpty();
    assertThat(multi.rows().select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList()).containsExactlyInAnyOrder(1L, 2L, 3L);
    assertThat(m.rowsQuarantined()).isEqualTo(2);
    assertThat(m.rowsWritten()).isEqualTo(3);
    Row bad = multi.quarantined().where("_source LIKE '%/broken.json'").first();
    assertThat((String) bad.getAs("_raw")).isEqualTo("{\n  \"id\": 4,\n  \"tags\": [\"d\"\n");
    assertThat((String) bad.getAs("_reason")).isEqualTo("Cannot parse the record as a JSON object: malformed JSON");
    Row lines2 = multi.quarantined().where("_source LIKE '%/lines.json'").first();
    assertThat((String) lines2.getAs("_raw")).isEqualTo("{\"id\": 5, \"tags\": []}\n{\"id\": 6, \"tags\": []}\n");
    assertThat((String) lines2.getAs("_reason")).isEqualTo("Cannot parse the record as one JSON object: more follows its first"
        + " document; land one document per line (JSON Lines), or one per file with the option multiLine = true");
  }

  /**
   * A gzipped CSV file with a header: its header is read through its codec, as Spark reads its
   * rows (read as raw bytes it was no header, and failed the batch as drift).
   */
  @Test
  void aCompressedCsvFileIsReadByItsHeader() throws Exception {
    Bronze t = Bronze.table("gzipped", "delta", """
        source { type = files, format = csv, path = landing/gz, schema = "id BIGINT, name STRING", options { header = "true" } }
        """);
    Path landing = t.landing("landing/gz");
    Path written = t.root.resolve(".1.csv.gz");
    try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(written))) {
      out.write("name,id\nann,1\nbob,2\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    java.nio.file.Files.move(written, landing.resolve("1.csv.gz"));
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(t.rows().orderBy("id").collectAsList()).extracting(row -> row.getAs("id") + ":" + row.getAs("name"))
        .containsExactly("1:ann", "2:bob");
  }

  /** Two documents on one line of a JSON Lines file: the line is a bad record, not its first document alone. */
  @Test
  void twoDocumentsOnOneLineAreABadRecord() {
    Bronze t = Bronze.table("two_per_line", "delta", """
        source { type = files, format = json, path = landing/events, schema = "id BIGINT" }
        """);
    Bronze.land(t.landing("landing/events"), "1.json", "{\"id\": 1}\n{\"id\": 2} {\"id\": 3}\n{\"id\": 4}\n");
    TableRunResult r = t.run();
    assertThat(r.error()).isEmpty();
    assertThat(t.rows().select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList()).containsExactlyInAnyOrder(1L, 4L);
    assertThat(r.rowsQuarantined()).isEqualTo(1);
    assertThat((String) t.quarantined().first().getAs("_raw")).isEqualTo("{\"id\": 2} {\"id\": 3}");
  }

  /** Moves the data files a Spark write made (not its _SUCCESS and .crc files) into {@code landing}. */
  private static void moveDataFiles(Path written, Path landing) {
    moveDataFiles(written, landing, "");
  }

  /** As above, each file's name prefixed with {@code prefix}. */
  private static void moveDataFiles(Path written, Path landing, String prefix) {
    try (var files = Files.list(written)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
        Files.move(f, landing.resolve(prefix + f.getFileName()));
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void parquetAvroAndTextWithSchemasInferredOnceAndPinned() {
    var spark = SharedSpark.session();
    for (String format : List.of("parquet", "avro")) {
      Bronze t = Bronze.table("typed_" + format, "delta", "source { type = files, format = " + format + ", path = landing/in }");
      Path landing = t.landing("landing/in");
      Path written = t.root.resolve("written");
      spark.sql("SELECT id, CAST(id * 1.5 AS DECIMAL(8,2)) AS price, DATE'2024-01-01' + CAST(id AS INT) AS day FROM range(5)")
          .coalesce(1).write().mode(SaveMode.Overwrite).format(format).save(written.toString());
      moveDataFiles(written, landing);
      TableRunResult r = t.run();
      assertThat(r.error()).as(format).isEmpty();
      assertThat(t.rows().count()).isEqualTo(5);
      assertThat(t.rows().schema().apply("price").dataType().simpleString()).isEqualTo("decimal(8,2)");
      // inferred once, now pinned in the table: the next run reads with it, not with a new inference
      assertThat(new BronzeIngest(t.spec).input(spark).schema().apply("price").dataType().simpleString())
          .isEqualTo("decimal(8,2)");
      assertThat(t.run().batches()).isZero();
      // a later file written with one more column: schema drift, fail by default, naming it
      Path wider = t.root.resolve("wider");
      spark.sql("SELECT 7L AS id, CAST(1 AS DECIMAL(8,2)) AS price, DATE'2024-03-01' AS day, 'new' AS channel")
          .coalesce(1).write().mode(SaveMode.Overwrite).format(format).save(wider.toString());
      moveDataFiles(wider, landing, "v2 [wide] "); // read again for its schema: by its name as it is
      assertThat(t.run().error().orElseThrow()).contains("records carry columns its schema does not have: channel");
      assertThat(t.rows().count()).isEqualTo(5);
    }
    Bronze text = Bronze.table("log", "hudi", "source { type = files, format = text, path = landing/log }");
    Bronze.land(text.landing("landing/log"), "app.log", "started\nworking\nstopped\n");
    assertThat(text.run().error()).isEmpty();
    assertThat(text.rows().select("value").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("started", "working", "stopped");
  }
}
