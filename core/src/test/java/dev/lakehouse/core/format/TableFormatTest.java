package dev.lakehouse.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every operation of the format layer, the same scenario on Delta and on Hudi, on real tables on disk. */
class TableFormatTest {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType)
      .add("name", DataTypes.StringType)
      .add("seq", DataTypes.LongType);

  /** The setting Hudi's incremental reads switch in their session (see HudiFormat.incrementalSession). */
  private static final String VECTORISED = "spark.sql.parquet.enableVectorizedReader";

  private final SparkSession spark = SharedSpark.session();

  private Dataset<Row> rows(Object[]... values) {
    return spark.createDataFrame(java.util.Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  private static List<String> content(Dataset<Row> df) {
    return df.orderBy("id").collectAsList().stream()
        .map(r -> r.getLong(0) + ":" + r.getString(1) + ":" + r.getLong(2)).toList();
  }

  private LakehouseTable table(FormatKind kind, String name, List<String> keys) {
    String location = SharedSpark.newDir(kind.id() + "-" + name).toString();
    return new LakehouseTable(new TableName(Layer.SILVER, name + "_" + kind.id()), location, keys, List.of(), kind);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void upsertKeepsTheNewestRowPerKeyAndVersionsTimeTravel(FormatKind kind) {
    LakehouseTable t = table(kind, "upsert", List.of("id"));
    assertThat(t.exists(spark)).isFalse();
    assertThat(t.currentVersion(spark)).isEmpty();

    t.upsert(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}), Optional.of("seq"));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    // id 1 gets a newer row, id 2 an older one (must lose), id 3 is new
    t.upsert(rows(new Object[] {1L, "a2", 2L}, new Object[] {2L, "stale", 0L}, new Object[] {3L, "c", 1L}), Optional.of("seq"));
    TableVersion v2 = t.currentVersion(spark).orElseThrow();

    assertThat(v2).isNotEqualTo(v1);
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "2:b:1", "3:c:1");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1");
    Dataset<Row> changes = t.readChanges(spark, v1, v2).where("id <> 2");
    assertThat(changes.columns()).contains(TableFormat.CHANGE_TYPE);
    assertThat(content(changes.where(TableFormat.isBeforeImage().unary_$bang()).drop(TableFormat.CHANGE_TYPE)))
        .containsExactly("1:a2:2", "3:c:1");
    assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("1:a:1");
    assertThat(t.readChanges(spark, v2, v2).count()).isZero();

    t.register(spark);
    assertThat(spark.sql("SELECT count(*) FROM " + t.name()).head().getLong(0)).isEqualTo(3);
    t.upsert(rows(new Object[] {4L, "d", 1L}), Optional.of("seq"));
    assertThat(spark.sql("SELECT count(*) FROM " + t.name()).head().getLong(0)).isEqualTo(4);
  }

  /**
   * Changes that only added keys (silver's new rows, inserted) replaced nothing: no before images,
   * and on Hudi no scan of the whole table as it was, which its before images otherwise take (the
   * merged Q1 of the benchmark took 12.3 s on Hudi for it, 1.8 s on Delta).
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void changesThatOnlyAddedKeysHaveNoBeforeImagesAndReadOneVersion(FormatKind kind) {
    LakehouseTable t = table(kind, "inserted", List.of("id"));
    Dataset<Row> first = rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L});
    t.replaceKeys(first, first.select("id"), "first"); // as silver writes: by key, then new keys inserted
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.insertNew(rows(new Object[] {3L, "c", 1L}, new Object[] {4L, "d", 1L}), "new keys");
    TableVersion v2 = t.currentVersion(spark).orElseThrow();
    Dataset<Row> inserted = t.readChanges(spark, v1, v2);
    assertThat(content(inserted.drop(TableFormat.CHANGE_TYPE))).containsExactly("3:c:1", "4:d:1");
    assertThat(inserted.where(TableFormat.isBeforeImage()).count()).isZero();
    assertThat(inserted.queryExecution().optimizedPlan().collectLeaves().size()).isEqualTo(1);

    Dataset<Row> update = rows(new Object[] {1L, "a2", 2L});
    t.replaceKeys(update, update.select("id"), "update"); // replaces a row of v1 and of v2
    TableVersion v3 = t.currentVersion(spark).orElseThrow();
    for (TableVersion from : List.of(v1, v2)) {
      Dataset<Row> changes = t.readChanges(spark, from, v3);
      assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("1:a:1");
      assertThat(content(changes.where(TableFormat.isBeforeImage().unary_$bang()).drop(TableFormat.CHANGE_TYPE)))
          .containsExactly(from == v1 ? new String[] {"1:a2:2", "3:c:1", "4:d:1"} : new String[] {"1:a2:2"});
    }
  }

  /**
   * Reading an incremental relation, Hudi 1.1 switches its session's vectorised Parquet reader off:
   * the caller's session keeps it (Delta scans planned afterwards read in batches), and a plan over
   * the changes and their before images, made before the switch, still runs after it (it failed
   * with Spark's INTERNAL_ERROR when counted after two collects).
   */
  @org.junit.jupiter.api.Test
  void aHudiIncrementalReadLeavesTheCallersSessionSettingsAsTheyWere() {
    LakehouseTable t = table(FormatKind.HUDI, "vectorised", List.of("id"));
    Dataset<Row> first = rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {3L, "c", 1L});
    t.replaceKeys(first, first.select("id"), "first");
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.insertNew(rows(new Object[] {4L, "d", 1L}), "insert");
    TableVersion v2 = t.currentVersion(spark).orElseThrow();
    Dataset<Row> update = rows(new Object[] {1L, "a2", 2L}, new Object[] {5L, "e", 1L});
    t.replaceKeys(update, update.select("id"), "update");
    TableVersion v3 = t.currentVersion(spark).orElseThrow();
    spark.conf().set(VECTORISED, "true");
    try {
      assertThat(content(t.readChanges(spark, v1, v2).drop(TableFormat.CHANGE_TYPE))).containsExactly("4:d:1");
      assertThat(spark.conf().get(VECTORISED)).isEqualTo("true");

      Dataset<Row> changes = t.readChanges(spark, v2, v3);
      assertThat(spark.conf().get(VECTORISED)).isEqualTo("true");
      assertThat(changes.collectAsList()).hasSize(3);
      assertThat(changes.drop(TableFormat.CHANGE_TYPE).collectAsList()).hasSize(3);
      assertThat(changes.count()).isEqualTo(3);
      assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("1:a:1");
      assertThat(content(changes.where(TableFormat.isBeforeImage().unary_$bang()).drop(TableFormat.CHANGE_TYPE)))
          .containsExactly("1:a2:2", "5:e:1");
    } finally {
      spark.conf().unset(VECTORISED);
    }
  }

  /**
   * Hudi's stream source reads its micro-batches as incremental relations of the session that made
   * the source: the caller's, when the stream was read there. Its first micro-batch switched the
   * caller's vectorised Parquet reader off, so the Delta table read after it (and every table of a
   * run sharing the session) read row by row; each stream cloned the switched setting at its start.
   */
  @org.junit.jupiter.api.Test
  void aHudiStreamLeavesTheCallersSessionSettingsAsTheyWere() throws Exception {
    LakehouseTable hudi = table(FormatKind.HUDI, "streamed", List.of());
    LakehouseTable delta = table(FormatKind.DELTA, "joined", List.of("id"));
    Dataset<Row> rows = rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L});
    hudi.append(rows, Optional.empty());
    delta.append(rows, Optional.empty());
    spark.conf().set(VECTORISED, "true");
    try {
      List<String> seen = new CopyOnWriteArrayList<>();
      VoidFunction2<Dataset<Row>, Long> batch = (b, id) -> {
        Dataset<Row> joined = b.join(delta.read(b.sparkSession()), "id"); // planned before the batch is read
        seen.add(b.count() + " rows, then " + joined.count() + " joined, setting " + b.sparkSession().conf().get(VECTORISED));
      };
      for (int stream = 1; stream <= 2; stream++) {
        hudi.readStream(spark).writeStream().option("checkpointLocation", SharedSpark.newDir("streamed-ck").toString())
            .trigger(Trigger.AvailableNow()).foreachBatch(batch).start().awaitTermination();
        assertThat(spark.conf().get(VECTORISED)).as("after stream " + stream).isEqualTo("true");
        hudi.append(rows(new Object[] {3L, "c", 1L}), Optional.empty());
      }
      // The second stream, a new checkpoint, reads the three rows; its session was cloned from the caller's.
      assertThat(seen).containsExactly("2 rows, then 2 joined, setting true", "3 rows, then 2 joined, setting true");
      assertThat(delta.read(spark).queryExecution().executedPlan().toString()).contains("ColumnarToRow");
    } finally {
      spark.conf().unset(VECTORISED);
    }
  }

  /**
   * Each table run ends by registering its table (on Delta only when the name does not already
   * name its location): the name then shows what its last write left, columns it added included.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void theRegisteredNameShowsTheColumnsAWriteAdded(FormatKind kind) {
    LakehouseTable t = table(kind, "widened", List.of());
    t.append(rows(new Object[] {1L, "a", 1L}), Optional.empty());
    t.register(spark);
    // Nullable, as a column that appears in later data is: the earlier rows have none.
    t.appendAddingColumns(rows(new Object[] {2L, "b", 1L}).withColumn("extra", org.apache.spark.sql.functions.expr("IF(id > 0, 'x', NULL)")),
        Optional.empty());
    t.register(spark);
    assertThat(spark.sql("SELECT id, extra FROM " + t.name() + " ORDER BY id").collectAsList()).map(Row::toString)
        .containsExactly("[1,null]", "[2,x]");
    // An overwrite replaces the columns too: a gold query that no longer selects one (refreshed in full).
    t.overwrite(rows(new Object[] {3L, "c", 1L}).drop("name"));
    t.register(spark);
    assertThat(spark.table(t.name().toString()).columns()).containsExactly("id", "seq");
    assertThat(spark.table(t.name().toString()).collectAsList()).map(Row::toString).containsExactly("[3,1]");
  }

  /**
   * A long-lived session (a notebook, a benchmark) may have registered a table's name for another
   * root, whose files are gone since: a write to the table at its own location must still succeed,
   * and leave the stale entry alone until the table run registers it again.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void aWriteSucceedsWhenItsNameIsRegisteredForDeletedFiles(FormatKind kind) {
    LakehouseTable old = table(kind, "moved", List.of("id"));
    old.upsert(rows(new Object[] {1L, "a", 1L}), Optional.of("seq"));
    old.register(spark);
    LakehouseTable.deletePath(spark, old.location());

    LakehouseTable moved = new LakehouseTable(old.name(), SharedSpark.newDir(kind.id() + "-moved-again").toString(),
        List.of("id"), List.of(), kind);
    moved.upsert(rows(new Object[] {2L, "b", 1L}), Optional.of("seq"));
    moved.upsert(rows(new Object[] {3L, "c", 1L}), Optional.of("seq"));
    moved.register(spark);
    assertThat(spark.sql("SELECT id FROM " + moved.name() + " ORDER BY id").collectAsList().stream()
        .map(r -> r.getLong(0)).toList()).containsExactly(2L, 3L);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void appendOfAReplayedBatchIsSkipped(FormatKind kind) {
    LakehouseTable t = table(kind, "append", List.of());
    t.append(rows(new Object[] {1L, "a", 1L}), Optional.of(new BatchMark("test", 0)));
    t.append(rows(new Object[] {2L, "b", 1L}, new Object[] {2L, "b", 1L}), Optional.of(new BatchMark("test", 1)));
    TableVersion before = t.currentVersion(spark).orElseThrow();
    // the same batch again, as after a crash between the table commit and the checkpoint commit
    t.append(rows(new Object[] {2L, "b", 1L}, new Object[] {2L, "b", 1L}), Optional.of(new BatchMark("test", 1)));
    assertThat(t.currentVersion(spark)).contains(before);
    // appends never deduplicate: both identical rows of batch 1 stay
    assertThat(content(t.read(spark))).containsExactly("1:a:1", "2:b:1", "2:b:1");
  }

  /**
   * A table without keys (bronze) loses rows only to its retention's delete: its changes show them
   * as deletes, so that a gold table reading it incrementally drops them as a full refresh would.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void rowsARetentionDeletedFromAKeylessTableAreDeletesAmongItsChanges(FormatKind kind) {
    LakehouseTable t = table(kind, "keyless", List.of());
    t.append(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {2L, "b", 1L}), Optional.empty());
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.append(rows(new Object[] {3L, "c", 1L}), Optional.empty());
    TableVersion v2 = t.currentVersion(spark).orElseThrow();
    assertThat(content(t.readChanges(spark, v1, v2).drop(TableFormat.CHANGE_TYPE))).containsExactly("3:c:1");
    t.deleteWhere(spark, "id = 2");
    t.append(rows(new Object[] {4L, "d", 1L}), Optional.empty());
    TableVersion v4 = t.currentVersion(spark).orElseThrow();

    Dataset<Row> changes = t.readChanges(spark, v1, v4);
    assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("2:b:1", "2:b:1");
    assertThat(changes.where(TableFormat.isBeforeImage()).select(TableFormat.CHANGE_TYPE).distinct().collectAsList())
        .extracting(r -> r.getString(0)).containsExactly(TableFormat.DELETE);
    assertThat(content(changes.where(TableFormat.isBeforeImage().unary_$bang()).drop(TableFormat.CHANGE_TYPE)))
        .containsExactly("3:c:1", "4:d:1");
  }

  /** Rows with a map column (a JSON object read as a map, say), which Spark cannot compare row by row. */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void rowsARetentionDeletedFromAKeylessTableWithAMapColumnAreDeletes(FormatKind kind) {
    LakehouseTable t = table(kind, "keyless_map", List.of());
    java.util.function.Function<String, Dataset<Row>> withTags = values ->
        spark.sql("SELECT CAST(id AS BIGINT) AS id, map('k', tag) AS tags FROM VALUES " + values + " AS t(id, tag)");
    t.append(withTags.apply("(1, 'a'), (2, 'b'), (2, 'b')"), Optional.empty());
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.deleteWhere(spark, "id = 2");
    t.append(withTags.apply("(3, 'c')"), Optional.empty());
    TableVersion v3 = t.currentVersion(spark).orElseThrow();

    Dataset<Row> changes = t.readChanges(spark, v1, v3);
    java.util.function.Function<Dataset<Row>, List<String>> content = df -> df.orderBy("id")
        .selectExpr("concat(id, ':', tags['k'], ':', " + TableFormat.CHANGE_TYPE + ")").collectAsList().stream()
        .map(r -> r.getString(0)).toList();
    assertThat(content.apply(changes.where(TableFormat.isBeforeImage())))
        .containsExactly("2:b:" + TableFormat.DELETE, "2:b:" + TableFormat.DELETE);
    assertThat(content.apply(changes.where(TableFormat.isBeforeImage().unary_$bang()).withColumn(TableFormat.CHANGE_TYPE,
        org.apache.spark.sql.functions.lit("new")))).containsExactly("3:c:new");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void lastBatchesAreTheNewestIdCommittedPerApp(FormatKind kind) throws Exception {
    LakehouseTable t = table(kind, "marks", List.of());
    assertThat(t.lastBatches(spark)).isEmpty(); // no table yet
    t.append(rows(new Object[] {1L, "a", 1L}), Optional.of(new BatchMark("a", 0)));
    t.append(rows(new Object[] {2L, "b", 1L}), Optional.of(new BatchMark("a", 0).by(BatchMark.Writer.KEY_GUARD)));
    t.append(rows(new Object[] {3L, "c", 1L}), Optional.of(new BatchMark("a", 7)));
    t.append(rows(new Object[] {4L, "d", 1L}), Optional.empty());
    Map<String, Long> expected = Map.of("a", 7L, "a/key-guard", 0L);
    assertThat(t.lastBatches(spark)).isEqualTo(expected);
    if (kind == FormatKind.DELTA) {
      // Without the checksum files that list them, read from the table's state.
      try (var log = java.nio.file.Files.list(java.nio.file.Path.of(t.location(), "_delta_log"))) {
        for (java.nio.file.Path crc : log.filter(f -> f.toString().endsWith(".crc")).toList()) {
          java.nio.file.Files.delete(crc);
        }
      }
      org.apache.spark.sql.delta.DeltaLog.clearCache(); // the snapshot loaded anew, without a checksum
      assertThat(t.lastBatches(spark)).isEqualTo(expected);
    }
  }


  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void overwriteReplacesEverythingAtomically(FormatKind kind) {
    LakehouseTable t = table(kind, "overwrite", List.of("id"));
    t.overwrite(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.overwrite(rows(new Object[] {3L, "c", 1L}));
    assertThat(content(t.read(spark))).containsExactly("3:c:1");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void historyCleanedAfterAVersionSaysSoOnceTheCleanupRemovedWhatItNeeds(FormatKind kind) {
    LakehouseTable t = table(kind, "cleaned", List.of("id"));
    t.upsert(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}), Optional.of("seq"));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    for (long seq = 2; seq <= 3; seq++) { // each upsert rewrites the file that holds id 1
      t.upsert(rows(new Object[] {1L, "a" + seq, seq}), Optional.of("seq"));
    }
    TableVersion v3 = t.currentVersion(spark).orElseThrow();
    assertThat(t.historyCleanedAfter(spark, v1)).isEmpty();
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1");

    clean(t);
    assertThat(t.historyCleanedAfter(spark, v1)).hasValueSatisfying(why -> assertThat(why).contains(v1.id()));
    assertThat(t.historyCleanedAfter(spark, v3)).isEmpty();
    assertThat(content(t.read(spark))).containsExactly("1:a3:3", "2:b:1");
  }

  /**
   * A table replaced by key keeps its files on Delta and marks replaced rows in deletion vectors:
   * the first replace leaves the first version's files in place, the second makes the first
   * replace's vector unreferenced, which VACUUM then deletes.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void historyCleanedAfterAVersionSeesDeletionVectorsTheCleanupRemoved(FormatKind kind) {
    LakehouseTable t = table(kind, "cleaned_dv", List.of("id"));
    Dataset<Row> key1 = spark.createDataFrame(List.of(RowFactory.create(1L)), new StructType().add("id", DataTypes.LongType));
    // Created by a replace, one file of three rows: replacing one of them marks it in a deletion
    // vector instead of rewriting the file.
    t.replaceKeys(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {3L, "c", 1L}).coalesce(1), key1, "v1");
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.replaceKeys(rows(new Object[] {1L, "a2", 2L}), key1, "v2");
    TableVersion v2 = t.currentVersion(spark).orElseThrow();
    Dataset<Row> key2 = spark.createDataFrame(List.of(RowFactory.create(2L)), new StructType().add("id", DataTypes.LongType));
    t.replaceKeys(rows(new Object[] {2L, "b3", 3L}), key2, "v3"); // the same file, a new vector
    clean(t);
    // From the first version on, the changes need the first vector; from the second, its rows do.
    assertThat(t.historyCleanedAfter(spark, v1)).isPresent();
    assertThat(t.historyCleanedAfter(spark, v2)).isPresent();
    assertThat(t.historyCleanedAfter(spark, t.currentVersion(spark).orElseThrow())).isEmpty();
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "2:b3:3", "3:c:1");
  }

  /**
   * The deletion vector branch alone: without change data files, only the replaced vectors tell
   * that VACUUM removed what the old versions need (the test above passes through the change files).
   */
  @org.junit.jupiter.api.Test
  void deltaHistoryCleanedAfterAVersionSeesDeletionVectorsWithoutChangeData() throws java.io.IOException {
    LakehouseTable t = table(FormatKind.DELTA, "cleaned_dv_only", List.of("id"));
    StructType keySchema = new StructType().add("id", DataTypes.LongType);
    Dataset<Row> key1 = spark.createDataFrame(List.of(RowFactory.create(1L)), keySchema);
    // Three rows in one file: replacing one of them at a time leaves live rows, so the file stays.
    t.replaceKeys(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {3L, "c", 1L}).coalesce(1), key1, "v1");
    spark.sql("ALTER TABLE delta.`" + t.location() + "` SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'false')");
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.replaceKeys(rows(new Object[] {1L, "a2", 2L}), key1, "v2");
    t.replaceKeys(rows(new Object[] {2L, "b3", 3L}), spark.createDataFrame(List.of(RowFactory.create(2L)), keySchema), "v3");
    assertThat(t.historyCleanedAfter(spark, v1)).isEmpty();
    clean(t);
    try (var files = java.nio.file.Files.walk(java.nio.file.Path.of(t.location()))) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(f -> f.startsWith("cdc-"));
    }
    assertThat(t.historyCleanedAfter(spark, v1)).hasValueSatisfying(why -> assertThat(why).contains("deletion_vector_"));
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "2:b3:3", "3:c:1");
  }

  @org.junit.jupiter.api.Test
  void deltaCommitsThatOnlyMaintainATableChangeNoData() {
    LakehouseTable t = table(FormatKind.DELTA, "maintained", List.of("id"));
    t.upsert(rows(new Object[] {1L, "a", 1L}), Optional.of("seq"));
    t.upsert(rows(new Object[] {2L, "b", 1L}), Optional.of("seq"));
    TableVersion v2 = t.currentVersion(spark).orElseThrow();
    spark.sql("OPTIMIZE delta.`" + t.location() + "`").collect(); // two files into one, no row changed
    spark.sql("VACUUM delta.`" + t.location() + "`").collect(); // commits its start and end
    TableVersion maintained = t.currentVersion(spark).orElseThrow();
    assertThat(Long.parseLong(maintained.id())).isGreaterThan(Long.parseLong(v2.id()) + 1);
    assertThat(t.changesData(spark, v2, maintained)).isFalse();
    t.upsert(rows(new Object[] {1L, "a2", 2L}), Optional.of("seq"));
    assertThat(t.changesData(spark, v2, t.currentVersion(spark).orElseThrow())).isTrue();
    assertThat(t.changesData(spark, maintained, t.currentVersion(spark).orElseThrow())).isTrue();
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "2:b:1");
  }

  /**
   * A clustering of a copy-on-write table and a compaction of a merge-on-read one rewrite files
   * and commit, and leave every row as it was.
   */
  @org.junit.jupiter.api.Test
  void hudiCommitsThatOnlyReorganiseATableChangeNoData() {
    LakehouseTable cow = table(FormatKind.HUDI, "clustered", List.of("id"));
    LakehouseTable mor = table(FormatKind.HUDI, "compacted", List.of("id")).withFrequentUpdates();
    for (LakehouseTable t : List.of(cow, mor)) {
      Dataset<Row> first = rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L});
      t.replaceKeys(first, first.select("id"), "first");
      TableVersion v1 = t.currentVersion(spark).orElseThrow();
      Dataset<Row> second = rows(new Object[] {1L, "a2", 2L});
      t.replaceKeys(second, second.select("id"), "second");
      TableVersion written = t.currentVersion(spark).orElseThrow();
      spark.sql(t == cow
          ? "CALL run_clustering(path => '" + t.location() + "')"
          : "CALL run_compaction(op => 'scheduleAndExecute', path => '" + t.location()
              + "', options => 'hoodie.compact.inline.max.delta.commits=1')").collect();
      TableVersion reorganised = t.currentVersion(spark).orElseThrow();
      assertThat(reorganised).as(t.toString()).isNotEqualTo(written);
      assertThat(t.changesData(spark, written, reorganised)).as(t.toString()).isFalse();
      assertThat(t.changesData(spark, v1, reorganised)).as(t.toString()).isTrue();
      Dataset<Row> third = rows(new Object[] {3L, "c", 3L});
      t.replaceKeys(third, third.select("id"), "third");
      assertThat(t.changesData(spark, reorganised, t.currentVersion(spark).orElseThrow())).as(t.toString()).isTrue();
      assertThat(content(t.read(spark))).as(t.toString()).containsExactly("1:a2:2", "2:b:1", "3:c:3");
    }
  }

  /** Removes every file the table's current version does not need: VACUUM keeping no time travel, Hudi's cleaner the newest commit. */
  private void clean(LakehouseTable t) {
    if (t.formatKind() == FormatKind.DELTA) {
      String check = "spark.databricks.delta.retentionDurationCheck.enabled";
      spark.conf().set(check, "false");
      try {
        spark.sql("VACUUM delta.`" + t.location() + "` RETAIN 0 HOURS").collect();
      } finally {
        spark.conf().unset(check);
      }
    } else {
      t.register(spark);
      spark.sql("CALL run_clean(table => 'silver._hudi_" + t.name().name() + "', retain_commits => 1)").collect();
    }
  }

  /**
   * A spec whose keys changed: an overwrite replaces the table under the new keys on both formats
   * (Hudi keeps record keys in the table's configuration and refused the write with "Config
   * conflict"; it now makes the table anew); a keyed write to the old table says what to do on
   * Hudi, where it cannot work, and works on Delta, which has no record keys.
   */
  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void newKeysReplaceTheTableOnOverwriteAndAKeyedWriteSaysWhatToDo(FormatKind kind) {
    LakehouseTable old = table(kind, "rekeyed", List.of("id"));
    old.overwrite(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}), Optional.empty());
    LakehouseTable rekeyed = new LakehouseTable(old.name(), old.location(), List.of("id", "name"), List.of(), kind);

    if (kind == FormatKind.HUDI) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> rekeyed.upsert(rows(new Object[] {3L, "c", 1L}), Optional.of("seq")))
          .isInstanceOf(dev.lakehouse.core.errors.LakehouseException.class)
          .hasMessageContaining("has the record keys [id] but its spec now says keys = [id, name]")
          .hasMessageContaining("--full-refresh");
      assertThat(content(old.read(spark))).containsExactly("1:a:1", "2:b:1"); // nothing written
    }
    rekeyed.overwrite(rows(new Object[] {1L, "a", 2L}, new Object[] {1L, "z", 2L}), Optional.empty());
    assertThat(content(rekeyed.read(spark))).containsExactlyInAnyOrder("1:a:2", "1:z:2");
    Dataset<Row> changed = rows(new Object[] {1L, "z", 3L}, new Object[] {4L, "d", 1L});
    rekeyed.replaceKeys(changed, changed.select("id", "name"), "by the new keys");
    assertThat(content(rekeyed.read(spark))).containsExactlyInAnyOrder("1:a:2", "1:z:3", "4:d:1");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void replaceKeysReplacesInsertsAndDeletesInOneCommitThatCarriesItsNote(FormatKind kind) {
    LakehouseTable t = table(kind, "replace", List.of("id"));
    t.overwrite(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {3L, "c", 1L}), Optional.of("first"));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    assertThat(t.lastCommitNote(spark)).contains("first");
    String v1Id = t.commitId(spark, v1).orElseThrow();

    // key 1 is replaced, key 2 has no new row (deleted), key 4 is new, key 3 is not touched
    Dataset<Row> keys = spark.createDataFrame(List.of(RowFactory.create(1L), RowFactory.create(2L), RowFactory.create(4L)),
        new StructType().add("id", DataTypes.LongType));
    t.replaceKeys(rows(new Object[] {1L, "a2", 2L}, new Object[] {4L, "d", 2L}), keys, "second");
    TableVersion v2 = t.currentVersion(spark).orElseThrow();

    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "3:c:1", "4:d:2");
    assertThat(t.lastCommitNote(spark)).contains("second");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1", "3:c:1");
    assertThat(t.commitId(spark, v1)).contains(v1Id);
    // Its changes: the deleted key's row as it was, as a delete (Hudi's incremental query shows
    // none: a reader of the changes would keep what the key contributed), and the replaced row.
    Dataset<Row> changes = t.readChanges(spark, v1, v2);
    assertThat(content(changes.where(org.apache.spark.sql.functions.col(TableFormat.CHANGE_TYPE).equalTo(TableFormat.DELETE))
        .drop(TableFormat.CHANGE_TYPE))).containsExactly("2:b:1");
    assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("1:a:1", "2:b:1");
    assertThat(content(changes.where(TableFormat.isBeforeImage().unary_$bang()).drop(TableFormat.CHANGE_TYPE)))
        .containsExactly("1:a2:2", "4:d:2");

    // A commit of no change still carries its note, in a version of its own.
    t.commitNote(spark, "third");
    assertThat(t.lastCommitNote(spark)).contains("third");
    assertThat(t.currentVersion(spark)).isPresent().isNotEqualTo(Optional.of(v2));
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "3:c:1", "4:d:2");

    // The same location, deleted and written again: the old version no longer names a commit of it.
    t.delete(spark);
    t.overwrite(rows(new Object[] {9L, "z", 1L}));
    assertThat(t.commitId(spark, v1)).isNotEqualTo(Optional.of(v1Id));
    assertThat(t.lastCommitNote(spark)).isEmpty();
    assertThat(v2).isNotEqualTo(v1);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void createMakesAnEmptyTableWithTheSchema(FormatKind kind) {
    LakehouseTable t = table(kind, "create", List.of("id"));
    t.create(spark, SCHEMA);
    assertThat(t.exists(spark)).isTrue();
    assertThat(t.read(spark).schema().fieldNames()).containsExactly("id", "name", "seq");
    t.delete(spark);
    assertThat(t.exists(spark)).isFalse();
  }

  /**
   * A MERGE of a few keys into a table of many shuffles about the change, not the table: the
   * table's side of its joins drops rows whose key is not among the replaced ones before the
   * shuffle. The keys are spread over every file, so file statistics skip nothing.
   */
  @org.junit.jupiter.api.Test
  void aDeltaReplaceOfFewKeysShufflesFewRowsOfTheTable() throws java.util.concurrent.TimeoutException {
    LakehouseTable t = table(FormatKind.DELTA, "replace_few", List.of("id"));
    // Created by key, as SCD tables are: with deletion vectors, so the MERGE rewrites no file.
    Dataset<Row> initial = spark.sql("SELECT id, concat('n', id) AS name, 1L AS seq FROM range(0, 200000)");
    t.replaceKeys(initial, initial.select("id"), "first");
    Dataset<Row> changed = spark.sql("SELECT id, concat('m', id) AS name, 2L AS seq FROM range(0, 200000, 20000)");
    Dataset<Row> keys = spark.sql("SELECT id FROM range(0, 200000, 20000) UNION ALL SELECT 5 AS id");
    java.util.concurrent.atomic.AtomicLong shuffled = new java.util.concurrent.atomic.AtomicLong();
    org.apache.spark.scheduler.SparkListener counter = new org.apache.spark.scheduler.SparkListener() {
      @Override
      public void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted stage) {
        shuffled.addAndGet(stage.stageInfo().taskMetrics().shuffleWriteMetrics().recordsWritten());
      }
    };
    spark.sparkContext().addSparkListener(counter);
    // A table of 200,000 rows would fit the broadcast threshold; one of millions, as meant here, does not.
    spark.conf().set("spark.sql.autoBroadcastJoinThreshold", "100k");
    try {
      t.replaceKeys(changed.localCheckpoint(), keys.localCheckpoint(), "few");
      spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      spark.conf().unset("spark.sql.autoBroadcastJoinThreshold");
      spark.sparkContext().removeSparkListener(counter);
    }

    assertThat(t.read(spark).count()).isEqualTo(199_999);
    assertThat(t.read(spark).where("name LIKE 'm%'").count()).isEqualTo(10);
    assertThat(t.read(spark).where("id = 5").count()).isZero();
    // Without the key filter the MERGE's write join alone shuffles all 200,000 rows.
    assertThat(shuffled.get()).isLessThan(20_000);
  }

  /**
   * A Hudi table declared as updated often is merge-on-read: a replace writes log blocks, not new
   * base files, and the table reads, time-travels and shows its changes as a copy-on-write one does.
   */
  @org.junit.jupiter.api.Test
  void aHudiTableUpdatedOftenIsMergeOnReadAndReadsAsAnyOther() throws java.io.IOException {
    LakehouseTable t = table(FormatKind.HUDI, "often", List.of("id")).withFrequentUpdates();
    Dataset<Row> first = rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}, new Object[] {3L, "c", 1L});
    t.replaceKeys(first, first.select("id"), "first");
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    Dataset<Row> keys = spark.createDataFrame(List.of(RowFactory.create(1L), RowFactory.create(2L)),
        new StructType().add("id", DataTypes.LongType));
    t.replaceKeys(rows(new Object[] {1L, "a2", 2L}), keys, "second");
    TableVersion v2 = t.currentVersion(spark).orElseThrow();

    java.nio.file.Path base = java.nio.file.Path.of(t.location());
    assertThat(java.nio.file.Files.readString(base.resolve(".hoodie/hoodie.properties"))).contains("hoodie.table.type=MERGE_ON_READ");
    try (var files = java.nio.file.Files.list(base)) {
      assertThat(files.map(f -> f.getFileName().toString())).anyMatch(f -> f.contains(".log."));
    }
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "3:c:1");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1", "3:c:1");
    assertThat(t.lastCommitNote(spark)).contains("second");
    Dataset<Row> changes = t.readChanges(spark, v1, v2);
    assertThat(content(changes.where(TableFormat.CHANGE_TYPE + " = '" + TableFormat.UPSERT + "'").drop(TableFormat.CHANGE_TYPE)))
        .containsExactly("1:a2:2");
    assertThat(content(changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE))).containsExactly("1:a:1", "2:b:1");
    assertThat(content(changes.where(TableFormat.CHANGE_TYPE + " = '" + TableFormat.DELETE + "'").drop(TableFormat.CHANGE_TYPE)))
        .containsExactly("2:b:1");
    // A later write keeps the table's type, whatever the writer declares.
    new LakehouseTable(t.name(), t.location(), t.keys(), List.of(), FormatKind.HUDI)
        .replaceKeys(rows(new Object[] {4L, "d", 3L}), spark.createDataFrame(List.of(RowFactory.create(4L)),
            new StructType().add("id", DataTypes.LongType)), "third");
    assertThat(java.nio.file.Files.readString(base.resolve(".hoodie/hoodie.properties"))).contains("hoodie.table.type=MERGE_ON_READ");
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "3:c:1", "4:d:3");
  }
}

