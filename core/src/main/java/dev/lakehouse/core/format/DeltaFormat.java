package dev.lakehouse.core.format;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.Maintenance;
import io.delta.tables.DeltaMergeBuilder;
import io.delta.tables.DeltaTable;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaConfigs;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.DeltaOperations;
import org.apache.spark.sql.delta.Snapshot;
import org.apache.spark.sql.delta.actions.Action;
import org.apache.spark.sql.delta.actions.AddCDCFile;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.delta.actions.Metadata;
import org.apache.spark.sql.delta.actions.RemoveFile;
import org.apache.spark.sql.delta.actions.SetTransaction;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/** Delta Lake tables, by path. Change data feed is on for every table (see LakehouseSpark). */
final class DeltaFormat implements TableFormat {
  static final DeltaFormat INSTANCE = new DeltaFormat();
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeltaFormat.class);
  private static final Pattern COMMIT_FILE = Pattern.compile("(\\d{20})\\.json");
  private static final String USER_METADATA = "spark.databricks.delta.commitInfo.userMetadata";
  private static final String MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource";
  /** Marks, in a replaceKeys source row, a key that has a new row. */
  private static final String PRESENT = "__lakehouse_present";
  /**
   * Tables replaced by key get deletion vectors: a MERGE then marks the replaced rows instead of
   * rewriting every file that holds one, so its cost follows the change, not the table.
   */
  private static final String DELETION_VECTORS = "delta.enableDeletionVectors";

  private DeltaFormat() {}

  @Override
  public FormatKind kind() {
    return FormatKind.DELTA;
  }

  @Override
  public boolean exists(SparkSession spark, LakehouseTable table) {
    return latestCommit(spark, table) >= 0;
  }

  @Override
  public void create(SparkSession spark, LakehouseTable table, StructType schema) {
    DeltaTable.createIfNotExists(spark)
        .location(table.location())
        .addColumns(schema)
        .partitionedBy(table.partitionBy().toArray(String[]::new))
        .property("delta.enableChangeDataFeed", "true")
        .execute();
  }

  @Override
  public void append(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark) {
    DataFrameWriter<Row> w = writer(rows, table).mode("append");
    if (mark.isPresent()) {
      // Delta's idempotent writes: a (txnAppId, txnVersion) already committed is skipped.
      w = w.option("txnAppId", mark.get().appId()).option("txnVersion", mark.get().batchId());
    }
    w.save(table.location());
  }

  @Override
  public void appendAddingColumns(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark) {
    DataFrameWriter<Row> w = writer(rows, table).mode("append").option("mergeSchema", "true");
    if (mark.isPresent()) {
      w = w.option("txnAppId", mark.get().appId()).option("txnVersion", mark.get().batchId());
    }
    w.save(table.location());
  }

  @Override
  public void upsert(Dataset<Row> rows, LakehouseTable table, Optional<String> sequenceBy) {
    if (!exists(rows.sparkSession(), table)) {
      writer(rows, table).mode("append").save(table.location());
      return;
    }
    addMissingColumns(rows, table);
    DeltaMergeBuilder merge = DeltaTable.forPath(rows.sparkSession(), table.location()).as("t")
        .merge(rows.as("s"), LakehouseTable.keysMatch(table.keys(), "t", "s"));
    merge = sequenceBy.isPresent()
        // an older event must not replace a newer row that an earlier batch stored
        ? merge.whenMatched("s.`" + sequenceBy.get() + "` >= t.`" + sequenceBy.get() + "` OR t.`"
            + sequenceBy.get() + "` IS NULL").updateAll()
        : merge.whenMatched().updateAll();
    merge.whenNotMatched().insertAll().execute();
  }

  @Override
  public void overwrite(Dataset<Row> rows, LakehouseTable table, Optional<String> note) {
    DataFrameWriter<Row> w = writer(rows, table).mode("overwrite").option("overwriteSchema", "true");
    if (note.isPresent()) {
      w = w.option("userMetadata", note.get());
    }
    w.save(table.location());
  }

  @Override
  public void replaceKeys(Dataset<Row> rows, Dataset<Row> keys, LakehouseTable table, String note) {
    SparkSession spark = rows.sparkSession();
    if (!exists(spark, table)) {
      createReplacedByKey(rows, table, note);
      return;
    }
    StructType stored = addMissingColumns(rows, table);
    // One MERGE: each key to replace meets its new row, if any; a key without one is deleted.
    Dataset<Row> present = rows.withColumn(PRESENT, org.apache.spark.sql.functions.lit(true));
    List<Column> sourceColumns = new ArrayList<>();
    for (String k : table.keys()) {
      sourceColumns.add(col("k.`" + k + "`").as(k));
    }
    Map<String, String> assign = new LinkedHashMap<>();
    for (String c : rows.columns()) {
      assign.put("`" + c + "`", "s.`" + c + "`");
      if (!table.keys().contains(c)) {
        sourceColumns.add(col("r.`" + c + "`").as(c));
      }
    }
    sourceColumns.add(col("r." + PRESENT).as(PRESENT));
    // Computed once, by us rather than by Delta (which copies any source not read from Delta
    // tables alone): planned by its stored size, a change smaller than the broadcast threshold is
    // broadcast to the MERGE's scans of the table, where a join's estimate (the product of its
    // sides' sizes) would shuffle the whole table to meet it.
    Dataset<Row> source = LakehouseSpark.materialize(keys.as("k")
        .join(present.as("r"), LakehouseTable.keysMatch(table.keys(), "k", "r"), "left")
        .select(sourceColumns.toArray(Column[]::new)));
    // MERGE takes no write options; the commit's user metadata comes from the session, which is
    // the micro-batch's own session here.
    withSessionConf(spark, Map.of(USER_METADATA, note, MATERIALIZE_SOURCE, "none"), () ->
        DeltaTable.forPath(spark, table.location()).as("t")
            .merge(source.as("s"), LakehouseTable.keysMatch(table.keys(), "t", "s").and(KeyFilter.of(keys, table.keys(), "t", stored)))
            .whenMatched("s." + PRESENT + " IS NULL").delete()
            .whenMatched().updateExpr(assign)
            .whenNotMatched("s." + PRESENT + " IS NOT NULL").insertExpr(assign)
            .execute());
  }

  /** Runs {@code work} with {@code conf} set on the session, then puts the session's settings back. */
  private static void withSessionConf(SparkSession spark, Map<String, String> conf, Runnable work) {
    Map<String, String> previous = new LinkedHashMap<>();
    conf.forEach((k, v) -> {
      previous.put(k, spark.conf().get(k, null));
      spark.conf().set(k, v);
    });
    try {
      work.run();
    } finally {
      previous.forEach((k, v) -> {
        if (v == null) {
          spark.conf().unset(k);
        } else {
          spark.conf().set(k, v);
        }
      });
    }
  }

  /**
   * An empty transaction: a MERGE or an append that changes nothing writes no commit. Its user
   * metadata comes from the session, as a MERGE's does.
   */
  @Override
  public void commitNote(SparkSession spark, LakehouseTable table, String note) {
    withSessionConf(spark, Map.of(USER_METADATA, note), () -> DeltaLog.forTable(spark, table.location()).startTransaction()
        .commit(JavaConverters.asScalaBuffer(new ArrayList<Action>()).toSeq(), DeltaOperations.ManualUpdate$.MODULE$));
  }

  @Override
  public void insertNew(Dataset<Row> rows, LakehouseTable table, String note) {
    if (!exists(rows.sparkSession(), table)) {
      createReplacedByKey(rows, table, note);
      return;
    }
    refuseKeyTypeChanges(rows.schema(), currentSnapshot(rows.sparkSession(), table).schema(), table);
    writer(rows, table).mode("append").option("mergeSchema", "true").option("userMetadata", note).save(table.location());
  }

  /**
   * Adds the columns of {@code rows} that the table lacks, nullable, in a commit of its own (rows
   * stored before read them as null): a MERGE can only assign the target's columns. This is how
   * new upstream columns reach a keyed table: a silver table that takes every column of a bronze
   * table with {@code schema-drift = add-new-columns}, a gold query that selects them. A batch
   * replayed after a crash between the two commits finds the columns there. A key column whose type
   * changed is refused ({@link #refuseKeyTypeChanges}).
   *
   * @return the table's schema before any column was added
   */
  private static StructType addMissingColumns(Dataset<Row> rows, LakehouseTable table) {
    SparkSession spark = rows.sparkSession();
    StructType schema = currentSnapshot(spark, table).schema();
    refuseKeyTypeChanges(rows.schema(), schema, table);
    java.util.Set<String> stored = new java.util.HashSet<>();
    for (String c : schema.fieldNames()) {
      stored.add(c.toLowerCase(java.util.Locale.ROOT));
    }
    List<String> added = new ArrayList<>();
    for (StructField f : rows.schema().fields()) {
      if (!stored.contains(f.name().toLowerCase(java.util.Locale.ROOT))) {
        added.add(new StructField(f.name(), f.dataType(), true, org.apache.spark.sql.types.Metadata.empty()).toDDL());
      }
    }
    if (!added.isEmpty()) {
      LOG.info("Adding columns {} to {}", added, table.name());
      spark.sql("ALTER TABLE delta.`" + table.location().replace("`", "``") + "` ADD COLUMNS (" + String.join(", ", added) + ")");
    }
    return schema;
  }

  /**
   * Refuses rows whose key column has another type than the table's (a spec's CAST(id AS INT) now
   * BIGINT): a MERGE would find the stored rows of some keys and not others (its Bloom filter hashes
   * a value by its type), writing a second row of a key and missing its deletes, and an append would
   * fail on Delta's schema merge. The table keeps one type per key column until it is rebuilt.
   */
  private static void refuseKeyTypeChanges(StructType written, StructType stored, LakehouseTable table) {
    for (String k : table.keys()) {
      Optional<StructField> was = field(stored, k);
      Optional<StructField> now = field(written, k);
      if (was.isPresent() && now.isPresent() && !was.get().dataType().sameType(now.get().dataType())) {
        String old = was.get().dataType().sql();
        throw new LakehouseException("Cannot write to " + table.name() + ": its key column " + k + " is " + old
            + " in the Delta table at " + table.location() + " but " + now.get().dataType().sql() + " in the rows"
            + " written, and a key column's type cannot change in place. Keep the column " + old + " in the spec"
            + " (e.g. CAST(... AS " + old + ") AS " + k + " in its " + (table.name().layer() == Layer.GOLD ? "query" : "select")
            + "), or run the table with --full-refresh"
            + " to rebuild it from its sources with the new type");
      }
    }
  }

  private static Optional<StructField> field(StructType schema, String name) {
    for (StructField f : schema.fields()) {
      if (f.name().equalsIgnoreCase(name)) {
        return Optional.of(f);
      }
    }
    return Optional.empty();
  }

  /** The table's newest snapshot (Delta's log, brought up to date): no DataFrame, no Spark job. */
  /** Whether the table's current version records its change data feed ({@code delta.enableChangeDataFeed}). */
  private static boolean recordsChanges(SparkSession spark, LakehouseTable table) {
    return Boolean.TRUE.equals(DeltaConfigs.CHANGE_DATA_FEED().fromMetaData(currentSnapshot(spark, table).metadata()));
  }

  private static Snapshot currentSnapshot(SparkSession spark, LakehouseTable table) {
    return DeltaLog.forTable(spark, table.location()).update(false, scala.Option.empty(), scala.Option.empty());
  }

  private void createReplacedByKey(Dataset<Row> rows, LakehouseTable table, String note) {
    writer(rows, table).mode("overwrite").option("overwriteSchema", "true").option("userMetadata", note)
        .option(DELETION_VECTORS, "true").save(table.location());
  }

  /**
   * The user metadata of the newest commit, from its commit file's {@code commitInfo} action (parsed
   * by Delta's own action reader). {@code DeltaTable.history(1)} gives the same, but loads the
   * table's snapshot and runs a Spark job for one line of one file: every refresh of every gold
   * table asks it.
   */
  @Override
  public Optional<String> lastCommitNote(SparkSession spark, LakehouseTable table) {
    // Commits that only maintain the table (OPTIMIZE, VACUUM's start and end) change no row and
    // carry no note: the note of the rows is the one before them. Taking theirs made a gold table
    // whose files were compacted or cleaned forget the source versions it was computed from, and
    // refresh in full.
    for (long version = latestCommit(spark, table); version >= 0; version--) {
      Optional<CommitInfo> info = commitInfo(spark, table, version);
      if (info.isEmpty() || !MAINTENANCE_OPERATIONS.contains(info.get().operation()) || info.get().userMetadata().isDefined()) {
        return info.flatMap(i -> i.userMetadata().isDefined() ? Optional.of(i.userMetadata().get()) : Optional.empty());
      }
    }
    return Optional.empty();
  }

  /** Operations whose commits change no row (see {@link #lastCommitNote}). */
  private static final java.util.Set<String> MAINTENANCE_OPERATIONS = java.util.Set.of(
      DeltaOperations.OPTIMIZE_OPERATION_NAME(), "VACUUM START", "VACUUM END");

  /** The {@code commitInfo} action of commit {@code version}, read from its file; empty when it has none or is gone. */
  private static Optional<CommitInfo> commitInfo(SparkSession spark, LakehouseTable table, long version) {
    Path commit = commitFile(table, version);
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(
        commit.getFileSystem(spark.sparkContext().hadoopConfiguration()).open(commit), StandardCharsets.UTF_8))) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        if (line.startsWith("{\"commitInfo\"") && Action.fromJson(line) instanceof CommitInfo info) {
          return Optional.of(info);
        }
      }
      return Optional.empty();
    } catch (java.io.FileNotFoundException e) {
      return Optional.empty(); // its log was cleaned: older than any note still read
    } catch (IOException e) {
      throw new LakehouseException("Cannot read commit " + version + " of " + table + " (" + commit + "): " + e.getMessage(), e);
    }
  }

  /**
   * From the table's set-transaction actions: what Delta's idempotent appends record, and read to
   * skip a replay. The version's checksum file lists them (Delta writes up to 100 there); only
   * without it is the table's state rebuilt, a Spark job.
   */
  @Override
  public Map<String, Long> lastBatches(SparkSession spark, LakehouseTable table) {
    if (!exists(spark, table)) {
      return Map.of();
    }
    Snapshot snapshot = currentSnapshot(spark, table);
    scala.Option<scala.collection.Seq<SetTransaction>> listed = snapshot.checksumOpt().isDefined()
        ? snapshot.checksumOpt().get().setTransactions() : scala.Option.empty();
    Map<String, Long> batches = new LinkedHashMap<>();
    for (SetTransaction txn : JavaConverters.seqAsJavaList(listed.isDefined() ? listed.get() : snapshot.setTransactions())) {
      batches.put(txn.appId(), txn.version());
    }
    return batches;
  }

  private static Path commitFile(LakehouseTable table, long version) {
    return new Path(table.location(), String.format("_delta_log/%020d.json", version));
  }

  @Override
  public Optional<String> commitId(SparkSession spark, LakehouseTable table, TableVersion version) {
    try {
      Path commit = commitFile(table, Long.parseLong(version.id()));
      FileSystem fs = commit.getFileSystem(spark.sparkContext().hadoopConfiguration());
      // A re-created table writes its version files anew: the file time tells the two apart.
      return fs.exists(commit) ? Optional.of(version.id() + "@" + fs.getFileStatus(commit).getModificationTime())
          : Optional.empty();
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * A version's snapshot needs the files (and deletion vectors) later commits removed, and its
   * changes need their change files. VACUUM deletes them once older than the retention, oldest
   * first, so the first commit after {@code version} that made any of them unreferenced tells: if
   * one of those is gone, the history was cleaned. Reads commit files, no Spark job.
   */
  @Override
  public Optional<String> historyCleanedAfter(SparkSession spark, LakehouseTable table, TableVersion version) {
    DeltaLog log = DeltaLog.forTable(spark, table.location());
    for (Commit commit : commitsAfter(log, version, new TableVersion(String.valueOf(latestCommit(spark, table))))) {
      List<Path> needed = neededFiles(log, commit);
      if (!needed.isEmpty()) {
        try {
          FileSystem fs = log.dataPath().getFileSystem(spark.sparkContext().hadoopConfiguration());
          for (Path file : needed) {
            if (!fs.exists(file)) {
              return Optional.of("VACUUM deleted " + file.getName() + ", which its version " + commit.version()
                  + " replaced or wrote as change data, so its state at version " + version
                  + " and the changes since can no longer be read");
            }
          }
          return Optional.empty();
        } catch (IOException e) {
          throw new LakehouseException("Cannot check the history of " + table + ": " + e.getMessage(), e);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * The files a reader of the versions after {@code version} needs that the newest version no longer
   * refers to: those the later commits removed (and their deletion vectors) and their change data
   * files. What VACUUM must keep for that reader. Reads commit files, no Spark job.
   */
  @Override
  public List<Path> filesNeededAfter(SparkSession spark, LakehouseTable table, TableVersion version) {
    DeltaLog log = DeltaLog.forTable(spark, table.location());
    List<Path> needed = new ArrayList<>();
    for (Commit commit : commitsAfter(log, version, new TableVersion(String.valueOf(latestCommit(spark, table))))) {
      needed.addAll(neededFiles(log, commit));
    }
    return needed;
  }

  /** The files {@code commit} made unreferenced or wrote as change data (see {@link #filesNeededAfter}). */
  private static List<Path> neededFiles(DeltaLog log, Commit commit) {
    List<Action> actions = commit.actions();
    // A file re-added by the same commit only got a new deletion vector: it stays, its old vector goes.
    java.util.Set<String> readded = new java.util.HashSet<>();
    for (Action a : actions) {
      if (a instanceof AddFile add) {
        readded.add(add.path());
      }
    }
    List<Path> needed = new ArrayList<>();
    for (Action a : actions) {
      if (a instanceof RemoveFile remove) {
        if (!readded.contains(remove.path())) {
          needed.add(remove.absolutePath(log));
        }
        if (remove.deletionVector() != null && remove.deletionVector().isOnDisk()) {
          needed.add(remove.deletionVector().absolutePath(log.dataPath()));
        }
      } else if (a instanceof AddCDCFile change) {
        needed.add(change.absolutePath(log));
      }
    }
    return needed;
  }

  @Override
  public Map<String, TableVersion> streamPositions(SparkSession spark, LakehouseTable table, Map<String, List<String>> offsets) {
    String tableId = currentSnapshot(spark, table).metadata().id();
    Map<String, TableVersion> positions = new LinkedHashMap<>();
    offsets.forEach((stream, entries) -> entries.stream()
        .flatMap(entry -> DeltaMaintenance.streamPosition(tableId, entry).stream())
        .min(java.util.Comparator.comparingLong(v -> Long.parseLong(v.id())))
        .ifPresent(v -> positions.put(stream, v)));
    return positions;
  }

  /** Read up to the version before the offset's {@code reservoirVersion} (see {@link DeltaMaintenance#streamPosition}). */
  @Override
  public boolean streamReadAll(SparkSession spark, LakehouseTable table, String offset) {
    Snapshot snapshot = currentSnapshot(spark, table);
    return DeltaMaintenance.streamPosition(snapshot.metadata().id(), offset)
        .filter(v -> Long.parseLong(v.id()) >= snapshot.version()).isPresent();
  }

  @Override
  public MaintenanceResult maintain(SparkSession spark, LakehouseTable table, Maintenance maintenance,
      java.util.function.Supplier<List<Path>> needed, boolean dryRun) {
    return DeltaMaintenance.maintain(spark, table, maintenance, needed, dryRun);
  }

  /** From the commit files: a data change flag on an added or removed file, change data, or new metadata. */
  @Override
  public boolean changesData(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to) {
    for (Commit commit : commitsAfter(DeltaLog.forTable(spark, table.location()), from, to)) {
      for (Action a : commit.actions()) {
        if (a instanceof AddFile add ? add.dataChange()
            : a instanceof RemoveFile remove ? remove.dataChange()
            : a instanceof AddCDCFile || a instanceof Metadata) {
          return true;
        }
      }
    }
    return false;
  }

  /** One commit file's version and actions. */
  private record Commit(long version, List<Action> actions) {}

  /**
   * The commits after {@code from} up to {@code to}, read one by one from their files as iterated
   * ({@code DeltaLog.getChanges}: no snapshot, no Spark job); none if {@code to} is not after {@code from}.
   */
  private static Iterable<Commit> commitsAfter(DeltaLog log, TableVersion from, TableVersion to) {
    long start = Long.parseLong(from.id()) + 1;
    long end = Long.parseLong(to.id());
    if (end < start) {
      return List.of();
    }
    return () -> {
      scala.collection.Iterator<scala.Tuple2<Object, scala.collection.Seq<Action>>> commits = log.getChanges(start, end, false);
      return new java.util.Iterator<>() {
        @Override
        public boolean hasNext() {
          return commits.hasNext();
        }

        @Override
        public Commit next() {
          scala.Tuple2<Object, scala.collection.Seq<Action>> c = commits.next();
          return new Commit((Long) c._1(), JavaConverters.seqAsJavaList(c._2()));
        }
      };
    };
  }

  @Override
  public Dataset<Row> read(SparkSession spark, LakehouseTable table) {
    return spark.read().format("delta").load(table.location());
  }

  @Override
  public Dataset<Row> readAt(SparkSession spark, LakehouseTable table, TableVersion version) {
    return spark.read().format("delta").option("versionAsOf", version.id()).load(table.location());
  }

  @Override
  public Dataset<Row> readChanges(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to) {
    long start = Long.parseLong(from.id()) + 1;
    long end = Long.parseLong(to.id());
    if (end < start) {
      return readAt(spark, table, to).limit(0).withColumn(CHANGE_TYPE, org.apache.spark.sql.functions.lit(INSERT));
    }
    Dataset<Row> changes = spark.read().format("delta")
        .option("readChangeFeed", "true")
        .option("startingVersion", start)
        .option("endingVersion", end)
        .load(table.location());
    return normaliseChanges(changes);
  }

  @Override
  public Optional<TableVersion> currentVersion(SparkSession spark, LakehouseTable table) {
    long latest = latestCommit(spark, table);
    return latest < 0 ? Optional.empty() : Optional.of(new TableVersion(String.valueOf(latest)));
  }

  /**
   * The newest commit file in {@code _delta_log}, or -1. A listing, not a snapshot: asking a
   * table's version must not cost a Spark job.
   */
  private static long latestCommit(SparkSession spark, LakehouseTable table) {
    try {
      Path log = new Path(table.location(), "_delta_log");
      FileSystem fs = log.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(log)) {
        return -1;
      }
      long latest = -1;
      for (FileStatus f : fs.listStatus(log)) {
        Matcher m = COMMIT_FILE.matcher(f.getPath().getName());
        if (m.matches()) {
          latest = Math.max(latest, Long.parseLong(m.group(1)));
        }
      }
      return latest;
    } catch (IOException e) {
      throw new LakehouseException("Cannot read the log of " + table + ": " + e.getMessage(), e);
    }
  }

  /**
   * The change feed where the table records it (the framework's tables always do): the plain
   * Delta source fails on a commit that changed rows (MERGE, UPDATE, DELETE, overwrite). A table
   * written elsewhere may not record it (Delta's default): reading its feed failed on every run
   * ({@code DELTA_MISSING_CHANGE_DATA}), so its appended rows are read with the plain source, and a
   * commit that changed rows stops the stream with what to do ({@code TableRunner}'s advice).
   */
  @Override
  public Dataset<Row> readStream(SparkSession spark, LakehouseTable table) {
    if (!recordsChanges(spark, table)) {
      return spark.readStream().format("delta").load(table.location());
    }
    Dataset<Row> changes = spark.readStream().format("delta")
        .option("readChangeFeed", "true")
        .load(table.location());
    return normaliseChanges(changes)
        .where(col(CHANGE_TYPE).isin(INSERT, UPDATE))
        .drop(CHANGE_TYPE);
  }

  @Override
  public void deleteWhere(SparkSession spark, LakehouseTable table, String condition) {
    DeltaTable.forPath(spark, table.location()).delete(condition);
  }

  @Override
  public void register(SparkSession spark, LakehouseTable table) {
    spark.sql("CREATE TABLE " + table.name() + " USING delta LOCATION " + LakehouseTable.sqlLiteral(table.location()));
  }

  /** Delta's catalog only keeps the location: each read of the name loads the newest snapshot, its schema too. */
  @Override
  public boolean entryFollowsCommits() {
    return true;
  }

  @Override
  public void unregister(SparkSession spark, LakehouseTable table) {
    LakehouseTable.unregister(spark, table.name().toString());
  }

  @Override
  public void refresh(SparkSession spark, LakehouseTable table) {
    if (LakehouseTable.registeredAt(spark, table.name().toString(), table.location())) {
      spark.catalog().refreshTable(table.name().toString());
    }
  }

  /** Names change kinds as {@link TableFormat#CHANGE_TYPE} promises. */
  private static Dataset<Row> normaliseChanges(Dataset<Row> cdf) {
    Column kind = when(col("_change_type").equalTo("update_postimage"), UPDATE)
        .otherwise(col("_change_type"));
    return cdf.withColumn(CHANGE_TYPE, kind)
        .drop("_commit_version", "_commit_timestamp");
  }

  private static DataFrameWriter<Row> writer(Dataset<Row> rows, LakehouseTable table) {
    DataFrameWriter<Row> w = rows.write().format("delta");
    if (!table.partitionBy().isEmpty()) {
      w = w.partitionBy(table.partitionBy().toArray(String[]::new));
    }
    return w;
  }
}
