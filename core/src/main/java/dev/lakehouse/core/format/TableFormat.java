package dev.lakehouse.core.format;

import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.Maintenance;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * What the framework needs from an open table format. The only place where Delta and Hudi differ;
 * layers call {@link LakehouseTable}, which delegates here, and never ask which format they use.
 *
 * <p>Every write is one atomic commit: readers see all of it or none of it.
 */
public interface TableFormat {
  /** Column holding the kind of change in {@link #readChangesSince}: insert, update, delete or upsert. */
  String CHANGE_TYPE = "_change_type";

  String INSERT = "insert";
  String UPDATE = "update";
  String UPSERT = "upsert";
  String UPDATE_PREIMAGE = "update_preimage";
  String DELETE = "delete";

  /** True for the change rows that show a row as it was before a change. */
  static org.apache.spark.sql.Column isBeforeImage() {
    return org.apache.spark.sql.functions.col(CHANGE_TYPE).isin(UPDATE_PREIMAGE, DELETE);
  }

  FormatKind kind();

  boolean exists(SparkSession spark, LakehouseTable table);

  /** Creates an empty table with {@code schema}; a no-op when the table exists. */
  void create(SparkSession spark, LakehouseTable table, StructType schema);

  /**
   * Adds {@code rows}; creates the table on first write. With a {@code mark}, an append of a batch
   * the table already committed is skipped.
   */
  void append(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark);

  /**
   * Like {@link #append}, and columns of {@code rows} that the table lacks are added to its schema
   * in the same commit (schema evolution); rows already stored read them as null.
   */
  void appendAddingColumns(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark);

  /**
   * Inserts rows with new keys and replaces rows with known keys (the table's {@code keys}). When
   * {@code sequenceBy} is given, a stored row is replaced only by a row whose sequence value is not
   * older. {@code rows} must hold at most one row per key. Columns of {@code rows} that the table
   * lacks are added to it, as {@link #replaceKeys} and {@link #insertNew} add them (on Delta in a
   * commit before the write's; stored rows read them as null).
   */
  void upsert(Dataset<Row> rows, LakehouseTable table, Optional<String> sequenceBy);

  /**
   * Replaces the whole content (and schema) of the table in one commit, which carries {@code note}
   * when given (see {@link #lastCommitNote}).
   */
  void overwrite(Dataset<Row> rows, LakehouseTable table, Optional<String> note);

  /**
   * Replaces, in one commit carrying {@code note}, the rows whose key values (the table's
   * {@code keys}) appear in {@code keys}: rows of {@code rows} are inserted or replace the stored
   * row with the same key, and stored rows whose key is in {@code keys} but not in {@code rows} are
   * deleted. {@code rows} holds at most one row per key, all of them with keys in {@code keys}.
   * Both must give the same rows however often they are computed (materialised, or read from
   * table snapshots): a format may read them more than once.
   */
  void replaceKeys(Dataset<Row> rows, Dataset<Row> keys, LakehouseTable table, String note);

  /**
   * Adds, in one commit carrying {@code note}, rows whose keys the table does not hold yet (the
   * caller has checked that): no lookup of the stored rows, so the cost follows {@code rows}, not
   * the table. Creates the table on first write, as {@link #replaceKeys} does.
   */
  void insertNew(Dataset<Row> rows, LakehouseTable table, String note);

  /** The note the latest commit carries, empty when it has none or the table does not exist. */
  Optional<String> lastCommitNote(SparkSession spark, LakehouseTable table);

  /**
   * The newest batch id committed per app id by appends with a {@link BatchMark}; empty when none
   * was (or the table does not exist). An append whose id is not above its app's is skipped.
   */
  Map<String, Long> lastBatches(SparkSession spark, LakehouseTable table);

  /**
   * A commit of no change that carries {@code note}, for a refresh that found nothing to write but
   * must still record what it has seen. The table exists. Here, a replace of no keys: a Hudi upsert
   * of no rows still commits.
   */
  default void commitNote(SparkSession spark, LakehouseTable table, String note) {
    Dataset<Row> none = read(spark, table).limit(0);
    replaceKeys(none, none.selectExpr(table.keys().stream().map(k -> "`" + k + "`").toArray(String[]::new)), table, note);
  }

  /** Deletes the rows where {@code condition} (Spark SQL) holds, in one commit. */
  void deleteWhere(SparkSession spark, LakehouseTable table, String condition);

  /** The current content, with the table's own columns only (no format metadata columns). */
  Dataset<Row> read(SparkSession spark, LakehouseTable table);

  /** The content as of {@code version} (time travel). */
  Dataset<Row> readAt(SparkSession spark, LakehouseTable table, TableVersion version);

