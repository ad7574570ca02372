package dev.lakehouse.bronze;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.drift.DriftCheck;
import dev.lakehouse.bronze.drift.ReservedColumns;
import dev.lakehouse.bronze.quarantine.QuarantineTable;
import dev.lakehouse.bronze.source.BronzeSource;
import dev.lakehouse.bronze.source.RecordTally;
import dev.lakehouse.bronze.source.Records;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spark.RowCounter;
import dev.lakehouse.core.spec.BadRecords;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SchemaDrift;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A bronze table: records from a source, appended unchanged with lineage columns. Bronze never
 * updates a row, and deletes rows only when the table declares a {@code retention} (those ingested
 * longer ago, at the start of a run: {@link #expire}); a micro-batch replayed after a crash is
 * recognised and not appended twice.
 *
 * <p>Per micro-batch: the source parses the records; records that do not parse go to the
 * quarantine table or the rescue column ({@code bad-records}); columns the table does not have are
 * handled by {@code schema-drift}; then one append with the batch's mark.
 *
 * <p>The schema records are read with is pinned: the table's own data columns once it exists,
 * else the declared schema, else one inferred from the source at the first run (the table is then
 * created with it at once, so it is never inferred again).
 */
public final class BronzeIngest implements TableJob {
  /** When the row was ingested. */
  public static final String INGESTED_AT = BronzeColumns.INGESTED_AT;
  /** Where the row came from. */
  public static final String SOURCE = BronzeColumns.SOURCE;
  /** The micro-batch that ingested the row. */
  public static final String BATCH_ID = BronzeColumns.BATCH_ID;
  /** The run that ingested the row. */
  public static final String RUN_ID = BronzeColumns.RUN_ID;

  private final TableSpec spec;
  private final LayerSpec.Bronze bronze;
  private final LakehouseTable target;
  private final BronzeSource source;
  private final QuarantineTable quarantine;
  private StructType pinned;
  private List<DriftCheck.NewColumn> newColumns = List.of(); // of the batch being processed
  private boolean addsRescueColumn; // the batch being processed adds the rescue column to the table

  public BronzeIngest(TableSpec spec) {
    this.spec = spec;
    this.bronze = (LayerSpec.Bronze) spec.layer();
    this.target = LakehouseTable.of(spec);
    this.source = BronzeSource.of(spec);
    this.quarantine = new QuarantineTable(spec);
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return List.of();
  }

  /**
   * The table outside the pipeline this table ingests, when it ingests one and keeps every row: a
   * run that finds its stream has read that table's newest version starts no stream. A table with a
   * {@code retention} starts it, since its {@link #input} also expires old rows.
   */
  @Override
  public Optional<List<LakehouseTable>> streamedTables() {
    return bronze.retention().isPresent() ? Optional.empty() : source.streamedTable().map(List::of);
  }

  /** The quarantine table of this bronze table ({@code bronze.<name>_quarantine}). */
  public LakehouseTable quarantineTable() {
    return quarantine.table();
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    if (bronze.source() instanceof SourceSpec.Files files) {
      ensureFolder(spark, files.path());
    }
    pinned = pinnedSchema(spark);
    bronze.retention().ifPresent(keep -> expire(spark, keep));
    return source.stream(spark, pinned);
  }

  /**
   * Deletes the rows ingested longer than {@code keep} ago, from the table and its quarantine, at
   * the start of a run: the one way rows leave bronze, and only when the spec asks for it. The
   * formats keep the deleted files for time travel until their own cleanup (Delta VACUUM, Hudi's
   * cleaner) removes them. Readers downstream take these commits as no new rows.
   */
  private void expire(SparkSession spark, java.time.Duration keep) {
    long cutoffMicros = java.time.temporal.ChronoUnit.MICROS.between(java.time.Instant.EPOCH, java.time.Instant.now().minus(keep));
    String condition = "`" + INGESTED_AT + "` < timestamp_micros(" + cutoffMicros + "L)";
    for (LakehouseTable t : List.of(target, quarantine.table())) {
      if (t.exists(spark)) {
        t.deleteWhere(spark, condition);
      }
    }
  }

  private boolean rescueColumn() {
    return bronze.badRecords() == BadRecords.RESCUE || bronze.schemaDrift() == SchemaDrift.RESCUE;
  }

  private StructType pinnedSchema(SparkSession spark) {
    Optional<String> declared = bronze.source() instanceof SourceSpec.Files f ? f.schema()
        : bronze.source() instanceof SourceSpec.Kafka k ? k.schema() : Optional.empty();
    StructType schema = declared.map(StructType::fromDDL).orElse(new StructType());
    if (target.exists(spark)) {
      Set<String> names = new LinkedHashSet<>(List.of(schema.fieldNames()));
      StructType stored = target.read(spark).schema();
      for (StructField f : stored.fields()) {
        if (!names.contains(f.name()) && !BronzeColumns.isFramework(f.name())
            && !source.metadataColumns().contains(f.name())) {
          schema = schema.add(f); // columns added by schema evolution stay pinned
        }
      }
      return withStoredFields(schema, stored);
    }
    if (declared.isPresent()) {
      return schema;
    }
    StructType inferred = source.inferSchema(spark);
    List<String> carried = ReservedColumns.among(List.of(inferred.fieldNames()));
    if (!carried.isEmpty()) { // before the table is made with them, twice
      throw ReservedColumns.refused(spec.name(), carried, "the schema inferred from its source", source.howToRename());
    }
    if (bronze.source() instanceof SourceSpec.Files) {
      target.create(spark, tableSchema(inferred)); // pinned: the next run reads the table's schema
    }
    return inferred;
  }

  /**
   * {@code schema} with each watched STRUCT ({@code schema-drift-structs}) read as the table stores
   * it, with the fields schema evolution added, then any declared field it lacks (new: drift).
   */
  private StructType withStoredFields(StructType schema, StructType stored) {
    StructField[] fields = schema.fields().clone();
    for (String s : bronze.driftStructs()) {
      if (!List.of(stored.fieldNames()).contains(s) || !(stored.apply(s).dataType() instanceof StructType kept)) {
        continue;
      }
      int i = schema.fieldIndex(s);
      StructType merged = kept;
      for (StructField f : ((StructType) fields[i].dataType()).fields()) {
        if (!List.of(kept.fieldNames()).contains(f.name())) {
          merged = merged.add(f);
        }
      }
      fields[i] = new StructField(s, merged, fields[i].nullable(), fields[i].metadata());
    }
    return new StructType(fields);
  }

  /** {@code data} followed by the source's metadata columns, as typed in {@code rows}. */
  private StructType withMetadata(StructType data, StructType rows) {
    StructType s = data;
    for (String m : source.metadataColumns()) {
      s = s.add(rows.apply(m));
    }
    return s;
  }

  /** The table's full schema for a data schema: data (and source metadata), rescue column, lineage. */
  private StructType tableSchema(StructType data) {
    StructType s = data;
    if (rescueColumn()) {
      s = s.add(BronzeColumns.RESCUED, DataTypes.StringType);
    }
    return s.add(SOURCE, DataTypes.StringType).add(INGESTED_AT, DataTypes.TimestampType)
        .add(BATCH_ID, DataTypes.LongType).add(RUN_ID, DataTypes.StringType);
  }

  /**
   * Sources that parse a batch in one pass are written straight from the source, and sources that
   * store what they parse are counted by that pass (see {@link #processBatch}).
   */
  @Override
  public boolean rereadsBatch() {
    return !source.readsBatchOnce() && !source.storesParsedBatch();
  }

  /**
   * Parses the batch, handles bad records and schema drift, and appends. A batch the runner did not
   * materialise is read once when it can be: its good and bad records are counted by the pass that
   * appends the good ones, and only a batch that has bad records is read again, for the quarantine.
   * Rescued records and expectations read it more than once, so the batch is materialised for them,
   * unless the source stores what it parses: then that pass reads and counts it.
   */
  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    if (source.readsBatchOnce() && bronze.badRecords() == BadRecords.QUARANTINE && context.expectations().isEmpty()) {
      return onePass(batch, context);
    }
    Records records;
    if (rereadsBatch()) {
      records = source.parse(batch, pinned); // the runner stored and counted it
    } else if (source.storesParsedBatch()) {
      RowCounter read = new RowCounter(batch.sparkSession(), "records read by " + spec.name());
      records = source.parse(read.counting(batch), pinned);
      context.read(read.count());
    } else {
      Dataset<Row> rows = LakehouseSpark.materialize(batch);
      context.read(LakehouseSpark.count(rows));
      records = source.parse(rows, pinned);
    }
    Optional<Records.Counts> counts = records.counts();
    long badCount = counts.map(Records.Counts::bad).orElseGet(() -> records.bad().count());
    Dataset<Row> out = prepared(records, badCount > 0, context);
    if (badCount > 0 && bronze.badRecords() == BadRecords.QUARANTINE) {
      quarantine.append(withLineage(records.bad(), context), context.mark());
      context.quarantine(badCount);
    }
    append(out, context);
    // Without expectations every good record is written, and the bad ones too when rescued.
    if (counts.isPresent() && context.expectations().isEmpty()) {
      return counts.get().good() + (bronze.badRecords() == BadRecords.RESCUE ? badCount : 0);
    }
    return out.count();
  }

  private long onePass(Dataset<Row> batch, BatchContext context) {
    RecordTally tally = new RecordTally(batch.sparkSession());
    Records parsed = source.parse(batch, pinned);
    append(prepared(parsed.counted(tally).orElse(parsed), false, context), context);
    if (tally.counted() && tally.bad() == 0) {
      context.read(tally.good());
      return tally.good();
    }
    // Bad records to keep aside, or none counted (an empty batch, or a replay whose append the table
    // already has): read the batch again, materialised, since Spark's CSV and JSON readers cannot
    // select the corrupt-record column alone from the files.
    Records again = source.parse(LakehouseSpark.materialize(batch), pinned);
    long badCount = again.bad().count();
    if (badCount > 0) {
      // Appended after the table: a crash in between replays the batch, whose table append is then skipped.
      quarantine.append(withLineage(again.bad(), context), context.mark());
      context.quarantine(badCount);
    }
    long written = tally.counted() ? tally.good() : again.rows().count();
    context.read(written + badCount);
    return written;
  }

  /** The batch's rows as the table takes them: rescued records, drift handled, lineage, checked. */
  private Dataset<Row> prepared(Records records, boolean hasBad, BatchContext context) {
    SparkSession spark = records.rows().sparkSession();
    Dataset<Row> rows = records.rows();
    refuseReserved(rows);
    if (hasBad && bronze.badRecords() == BadRecords.RESCUE) {
      rows = rows.unionByName(records.bad().withColumnRenamed(BronzeColumns.RAW, BronzeColumns.RESCUED).drop(BronzeColumns.REASON), true);
    }
    boolean exists = target.exists(spark);
    StructType tableSchema = exists ? target.read(spark).schema() : tableSchema(withMetadata(pinned, rows.schema()));
    // The rescue column is the framework's, not drift: a table made before its spec asked for
    // rescue gains it (see aligned and append), whatever the table's schema-drift says.
    newColumns = DriftCheck.newColumns(rows, tableSchema, bronze.driftStructs()).stream()
        .filter(c -> c.struct().isPresent() || !c.name().equals(BronzeColumns.RESCUED)).toList();
    addsRescueColumn = rescueColumn() && !List.of(tableSchema.fieldNames()).contains(BronzeColumns.RESCUED);
    if (!newColumns.isEmpty()) {
      rows = DriftCheck.apply(rows, newColumns, bronze.schemaDrift(), spec);
    }
    return context.checked(aligned(withLineage(rows, context), tableSchema));
  }

  /**
   * Stops the batch before anything is written when its records carry a column bronze writes
   * itself: the table has it, so schema drift does not see it, and {@link #withLineage} would
   * overwrite the records' values.
   */
  private void refuseReserved(Dataset<Row> rows) {
    List<String> added = new ArrayList<>(source.metadataColumns());
    added.add(SOURCE);
    List<String> carried = ReservedColumns.carried(rows, added);
    if (!carried.isEmpty()) {
      throw ReservedColumns.refused(spec.name(), carried, String.join(", ", ReservedColumns.sources(rows, carried)),
          source.howToRename());
    }
  }

  private void append(Dataset<Row> out, BatchContext context) {
    if (addsRescueColumn || bronze.schemaDrift() == SchemaDrift.ADD_NEW_COLUMNS && !newColumns.isEmpty()) {
      target.appendAddingColumns(out, Optional.of(context.mark()));
    } else {
      target.append(out, Optional.of(context.mark()));
    }
  }

  private static Dataset<Row> withLineage(Dataset<Row> rows, BatchContext context) {
    Dataset<Row> r = rows;
    for (String c : BronzeColumns.LINEAGE) {
      if (!c.equals(SOURCE) && List.of(r.columns()).contains(c)) {
        r = r.drop(c);
      }
    }
    return r.withColumn(INGESTED_AT, current_timestamp())
        .withColumn(BATCH_ID, lit(context.batchId()))
        .withColumn(RUN_ID, lit(context.runId()));
  }

  /**
   * The rows in the table's column order, with typed nulls for table columns the batch lacks
   * (e.g. added by an earlier evolution) and the batch's new columns last: both formats then take
   * the append the same way.
   */
  private Dataset<Row> aligned(Dataset<Row> rows, StructType tableSchema) {
    Set<String> have = new LinkedHashSet<>(List.of(rows.columns()));
    List<Column> cols = new ArrayList<>();
    for (StructField f : tableSchema.fields()) {
      cols.add(have.contains(f.name()) ? col("`" + f.name() + "`") : lit(null).cast(f.dataType()).as(f.name()));
      have.remove(f.name());
    }
    if (addsRescueColumn) {
      // a table created before its spec asked for rescue gains the column like any new one
      have.remove(BronzeColumns.RESCUED);
      cols.add(List.of(rows.columns()).contains(BronzeColumns.RESCUED) ? col(BronzeColumns.RESCUED)
          : lit(null).cast(DataTypes.StringType).as(BronzeColumns.RESCUED));
    }
    have.forEach(c -> cols.add(col("`" + c + "`")));
    return rows.select(cols.toArray(Column[]::new));
  }

  private void ensureFolder(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      fs.mkdirs(p);
    } catch (IOException e) {
      throw new LakehouseException("Cannot open the landing folder " + path + " of " + spec.name() + ": "
          + e.getMessage() + "; check the path in its source block and its permissions", e);
    }
  }
}
