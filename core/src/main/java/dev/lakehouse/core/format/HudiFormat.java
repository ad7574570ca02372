package dev.lakehouse.core.format;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.Maintenance;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hudi.common.model.HoodieCommitMetadata;
import org.apache.hudi.common.model.HoodieTableType;
import org.apache.hudi.common.model.WriteOperationType;
import org.apache.hudi.common.table.HoodieTableMetaClient;
import org.apache.hudi.common.table.timeline.HoodieInstant;
import org.apache.hudi.common.table.timeline.HoodieTimeline;
import org.apache.hudi.common.table.timeline.TimelineUtils;
import org.apache.hudi.exception.HoodieTimeTravelException;
import org.apache.hudi.hadoop.fs.HadoopFSUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * Apache Hudi tables, by path: copy-on-write, or merge-on-read for tables updated often
 * ({@link LakehouseTable#withFrequentUpdates}). A version is a commit's completion time, which is
 * what Hudi 1.x incremental queries compare against.
 */
final class HudiFormat implements TableFormat {
  static final HudiFormat INSTANCE = new HudiFormat();

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HudiFormat.class);
  /** Commit metadata key (Hudi adds options with the commit-metadata prefix to the commit). */
  private static final String BATCH_KEY = "_lakehouse.batch";
  private static final String NOTE_KEY = "_lakehouse.note";
  /** A record written with this column set to true is deleted by Hudi's default payload. */
  private static final String IS_DELETED = "_hoodie_is_deleted";
  private static final String RECORD_KEY = "_hoodie_record_key";
  /** Delta commits of a merge-on-read table between two compactions. */
  private static final int COMPACT_EVERY = 10;
  private static final String SMALL_FILE_LIMIT = "hoodie.parquet.small.file.limit";
  private static final com.fasterxml.jackson.databind.ObjectMapper OFFSETS = new com.fasterxml.jackson.databind.ObjectMapper();
  /** Operations that write records as given: their counts of updated and deleted records tell what they replaced. */
  private static final Set<WriteOperationType> PLAIN_WRITES = EnumSet.of(WriteOperationType.INSERT,
      WriteOperationType.INSERT_PREPPED, WriteOperationType.BULK_INSERT, WriteOperationType.BULK_INSERT_PREPPED,
      WriteOperationType.UPSERT, WriteOperationType.UPSERT_PREPPED);
  /** Operations that rewrite a table's files and leave its rows as they were. */
  private static final Set<WriteOperationType> REORGANISING =
      EnumSet.of(WriteOperationType.CLUSTER, WriteOperationType.COMPACT, WriteOperationType.LOG_COMPACT);

  private HudiFormat() {}

  @Override
  public FormatKind kind() {
    return FormatKind.HUDI;
  }

  /**
   * A table exists once a commit of it completed. Hudi makes the table's folder and configuration
   * before its first commit, so a write killed before that commit completed left a "table" without
   * columns: every later run then read an empty schema, and bronze stopped on every column as
   * schema drift. Such a table does not exist: the next write makes it (Hudi rolls the failed
   * commit back). The timeline's check costs about a millisecond on a local disk.
   */
  @Override
  public boolean exists(SparkSession spark, LakehouseTable table) {
    return committed(spark, table).isPresent();
  }

  /** The table's meta client when the table exists (see {@link #exists}), else empty. */
  private static Optional<HoodieTableMetaClient> committed(SparkSession spark, LakehouseTable table) {
    try {
      Path props = new Path(table.location(), ".hoodie/hoodie.properties");
      FileSystem fs = props.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(props)) {
        return Optional.empty();
      }
    } catch (IOException e) {
      throw new LakehouseException("Cannot check whether " + table + " exists: " + e.getMessage(), e);
    }
    HoodieTableMetaClient meta = metaClient(spark, table);
    return meta.getCommitsTimeline().filterCompletedInstants().empty() ? Optional.empty() : Optional.of(meta);
  }

  @Override
  public void create(SparkSession spark, LakehouseTable table, StructType schema) {
    if (exists(spark, table)) {
      return;
    }
    spark.createDataFrame(List.of(), schema).write().format("hudi")
        .options(options(spark, table, "bulk_insert"))
        .mode(SaveMode.Overwrite)
        .save(table.location());
  }

  @Override
  public void append(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark) {
    SparkSession spark = rows.sparkSession();
    if (mark.isPresent() && alreadyCommitted(spark, table, mark.get())) {
      return;
    }
    Map<String, String> opts = options(spark, table, table.keys().isEmpty() ? "bulk_insert" : "insert");
    mark.ifPresent(m -> opts.put(BATCH_KEY, m.appId() + "@" + m.batchId()));
    // Rows without some of the table's columns get NULL there, as a Delta append gives them: a
    // quarantine has two writers (the key guard's rows lack the expectations' _failed_rules), and
    // Hudi refused the second one's rows otherwise (MissingSchemaFieldException).
    opts.put("hoodie.write.set.null.for.missing.columns", "true");
    rows.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  /** Hudi takes a writer schema that adds nullable columns as the table's new schema. */
  @Override
  public void appendAddingColumns(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark) {
    append(rows, table, mark);
  }

  @Override
  public void upsert(Dataset<Row> rows, LakehouseTable table, Optional<String> sequenceBy) {
    Map<String, String> opts = options(rows.sparkSession(), table, "upsert");
    // With an ordering field Hudi keeps, per key, the row with the greatest value, also against
    // the stored row (event-time ordering); without one the latest write wins.
    sequenceBy.ifPresent(seq -> opts.put("hoodie.table.ordering.fields", seq));
    rows.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  @Override
  public void overwrite(Dataset<Row> rows, LakehouseTable table, Optional<String> note) {
    SparkSession spark = rows.sparkSession();
    Optional<HoodieTableMetaClient> existing = committed(spark, table);
    List<String> stored = existing.map(HudiFormat::storedKeys).orElse(table.keys());
    if (!stored.equals(table.keys())) {
      // Hudi keeps a table's record keys in its configuration and refuses writes with others
      // ("Config conflict"). Rows that replace the whole table make a new one: Hudi's own
      // overwrite mode deletes the table and writes it anew (its history goes with it).
      LOG.warn("{} at {} was written with record keys {}; its spec now says keys = {}: the table is written anew,"
          + " without its earlier versions", table.name(), table.location(), stored, table.keys());
      existing = Optional.empty();
    }
    boolean exists = existing.isPresent();
    Map<String, String> opts = options(table, exists ? "insert_overwrite_table" : "bulk_insert", existing);
    if (exists) {
      // The rows replace the table, their columns too, as Delta's overwriteSchema does: Hudi otherwise
      // refuses rows that lack a column of the table (a gold query that no longer selects it).
      opts.put("hoodie.datasource.write.schema.allow.auto.evolution.column.drop", "true");
    }
    note.ifPresent(n -> opts.put(NOTE_KEY, n));
    if (hasTimestampKey(rows, table)) {
      // Bulk insert's row writer renders a timestamp key differently from later upserts (which
      // then add a second record instead of replacing it); the Avro path renders it as upserts do.
      opts.put("hoodie.datasource.write.row.writer.enable", "false");
    }
    // A keyed table may get delete markers from replaceKeys; every write then carries the column,
    // because Hudi refuses a write whose schema drops a column the table has.
    Dataset<Row> written = table.keys().isEmpty() ? rows : rows.withColumn(IS_DELETED, when(lit(true), lit(false)));
    written.write().format("hudi").options(opts).mode(exists ? SaveMode.Append : SaveMode.Overwrite).save(table.location());
  }

  @Override
  public void replaceKeys(Dataset<Row> rows, Dataset<Row> keys, LakehouseTable table, String note) {
    SparkSession spark = rows.sparkSession();
    if (!exists(spark, table)) {
      overwrite(rows, table, Optional.of(note));
      return;
    }
    // One upsert: new rows, plus a delete marker (Hudi's _hoodie_is_deleted) for each key that
    // has no new row, so readers never see the keys half replaced.
    // aliased: the keys and the rows usually descend from the same tables
    Dataset<Row> gone = keys.as("k").join(rows.as("r"), LakehouseTable.keysMatch(table.keys(), "k", "r"), "left_anti");
    List<org.apache.spark.sql.Column> goneColumns = new ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : rows.schema().fields()) {
      goneColumns.add(table.keys().contains(f.name())
          ? col("`" + f.name() + "`").cast(f.dataType()).as(f.name())
          : lit(null).cast(f.dataType()).as(f.name()));
    }
    Dataset<Row> deletes = gone.select(goneColumns.toArray(org.apache.spark.sql.Column[]::new))
        .withColumn(IS_DELETED, lit(true));
    // Nullable, so that adding the column to the table's schema is a compatible evolution.
    Dataset<Row> all = rows.withColumn(IS_DELETED, when(lit(true), lit(false))).unionByName(deletes);
    Map<String, String> opts = options(spark, table, "upsert");
    opts.put(NOTE_KEY, note);
    all.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  @Override
  public void insertNew(Dataset<Row> rows, LakehouseTable table, String note) {
    if (!exists(rows.sparkSession(), table)) {
      overwrite(rows, table, Optional.of(note));
      return;
    }
    // Insert, not upsert: no index lookup of the stored records. The delete-marker column as
    // overwrite and replaceKeys write it, since Hudi refuses a write that drops a column.
    Map<String, String> opts = options(rows.sparkSession(), table, "insert");
    opts.put(NOTE_KEY, note);
    // New file groups, as a Delta append adds files: Hudi would otherwise pack the rows into the
    // table's small files, rewriting each (copy-on-write), so the insert would cost the table.
    opts.put(SMALL_FILE_LIMIT, "0");
    Dataset<Row> written = table.keys().isEmpty() ? rows : rows.withColumn(IS_DELETED, when(lit(true), lit(false)));
    written.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  @Override
  public Optional<String> lastCommitNote(SparkSession spark, LakehouseTable table) {
    if (!exists(spark, table)) {
      return Optional.empty();
    }
    HoodieTimeline commits = completedCommits(spark, table);
    Optional<HoodieInstant> last = commits.lastInstant().toJavaOptional();
    if (last.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.ofNullable(commits.readCommitMetadata(last.get()).getMetadata(NOTE_KEY));
    } catch (IOException e) {
      throw new LakehouseException("Cannot read the commit metadata of " + table + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<String> commitId(SparkSession spark, LakehouseTable table, TableVersion version) {
    if (!exists(spark, table)) {
      return Optional.empty();
    }
    // A completion time is a timestamp: a table created again never reuses one.
    for (HoodieInstant i : completedCommits(spark, table).getInstants()) {
      if (version.id().equals(i.getCompletionTime())) {
        return Optional.of(version.id());
      }
    }
    return Optional.empty();
  }

  /**
   * Whether a commit after {@code from} up to {@code to} wrote rows, from each commit's operation
   * type: a clustering or a compaction (a merge-on-read table's, every few commits) rewrites files
   * but changes no row, and Hudi's cleaner commits nothing to this timeline. If {@code from} has
   * left the active timeline (archived), the commits after it cannot all be seen: a change then,
   * a refresh more, never one less.
   */
  @Override
  public boolean changesData(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to) {
    if (from.equals(to)) {
      return false;
    }
    Optional<List<HoodieCommitMetadata>> commits = commitsAfter(spark, table, from, to);
    return commits.isEmpty() || commits.get().stream().anyMatch(c -> !REORGANISING.contains(c.getOperationType()));
  }

  /**
   * Whether every commit of {@code commits} (those after a version, see {@link #commitsAfter}) only
   * added records: a plain write whose files, as Hudi counts them per file written, updated and
   * deleted no record. Then no row of the table as of that version was replaced, and the changes
   * have no before images to find.
   */
  private static boolean onlyInserted(Optional<List<HoodieCommitMetadata>> commits) {
    return commits.map(all -> all.stream().allMatch(c ->
        PLAIN_WRITES.contains(c.getOperationType())
            && c.getWriteStats().stream().allMatch(w -> w.getNumUpdateWrites() == 0 && w.getNumDeletes() == 0)))
        .orElse(false);
  }

  /**
   * The metadata of the completed commits after {@code from} up to {@code to}, by completion time;
   * empty if {@code from} has left the active timeline (archived): the commits after it cannot all
   * be seen.
   */
  private static Optional<List<HoodieCommitMetadata>> commitsAfter(SparkSession spark, LakehouseTable table,
      TableVersion from, TableVersion to) {
    HoodieTimeline commits = completedCommits(spark, table);
    if (commits.getInstantsAsStream().noneMatch(i -> from.id().equals(i.getCompletionTime()))) {
      return Optional.empty();
    }
    List<HoodieCommitMetadata> after = new ArrayList<>();
    for (HoodieInstant i : commits.findInstantsInRangeByCompletionTime(from.id(), to.id()).getInstants()) {
      try {
        after.add(commits.readCommitMetadata(i));
      } catch (IOException e) {
        throw new LakehouseException("Cannot read the commit metadata of " + table + ": " + e.getMessage(), e);
      }
    }
    return Optional.of(after);
  }

  /** Hudi's own check before a time travel: the last clean's earliest retained commit. */
  @Override
  public Optional<String> historyCleanedAfter(SparkSession spark, LakehouseTable table, TableVersion version) {
    try {
      TimelineUtils.validateTimestampAsOf(metaClient(spark, table), requestedTimeOf(spark, table, version));
      return Optional.empty();
    } catch (IllegalArgumentException | HoodieTimeTravelException e) {
      return Optional.of("Hudi cannot read it as of version " + version + " (" + e.getMessage() + ")");
    }
  }

  /**
   * Hudi's incremental reads (the streams, the gold refreshes) look up the files as they are now,
   * and a refresh whose commits were cleaned is told by {@link #historyCleanedAfter}: no reader
   * names replaced files for the cleaner to keep.
   */
  @Override
  public List<Path> filesNeededAfter(SparkSession spark, LakehouseTable table, TableVersion version) {
    return List.of();
  }

  @Override
  public Map<String, TableVersion> streamPositions(SparkSession spark, LakehouseTable table, Map<String, List<String>> offsets) {
    return Map.of();
  }

  /**
   * Hudi's stream source offset ({@code {"offsetCommitTime":"..."}}) names the newest commit it has
   * read, by the time its commit completed: the table's version (see {@link #currentVersion}).
   */
  @Override
  public boolean streamReadAll(SparkSession spark, LakehouseTable table, String offset) {
    String read;
    try {
      read = OFFSETS.readTree(offset).path("offsetCommitTime").asText("");
    } catch (IOException e) {
      return false; // another source's offset, not JSON
    }
    // The newest by completion, not by request: of two writers, the one that started first may finish last.
    return completedCommits(spark, table).getInstantsAsStream().map(HoodieInstant::getCompletionTime)
        .max(java.util.Comparator.naturalOrder()).filter(read::equals).isPresent();
  }

  /**
   * Nothing to do: Hudi cleans itself. Each commit runs its cleaner (keeping the files of the last
   * {@code hoodie.clean.commits.retained} commits, 10 by default) and writes new rows into the small
   * files of the table before making new ones, which is what OPTIMIZE and VACUUM do for Delta.
   */
  @Override
  public MaintenanceResult maintain(SparkSession spark, LakehouseTable table, Maintenance maintenance,
      java.util.function.Supplier<List<Path>> needed, boolean dryRun) {
    return MaintenanceResult.nothingToDo("Hudi cleans replaced files at each commit (hoodie.clean.commits.retained)"
        + " and packs new rows into small files as it writes them");
  }

  @Override
  public Dataset<Row> read(SparkSession spark, LakehouseTable table) {
    return withoutMetaColumns(spark.read().format("hudi").load(table.location()));
  }

  @Override
  public Dataset<Row> readAt(SparkSession spark, LakehouseTable table, TableVersion version) {
    return withoutMetaColumns(withMetaColumnsAt(spark, table, version));
  }

  private Dataset<Row> withMetaColumnsAt(SparkSession spark, LakehouseTable table, TableVersion version) {
    return spark.read().format("hudi").option("as.of.instant", requestedTimeOf(spark, table, version)).load(table.location());
  }

  /**
   * The rows of a table without keys at {@code from} that are gone at {@code to}, told apart by the
   * key Hudi generated for each row it wrote ({@code _hoodie_record_key}, kept when a DELETE rewrites
   * a file): two equal rows are two keys, and rows need not be comparable (Spark's EXCEPT ALL
   * refuses map columns). Every such table has the key: Hudi refuses to write one without its meta
   * columns ("Disabling hoodie.populate.meta.fields is not supported with auto generation of record
   * keys").
   */
  private Dataset<Row> removedRows(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to) {
    Dataset<Row> was = withMetaColumnsAt(spark, table, from).as("was");
    Dataset<Row> is = withMetaColumnsAt(spark, table, to).select(RECORD_KEY).as("is");
    return withoutMetaColumns(was.join(is, col("was." + RECORD_KEY).equalTo(col("is." + RECORD_KEY)), "left_anti"));
  }

  @Override
  public Dataset<Row> readChanges(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to) {
    if (to.id().compareTo(from.id()) <= 0) {
      return readAt(spark, table, to).limit(0).withColumn(CHANGE_TYPE, lit(UPSERT));
    }
    // Begin is exclusive and end inclusive, both compared with completion times.
    Dataset<Row> after = withoutMetaColumns(incrementalSession(spark).read().format("hudi")
        .option("hoodie.datasource.query.type", "incremental")
        .option("hoodie.datasource.read.begin.instanttime", from.id())
        .option("hoodie.datasource.read.end.instanttime", to.id())
        .load(table.location()));
    Dataset<Row> changes = after.withColumn(CHANGE_TYPE, lit(UPSERT));
    Optional<List<HoodieCommitMetadata>> commits = commitsAfter(spark, table, from, to);
    if (table.keys().isEmpty()) {
      // Appended to, nothing replaced; rows leave only by a bronze retention's SQL DELETE, which the
      // incremental query does not show: the rows as they were that are gone, duplicates counted.
      return mayHaveRemovedKeys(commits)
          ? changes.unionByName(removedRows(spark, table, from, to).withColumn(CHANGE_TYPE, lit(DELETE)), true)
          : changes;
    }
    if (onlyInserted(commits)) {
      return changes; // new keys only (a silver table's new rows, say): no scan of the whole table as it was
    }
    // The incremental query shows rows as they are now; the rows they replaced come from time travel.
    Dataset<Row> before = readAt(spark, table, from);
    List<org.apache.spark.sql.Column> on = new ArrayList<>();
    for (String k : table.keys()) {
      on.add(before.col("`" + k + "`").eqNullSafe(after.col("`" + k + "`")));
    }
    Dataset<Row> replaced = before.join(after, on.stream().reduce(org.apache.spark.sql.Column::and).orElseThrow(), "left_semi");
    // Columns added since {@code from} (upstream schema evolution) read null in the old images.
    changes = changes.unionByName(replaced.withColumn(CHANGE_TYPE, lit(UPDATE_PREIMAGE)), true);
    if (!mayHaveRemovedKeys(commits)) {
      return changes;
    }
    // The incremental query shows no row for a key a commit removed (a delete marker, an
    // overwrite, SQL DELETE): its row as it was is a delete if the key is gone at {@code to}.
    // A reader of the changes (an incremental gold table) would otherwise keep what it contributed.
    Dataset<Row> removed = before.as("b").join(readAt(spark, table, to).as("n"),
        LakehouseTable.keysMatch(table.keys(), "b", "n"), "left_anti");
    return changes.unionByName(removed.withColumn(CHANGE_TYPE, lit(DELETE)), true);
  }

  /**
   * Whether a commit of {@code commits} may have removed a key: a plain write that, as Hudi counts
   * per file written, deleted records (delete markers), or any other write but a reorganisation
   * (an overwrite, SQL {@code DELETE}); true when the commits cannot all be seen. Only then are the
   * keys at the newer version read to find those gone.
   */
  private static boolean mayHaveRemovedKeys(Optional<List<HoodieCommitMetadata>> commits) {
    return commits.map(all -> all.stream().anyMatch(c ->
        !REORGANISING.contains(c.getOperationType()) && (!PLAIN_WRITES.contains(c.getOperationType())
            || c.getWriteStats().stream().anyMatch(w -> w.getNumDeletes() > 0))))
        .orElse(true);
  }

  /**
   * A session of its own for Hudi's incremental query, with {@code spark}'s settings. Reading an
   * incremental relation, Hudi 1.1 sets its session's {@code spark.sql.parquet.enableVectorizedReader}
   * to false (such a relation cannot read in batches;
   * {@code HoodieFileGroupReaderBasedFileFormat.buildReaderWithPartitionValues}): every Parquet scan
   * planned in that session afterwards, Delta's too, would read row by row, and a plan made before
   * the switch fails when adaptive execution canonicalises it afterwards ({@code ColumnarToRowExec}'s
   * assertion, Spark's {@code INTERNAL_ERROR}; the before images of {@link #readChanges}, read in the
   * same query, did). In a session of its own the switch reaches only incremental relations, which
   * never read in batches: the batch reads of {@link #readChanges} and the micro-batches of
   * {@link #readStream}. The settings are copied at each read: the caller's may have changed.
   */
  private static SparkSession incrementalSession(SparkSession spark) {
    SparkSession own = INCREMENTAL_SESSIONS.computeIfAbsent(spark, SparkSession::newSession);
    JavaConverters.mapAsJavaMap(spark.conf().getAll()).forEach((key, value) -> {
      if (spark.conf().isModifiable(key)) {
        own.conf().set(key, value);
      }
    });
    return own;
  }

  /** Per session of the caller: its incremental query's own ({@link #incrementalSession}); forgotten with it. */
  private static final Map<SparkSession, SparkSession> INCREMENTAL_SESSIONS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  @Override
  public Optional<TableVersion> currentVersion(SparkSession spark, LakehouseTable table) {
    if (!exists(spark, table)) {
      return Optional.empty();
    }
    return completedCommits(spark, table).lastInstant().toJavaOptional()
        .map(i -> new TableVersion(i.getCompletionTime()));
  }

  @Override
  public Dataset<Row> readStream(SparkSession spark, LakehouseTable table) {
    // Hudi's stream source reads each micro-batch as an incremental relation of the session that
    // created the source, not of the stream's clone: created in the caller's, it switched the
    // caller's vectorised reader off at the stream's first batch, for every table of the run (see
    // incrementalSession). Made in a session of its own, the plan is then the caller's to start.
    Dataset<Row> stream = incrementalSession(spark).readStream().format("hudi").load(table.location());
    return withoutMetaColumns(Dataset.ofRows(spark, stream.logicalPlan()));
  }

  @Override
  public void deleteWhere(SparkSession spark, LakehouseTable table, String condition) {
    // Hudi's SQL DELETE also serves tables without record keys (bronze), which the datasource's
    // delete operation cannot address.
    table.register(spark); // afresh (a Hudi entry does not follow commits), its layer's database first
    spark.sql("DELETE FROM " + rawName(table) + " WHERE " + condition);
  }

  @Override
  public void register(SparkSession spark, LakehouseTable table) {
    // The Hudi table itself sits under a side name; layer.name is a view without Hudi's _hoodie_*
    // columns, so SELECT * gives the same columns as on Delta.
    String raw = rawName(table);
    spark.sql("CREATE TABLE " + raw + " USING hudi LOCATION " + LakehouseTable.sqlLiteral(table.location()));
    List<String> columns = new ArrayList<>();
    for (String c : withoutMetaColumns(spark.table(raw)).columns()) {
      columns.add("`" + c.replace("`", "``") + "`");
    }
    spark.sql("CREATE VIEW " + table.name() + " AS SELECT " + String.join(", ", columns) + " FROM " + raw);
  }

  /** The view under the table's name lists the columns it had when it was made. */
  @Override
  public boolean entryFollowsCommits() {
    return false;
  }

  @Override
  public void unregister(SparkSession spark, LakehouseTable table) {
    LakehouseTable.unregister(spark, table.name().toString());
    LakehouseTable.unregister(spark, rawName(table));
  }

  @Override
  public void refresh(SparkSession spark, LakehouseTable table) {
    if (LakehouseTable.registeredAt(spark, rawName(table), table.location())) {
      spark.catalog().refreshTable(rawName(table));
    }
  }

  /** The catalog name of the Hudi table behind the {@code layer.name} view. */
  private static String rawName(LakehouseTable table) {
    return table.name().layer().id() + "._hudi_" + table.name().name();
  }

  private boolean alreadyCommitted(SparkSession spark, LakehouseTable table, BatchMark mark) {
    Long last = batchMarks(spark, table, mark.appId()).get(mark.appId());
    return last != null && last >= mark.batchId();
  }

  @Override
  public Map<String, Long> lastBatches(SparkSession spark, LakehouseTable table) {
    return batchMarks(spark, table, null);
  }

  /**
   * From the commits' metadata (see {@link #append}), newest first: each app's newest batch id.
   * With {@code until}, stops at that app's newest commit: the replay check of every append reads
   * no further back than it must.
   */
  private Map<String, Long> batchMarks(SparkSession spark, LakehouseTable table, String until) {
    if (!exists(spark, table)) {
      return Map.of();
    }
    HoodieTimeline commits = completedCommits(spark, table);
    List<HoodieInstant> instants = new ArrayList<>(commits.getInstants());
    Map<String, Long> batches = new HashMap<>();
    for (int i = instants.size() - 1; i >= 0 && (until == null || !batches.containsKey(until)); i--) {
      try {
        String committed = commits.readCommitMetadata(instants.get(i)).getMetadata(BATCH_KEY);
        int at = committed == null ? -1 : committed.lastIndexOf('@');
        if (at > 0) {
          batches.putIfAbsent(committed.substring(0, at), Long.parseLong(committed.substring(at + 1)));
        }
      } catch (IOException e) {
        throw new LakehouseException("Cannot read the commit metadata of " + table + ": " + e.getMessage(), e);
      }
    }
    return batches;
  }

  private String requestedTimeOf(SparkSession spark, LakehouseTable table, TableVersion version) {
    for (HoodieInstant i : completedCommits(spark, table).getInstants()) {
      if (version.id().equals(i.getCompletionTime())) {
        return i.requestedTime();
      }
    }
    throw new LakehouseException("Cannot read " + table.name() + " as of version " + version
        + ": no completed commit has that completion time; list the versions with the table's history");
  }

  private static HoodieTimeline completedCommits(SparkSession spark, LakehouseTable table) {
    return metaClient(spark, table).getCommitsTimeline().filterCompletedInstants();
  }

  private static HoodieTableMetaClient metaClient(SparkSession spark, LakehouseTable table) {
    return HoodieTableMetaClient.builder()
        .setConf(HadoopFSUtils.getStorageConfWithCopy(spark.sparkContext().hadoopConfiguration()))
        .setBasePath(table.location())
        .build();
  }

  private Map<String, String> options(SparkSession spark, LakehouseTable table, String operation) {
    return options(table, operation, committed(spark, table));
  }

  /**
   * @param existing the meta client of the table the write goes to, empty when the write makes the
   *     table anew (it does not exist, or an overwrite replaces it): the spec then says what it is;
   *     else the existing table does, and a write to it under other record keys than it has is
   *     refused here, with what to do
   */
  private static Map<String, String> options(LakehouseTable table, String operation, Optional<HoodieTableMetaClient> existing) {
    Map<String, String> o = new HashMap<>();
    o.put("hoodie.table.name", table.name().layer().id() + "_" + table.name().name());
    o.put("hoodie.datasource.write.operation", operation);
    // The type the table has, or gets when this write creates it: merge-on-read for a table whose
    // rows are replaced often and a few at a time (LakehouseTable.withFrequentUpdates), so a change
    // writes log blocks for the file groups it touches instead of rewriting each of them
    // (copy-on-write, which keys spread over every file group would make a rewrite of the table).
    HoodieTableType type = table.frequentUpdates() ? HoodieTableType.MERGE_ON_READ : HoodieTableType.COPY_ON_WRITE;
    if (existing.isPresent()) {
      HoodieTableMetaClient meta = existing.get();
      type = meta.getTableType();
      List<String> stored = storedKeys(meta);
      if (!stored.equals(table.keys())) {
        throw new LakehouseException("Cannot write to " + table.name() + ": the Hudi table at " + table.location()
            + " has the record keys " + stored + " but its spec now says keys = " + table.keys() + ", and Hudi cannot"
            + " change the keys of a table in place. Run it with --full-refresh to rebuild it from its sources under"
            + " the new keys, or put the keys back in its spec");
      }
    }
    o.put("hoodie.datasource.write.table.type", type.name());
    if (type == HoodieTableType.MERGE_ON_READ) {
      // Log blocks are folded into new base files after this many commits, by the write that
      // reaches it: the one cost of merge-on-read that follows the table, paid once in so many.
      o.put("hoodie.compact.inline", "true");
      o.put("hoodie.compact.inline.max.delta.commits", String.valueOf(COMPACT_EVERY));
      // New rows (new versions) go to new file groups: packing them into small ones rewrites those.
      o.put(SMALL_FILE_LIMIT, "0");
      // Finds the stored records of a change's keys by the keys (the metadata table's record
      // index) instead of reading every record key of the table (the default, simple index).
      o.put("hoodie.metadata.record.index.enable", "true");
      o.put("hoodie.index.type", "RECORD_INDEX");
    }
    if (!table.keys().isEmpty()) {
      o.put("hoodie.datasource.write.recordkey.field", String.join(",", table.keys()));
    }
    if (table.partitionBy().isEmpty()) {
      if (!table.keys().isEmpty()) {
        o.put("hoodie.datasource.write.keygenerator.class", "org.apache.hudi.keygen.NonpartitionedKeyGenerator");
      }
    } else {
      o.put("hoodie.datasource.write.partitionpath.field", String.join(",", table.partitionBy()));
      o.put("hoodie.datasource.write.hive_style_partitioning", "true");
      if (!table.keys().isEmpty()) {
        o.put("hoodie.datasource.write.keygenerator.class", "org.apache.hudi.keygen.ComplexKeyGenerator");
      }
    }
    return o;
  }

  /** The record key fields a table was made with; none for a table without keys (Hudi generates them). */
  private static List<String> storedKeys(HoodieTableMetaClient meta) {
    return meta.getTableConfig().getRecordKeyFields().map(List::of).orElse(List.of());
  }

  private static boolean hasTimestampKey(Dataset<Row> rows, LakehouseTable table) {
    for (org.apache.spark.sql.types.StructField f : rows.schema().fields()) {
      if (table.keys().contains(f.name()) && (f.dataType() instanceof org.apache.spark.sql.types.TimestampType
          || f.dataType() instanceof org.apache.spark.sql.types.TimestampNTZType)) {
        return true;
      }
    }
    return false;
  }

  private static Dataset<Row> withoutMetaColumns(Dataset<Row> df) {
    List<String> meta = new ArrayList<>();
    for (String c : df.columns()) {
      if (c.startsWith("_hoodie_")) {
        meta.add(c);
      }
    }
    return df.drop(meta.toArray(String[]::new));
  }
}