  /**
   * Rows changed by the commits after {@code from} up to and including {@code to}, with the table's
   * columns and {@value #CHANGE_TYPE}: {@value #INSERT}, {@value #UPDATE} or {@value #UPSERT} for
   * the rows as they are after the change, {@value #UPDATE_PREIMAGE} and {@value #DELETE} for the
   * rows as they were before it. Delta reads its change data feed. Hudi reads its incremental query
   * ({@value #UPSERT} rows) and, for a table with keys, finds the rows those replaced by time travel
   * to {@code from}, and the rows of the keys gone at {@code to} (the query shows no deletes).
   */
  Dataset<Row> readChanges(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to);

  /**
   * A text that names commit {@code version} of this table and no commit of any other table at this
   * location (a table deleted and created again reuses version numbers); empty when the table has
   * no such commit. Lets a reader check that a version it recorded still means the same data.
   */
  Optional<String> commitId(SparkSession spark, LakehouseTable table, TableVersion version);

  /**
   * Why the table's rows at {@code version}, or its changes after it, can no longer all be read:
   * its own cleanup (Delta {@code VACUUM}, Hudi's cleaner) removed files they need. Empty when
   * they can. Asked before reading them, so that a reader that recorded {@code version} starts
   * over instead of failing halfway on a missing file.
   */
  Optional<String> historyCleanedAfter(SparkSession spark, LakehouseTable table, TableVersion version);

  /**
   * The files a reader that has read up to {@code version} still needs for the versions after it
   * and that the newest version no longer refers to: what the format's cleanup must keep for it.
   * Empty for a format whose readers of later versions need no replaced file.
   */
  List<org.apache.hadoop.fs.Path> filesNeededAfter(SparkSession spark, LakehouseTable table, TableVersion version);

  /**
   * Where the streams reading this table stand, from their checkpoints' offsets (one JSON entry per
   * source, by stream): for each stream with an entry that reads this table, the version it has
   * read up to (the oldest, when several do). Empty for a format whose streams need no replaced
   * file to read on.
   */
  Map<String, TableVersion> streamPositions(SparkSession spark, LakehouseTable table, Map<String, List<String>> offsets);

  /**
   * Whether a stream whose last committed batch read this table up to {@code offset} (the source's
   * entry in the checkpoint's offsets) has read every version the table has now, so that a new
   * start would find nothing to read. False when it cannot tell: the offset is another table's, or
   * the format does not know it.
   */
  boolean streamReadAll(SparkSession spark, LakehouseTable table, String offset);

  /**
   * Compacts the table's small files and deletes the files its newest version no longer refers to
   * once older than {@code maintenance.keepHistory()}, but none of the files {@code needed} gives
   * (asked after the compaction, whose replaced files readers behind it may need too). With {@code
   * dryRun}, changes nothing and says what it would delete.
   */
  MaintenanceResult maintain(SparkSession spark, LakehouseTable table, Maintenance maintenance,
      java.util.function.Supplier<List<org.apache.hadoop.fs.Path>> needed, boolean dryRun);

  /**
   * Whether the commits after {@code from} up to and including {@code to} changed the table's rows
   * or schema. False for commits that only maintain it (Delta's {@code VACUUM}, which commits its
   * start and end, and {@code OPTIMIZE}, which rewrites files without changing a row): a reader
   * that recorded {@code from} has nothing new to read. When unsure, true.
   */
  boolean changesData(SparkSession spark, LakehouseTable table, TableVersion from, TableVersion to);

  /** The latest committed version, empty when the table does not exist or has no commit. */
  Optional<TableVersion> currentVersion(SparkSession spark, LakehouseTable table);

  /**
   * A streaming read of the rows the table gains (inserted or updated), from its first commit on;
   * progress is kept by the query's checkpoint. A Delta table that records no change data feed
   * gives its appended rows, and a commit that changed rows stops the stream.
   */
  Dataset<Row> readStream(SparkSession spark, LakehouseTable table);

  /**
   * Registers the table in the session catalog as {@code layer.name}, showing the table's own
   * columns only; {@link #unregister} has run and the database exists when this is called.
   */
  void register(SparkSession spark, LakehouseTable table);

  /**
   * True when an entry {@link #register} made shows the table as every later commit leaves it,
   * columns included, so an entry already naming the table's location need not be made again.
   */
  boolean entryFollowsCommits();

  /** Removes every catalog entry {@link #register} made; data stays. */
  void unregister(SparkSession spark, LakehouseTable table);

  /**
   * Makes SQL in {@code spark} see the latest commit of the table, when its name is registered for
   * its location ({@link LakehouseTable#registeredAt}); an entry for another location is left to
   * the next {@link #register}.
   */
  void refresh(SparkSession spark, LakehouseTable table);
}
