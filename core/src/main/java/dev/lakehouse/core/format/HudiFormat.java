package dev.lakehouse.core.format;

import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.FormatKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hudi.common.table.HoodieTableMetaClient;
import org.apache.hudi.common.table.timeline.HoodieInstant;
import org.apache.hudi.common.table.timeline.HoodieTimeline;
import org.apache.hudi.hadoop.fs.HadoopFSUtils;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Apache Hudi copy-on-write tables, by path. A version is a commit's completion time, which is
 * what Hudi 1.x incremental queries compare against.
 */
final class HudiFormat implements TableFormat {
  static final HudiFormat INSTANCE = new HudiFormat();

  /** Commit metadata key (Hudi adds options with the commit-metadata prefix to the commit). */
  private static final String BATCH_KEY = "_lakehouse.batch";

  private HudiFormat() {}

  @Override
  public FormatKind kind() {
    return FormatKind.HUDI;
  }

  @Override
  public boolean exists(SparkSession spark, LakehouseTable table) {
    try {
      Path props = new Path(table.location(), ".hoodie/hoodie.properties");
      FileSystem fs = props.getFileSystem(spark.sparkContext().hadoopConfiguration());
      return fs.exists(props);
    } catch (IOException e) {
      throw new LakehouseException("Cannot check whether " + table + " exists: " + e.getMessage(), e);
    }
  }

  @Override
  public void create(SparkSession spark, LakehouseTable table, StructType schema) {
    if (exists(spark, table)) {
      return;
    }
    spark.createDataFrame(List.of(), schema).write().format("hudi")
        .options(options(table, "bulk_insert"))
        .mode(SaveMode.Overwrite)
        .save(table.location());
  }

  @Override
  public void append(Dataset<Row> rows, LakehouseTable table, Optional<BatchMark> mark) {
    SparkSession spark = rows.sparkSession();
    if (mark.isPresent() && alreadyCommitted(spark, table, mark.get())) {
      return;
    }
    Map<String, String> opts = options(table, table.keys().isEmpty() ? "bulk_insert" : "insert");
    mark.ifPresent(m -> opts.put(BATCH_KEY, m.appId() + "@" + m.batchId()));
    rows.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  @Override
  public void upsert(Dataset<Row> rows, LakehouseTable table, Optional<String> sequenceBy) {
    Map<String, String> opts = options(table, "upsert");
    // With an ordering field Hudi keeps, per key, the row with the greatest value, also against
    // the stored row (event-time ordering); without one the latest write wins.
    sequenceBy.ifPresent(seq -> opts.put("hoodie.table.ordering.fields", seq));
    rows.write().format("hudi").options(opts).mode(SaveMode.Append).save(table.location());
  }

  @Override
  public void overwrite(Dataset<Row> rows, LakehouseTable table) {
    SparkSession spark = rows.sparkSession();
    if (!exists(spark, table)) {
      rows.write().format("hudi").options(options(table, "bulk_insert")).mode(SaveMode.Overwrite).save(table.location());
      return;
    }
    rows.write().format("hudi").options(options(table, "insert_overwrite_table"))
        .mode(SaveMode.Append).save(table.location());
  }

  @Override
  public Dataset<Row> read(SparkSession spark, LakehouseTable table) {
    return withoutMetaColumns(spark.read().format("hudi").load(table.location()));
  }

  @Override
  public Dataset<Row> readAt(SparkSession spark, LakehouseTable table, TableVersion version) {
    return withoutMetaColumns(spark.read().format("hudi")
        .option("as.of.instant", requestedTimeOf(spark, table, version))
        .load(table.location()));
  }

  @Override
  public Dataset<Row> readChangesSince(SparkSession spark, LakehouseTable table, TableVersion version) {
    Optional<TableVersion> current = currentVersion(spark, table);
    Dataset<Row> changes;
    if (current.isEmpty() || current.get().id().compareTo(version.id()) <= 0) {
      changes = read(spark, table).limit(0);
    } else {
      changes = withoutMetaColumns(spark.read().format("hudi")
          .option("hoodie.datasource.query.type", "incremental")
          .option("hoodie.datasource.read.begin.instanttime", version.id())
          .load(table.location()));
    }
    return changes.withColumn(CHANGE_TYPE, lit("upsert"));
  }

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
    return withoutMetaColumns(spark.readStream().format("hudi").load(table.location()));
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

  @Override
  public void unregister(SparkSession spark, LakehouseTable table) {
    LakehouseTable.unregister(spark, table.name().toString());
    LakehouseTable.unregister(spark, rawName(table));
  }

  @Override
  public void refresh(SparkSession spark, LakehouseTable table) {
    if (spark.catalog().tableExists(rawName(table))) {
      spark.catalog().refreshTable(rawName(table));
    }
  }

  /** The catalog name of the Hudi table behind the {@code layer.name} view. */
  private static String rawName(LakehouseTable table) {
    return table.name().layer().id() + "._hudi_" + table.name().name();
  }

  private boolean alreadyCommitted(SparkSession spark, LakehouseTable table, BatchMark mark) {
    if (!exists(spark, table)) {
      return false;
    }
    HoodieTimeline commits = completedCommits(spark, table);
    List<HoodieInstant> instants = new ArrayList<>(commits.getInstants());
    for (int i = instants.size() - 1; i >= 0; i--) {
      try {
        String committed = commits.readCommitMetadata(instants.get(i)).getMetadata(BATCH_KEY);
        if (committed != null && committed.startsWith(mark.appId() + "@")) {
          return Long.parseLong(committed.substring(committed.indexOf('@') + 1)) >= mark.batchId();
        }
      } catch (IOException e) {
        throw new LakehouseException("Cannot read the commit metadata of " + table + ": " + e.getMessage(), e);
      }
    }
    return false;
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
    HoodieTableMetaClient client = HoodieTableMetaClient.builder()
        .setConf(HadoopFSUtils.getStorageConfWithCopy(spark.sparkContext().hadoopConfiguration()))
        .setBasePath(table.location())
        .build();
    return client.getCommitsTimeline().filterCompletedInstants();
  }

  private static Map<String, String> options(LakehouseTable table, String operation) {
    Map<String, String> o = new HashMap<>();
    o.put("hoodie.table.name", table.name().layer().id() + "_" + table.name().name());
    o.put("hoodie.datasource.write.operation", operation);
    o.put("hoodie.datasource.write.table.type", "COPY_ON_WRITE");
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
