package dev.lakehouse.core.format;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A table as the layers see it: where it lives, how rows are identified, and the operations of its
 * format. Obtain one with {@link #of(TableSpec)}.
 */
public final class LakehouseTable {
  private final TableName name;
  private final String location;
  private final List<String> keys;
  private final List<String> partitionBy;
  private final TableFormat format;
  private final boolean frequentUpdates;

  public LakehouseTable(TableName name, String location, List<String> keys, List<String> partitionBy, FormatKind kind) {
    this(name, location, keys, partitionBy, kind, false);
  }

  private LakehouseTable(TableName name, String location, List<String> keys, List<String> partitionBy, FormatKind kind,
      boolean frequentUpdates) {
    this.name = name;
    this.location = location;
    this.keys = List.copyOf(keys);
    this.partitionBy = List.copyOf(partitionBy);
    this.format = switch (kind) {
      case DELTA -> DeltaFormat.INSTANCE;
      case HUDI -> HudiFormat.INSTANCE;
    };
    this.frequentUpdates = frequentUpdates;
  }

  /**
   * This table, declared as one whose rows are replaced often and a few at a time (an SCD type 2
   * history), which a format may lay out for that when it creates the table: Hudi makes it
   * merge-on-read. Delta needs no such hint: every table it replaces rows of by key has deletion
   * vectors. A table that exists keeps the layout it was created with.
   */
  public LakehouseTable withFrequentUpdates() {
    return new LakehouseTable(name, location, keys, partitionBy, format.kind(), true);
  }

  /** See {@link #withFrequentUpdates}. */
  public boolean frequentUpdates() {
    return frequentUpdates;
  }

  public static LakehouseTable of(TableSpec spec) {
    return new LakehouseTable(spec.name(), spec.location(), spec.keys(), spec.partitionBy(), spec.format());
  }

  public TableName name() {
    return name;
  }

  public String location() {
    return location;
  }

  public List<String> keys() {
    return keys;
  }

  public List<String> partitionBy() {
    return partitionBy;
  }

  public FormatKind formatKind() {
    return format.kind();
  }

  public boolean exists(SparkSession spark) {
    return format.exists(spark, this);
  }

  public void create(SparkSession spark, StructType schema) {
    format.create(spark, this, schema);
  }

  public void append(Dataset<Row> rows, Optional<BatchMark> mark) {
    format.append(rows, this, mark);
    refreshCatalog(rows.sparkSession());
  }

  /** An append that also adds the columns of {@code rows} the table lacks (schema evolution). */
  public void appendAddingColumns(Dataset<Row> rows, Optional<BatchMark> mark) {
    format.appendAddingColumns(rows, this, mark);
    refreshCatalog(rows.sparkSession());
  }

  public void upsert(Dataset<Row> rows, Optional<String> sequenceBy) {
    if (keys.isEmpty()) {
      throw new LakehouseException("Cannot upsert into " + name + ": it declares no keys; add keys = [...] to its spec");
    }
    format.upsert(rows, this, sequenceBy);
    refreshCatalog(rows.sparkSession());
  }

  public void overwrite(Dataset<Row> rows) {
    overwrite(rows, Optional.empty());
  }

  /** Replaces the content in one commit that carries {@code note} (see {@link #lastCommitNote}). */
  public void overwrite(Dataset<Row> rows, Optional<String> note) {
    format.overwrite(rows, this, note);
    refreshCatalog(rows.sparkSession());
  }

  /** See {@link TableFormat#replaceKeys}. */
  public void replaceKeys(Dataset<Row> rows, Dataset<Row> keys, String note) {
    if (this.keys.isEmpty()) {
      throw new LakehouseException("Cannot replace rows of " + name + " by key: it declares no keys; add keys = [...] to its spec");
    }
    format.replaceKeys(rows, keys, this, note);
    refreshCatalog(rows.sparkSession());
  }

  /** See {@link TableFormat#insertNew}. */
  public void insertNew(Dataset<Row> rows, String note) {
    format.insertNew(rows, this, note);
    refreshCatalog(rows.sparkSession());
  }

  /** Deletes the rows where {@code condition} (Spark SQL) holds, in one commit. */
  public void deleteWhere(SparkSession spark, String condition) {
    format.deleteWhere(spark, this, condition);
    refreshCatalog(spark);
  }

  public Optional<String> lastCommitNote(SparkSession spark) {
    return format.lastCommitNote(spark, this);
  }

  /** The table {@code companion} kept beside this one: its name and location plus the companion's suffix. */
  public LakehouseTable companion(Companion companion) {
    return new LakehouseTable(companion.nameOf(name), companion.locationOf(location), List.of(), List.of(), format.kind());
  }

  /** What a refresh may keep beside a table ({@link #keptBeside}). */
  public enum Kept {
    /** A gold table's partial aggregates per group, merged with each refresh's changes. */
    STATE,
    /** Every row a top n (ORDER BY ... LIMIT) ranks, refreshed by key and ranked again. */
    UNRANKED;

    String suffix() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * A table keyed as this one that a refresh keeps beside it for its own use: named {@code
   * <name>_<kept>}, at this table's location plus {@code .<kept>} ({@code gold/daily.state}). A dot
   * cannot occur in a table name, so no declared table's default location is this one.
   */
  public LakehouseTable keptBeside(Kept kept) {
    return new LakehouseTable(new TableName(name.layer(), name.name() + "_" + kept.suffix()), location + "." + kept.suffix(),
        keys, List.of(), format.kind());
  }

  /** See {@link TableFormat#lastBatches}. */
  public Map<String, Long> lastBatches(SparkSession spark) {
    return format.lastBatches(spark, this);
  }

  /** See {@link TableFormat#commitNote}. */
  public void commitNote(SparkSession spark, String note) {
    format.commitNote(spark, this, note);
  }

  public Optional<String> commitId(SparkSession spark, TableVersion version) {
    return format.commitId(spark, this, version);
  }

  public Optional<String> historyCleanedAfter(SparkSession spark, TableVersion version) {
    return format.historyCleanedAfter(spark, this, version);
  }

  /** See {@link TableFormat#filesNeededAfter}. */
  public List<org.apache.hadoop.fs.Path> filesNeededAfter(SparkSession spark, TableVersion version) {
    return format.filesNeededAfter(spark, this, version);
  }

  /** See {@link TableFormat#streamPositions}. */
  public Map<String, TableVersion> streamPositions(SparkSession spark, Map<String, List<String>> offsets) {
    return format.streamPositions(spark, this, offsets);
  }

  /** See {@link TableFormat#streamReadAll}. */
  public boolean streamReadAll(SparkSession spark, String offset) {
    return format.streamReadAll(spark, this, offset);
  }

  /** See {@link TableFormat#maintain}. */
  public MaintenanceResult maintain(SparkSession spark, dev.lakehouse.core.spec.Maintenance maintenance,
      java.util.function.Supplier<List<org.apache.hadoop.fs.Path>> needed, boolean dryRun) {
    return format.maintain(spark, this, maintenance, needed, dryRun);
  }

  public boolean changesData(SparkSession spark, TableVersion from, TableVersion to) {
    return format.changesData(spark, this, from, to);
  }

  public Dataset<Row> read(SparkSession spark) {
    return format.read(spark, this);
  }

  public Dataset<Row> readAt(SparkSession spark, TableVersion version) {
    return format.readAt(spark, this, version);
  }

  public Dataset<Row> readChanges(SparkSession spark, TableVersion from, TableVersion to) {
    return format.readChanges(spark, this, from, to);
  }

  public Optional<TableVersion> currentVersion(SparkSession spark) {
    return format.currentVersion(spark, this);
  }

  public Dataset<Row> readStream(SparkSession spark) {
    return format.readStream(spark, this);
  }

  /**
   * (Re-)registers the table in the session catalog as {@code layer.name}, replacing whatever
   * that name pointed to (another location or format registered earlier in this session).
   */
  public void register(SparkSession spark) {
    // Tables of one run register from several threads; the catalog's CREATE DATABASE races otherwise.
    synchronized (LakehouseTable.class) {
      // Each table run ends here: making the entry again cost a snapshot load and three catalog commands.
      if (format.entryFollowsCommits() && registeredAt(spark, name.toString(), location)) {
        return;
      }
      spark.sql("CREATE DATABASE IF NOT EXISTS " + name.layer().id());
      format.unregister(spark, this);
      format.register(spark, this);
    }
  }

  /**
   * Rows of {@code left} and {@code right} (Dataset aliases) with equal {@code keys}, nulls equal
   * to nulls: how the formats and the gold refresh match rows by key.
   */
  public static org.apache.spark.sql.Column keysMatch(List<String> keys, String left, String right) {
    org.apache.spark.sql.Column match = null;
    for (String k : keys) {
      org.apache.spark.sql.Column eq = org.apache.spark.sql.functions.col(left + ".`" + k + "`")
          .eqNullSafe(org.apache.spark.sql.functions.col(right + ".`" + k + "`"));
      match = match == null ? eq : match.and(eq);
    }
    return match;
  }

  /** This table's rows whose keys are not among {@code keys}. */
  public Dataset<Row> readWithoutKeys(SparkSession spark, Dataset<Row> keys) {
    return read(spark).as("t").join(keys.as("k"), keysMatch(this.keys, "t", "k"), "left_anti");
  }

  /** {@code path} as a SQL string literal, for {@code CREATE TABLE ... LOCATION}. */
  public static String sqlLiteral(String path) {
    return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /** Drops a catalog entry, table or view, if there is one; never touches data. */
  public static void unregister(SparkSession spark, String qualifiedName) {
    if (!spark.catalog().tableExists(qualifiedName)) {
      return;
    }
    boolean view;
    try {
      view = "VIEW".equalsIgnoreCase(spark.catalog().getTable(qualifiedName).tableType());
    } catch (org.apache.spark.sql.AnalysisException e) {
      return; // dropped by someone else meanwhile
    }
    spark.sql((view ? "DROP VIEW " : "DROP TABLE ") + qualifiedName);
  }

  /**
   * Whether the catalog's {@code qualifiedName} is a table stored at {@code location}. A
   * long-lived session (a notebook, a benchmark) may hold the name for another root's table, or
   * for files deleted since; refreshing such an entry reads the other table, or fails on the
   * missing one after this table's write has committed. The table run's end registers it again.
   */
  public static boolean registeredAt(SparkSession spark, String qualifiedName, String location) {
    if (!spark.catalog().tableExists(qualifiedName)) {
      return false;
    }
    int dot = qualifiedName.indexOf('.');
    org.apache.spark.sql.catalyst.catalog.CatalogTable entry;
    try {
      entry = spark.sessionState().catalog().getTableMetadata(new org.apache.spark.sql.catalyst.TableIdentifier(
          qualifiedName.substring(dot + 1), scala.Option.apply(qualifiedName.substring(0, dot))));
    } catch (org.apache.spark.sql.AnalysisException e) {
      return false; // dropped by someone else meanwhile
    }
    if (entry.tableType() == org.apache.spark.sql.catalyst.catalog.CatalogTableType.VIEW()) {
      return false;
    }
    try {
      Path ours = new Path(location);
      FileSystem fs = ours.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return fs.makeQualified(new Path(entry.location())).equals(fs.makeQualified(ours));
    } catch (IOException e) {
      throw new LakehouseException("Cannot open " + location + " of " + qualifiedName + ": " + e.getMessage(), e);
    }
  }

  /**
   * Makes queries of the table's name in {@code spark}, and of the tables beside it (quarantine,
   * tombstones, changes), see their last writes, made in another session: a stream's micro-batch
   * writes in the stream's clone of the session, whose catalog caches apart. Only a format whose
   * entry caches the table's files (Hudi) needs it; a Delta entry loads the newest snapshot at each
   * query. The tables beside it too: a full refresh deletes them and the batch writes them anew,
   * and the entry cached before still listed the deleted files (SparkFileNotFoundException).
   */
  public void refreshCachedEntry(SparkSession spark) {
    if (!format.entryFollowsCommits()) {
      refreshCatalog(spark);
      for (Companion c : Companion.values()) {
        companion(c).refreshCatalog(spark);
      }
    }
  }

  /** A session caches the files of a catalog table (Hudi's especially): SQL must see this write. */
  private void refreshCatalog(SparkSession spark) {
    synchronized (LakehouseTable.class) {
      format.refresh(spark, this);
    }
  }

  /** Removes the table from the catalog and deletes its files: the start of a full refresh. */
  public void delete(SparkSession spark) {
    synchronized (LakehouseTable.class) {
      format.unregister(spark, this);
    }
    deletePath(spark, location);
  }

  /** Deletes a folder (a table's files, a checkpoint) recursively, on any Hadoop file system. */
  public static void deletePath(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.delete(p, true);
    } catch (IOException e) {
      throw new LakehouseException("Cannot delete " + path + ": " + e.getMessage() + "; check permissions", e);
    }
  }

  @Override
  public String toString() {
    return name + " (" + format.kind().id() + " at " + location + ")";
  }
}
