package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.bronze.drift.ReservedColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * A relational table or query, read incrementally by its watermark column. The stream carries
 * watermark ranges ({@link HighWaterMarks}); each micro-batch reads the rows of its range with
 * Spark's JDBC reader, in parallel when {@code partition} is set. A run reads only rows whose
 * watermark is past the last high-water mark, which the checkpoint keeps with the batch.
 *
 * <p>Rows whose watermark equals the high-water mark but commit after it was read are not seen:
 * use a watermark that grows with each commit (a sequence, or an update time set on commit).
 */
final class JdbcSource implements BronzeSource {
  private final TableName table;
  private final SourceSpec.Jdbc spec;

  JdbcSource(TableName table, SourceSpec.Jdbc spec) {
    this.table = table;
    this.spec = spec;
  }

  @Override
  public Dataset<Row> stream(SparkSession spark, StructType pinned) {
    return spark.readStream().format(HighWaterMarks.class.getName())
        .options(spec.options())
        .option("url", spec.url())
        .option("relation", spec.relation())
        .option("watermark", spec.watermarkColumn())
        .load();
  }

  @Override
  public Records parse(Dataset<Row> batch, StructType pinned) {
    List<Row> ranges = batch.collectAsList();
    Dataset<Row> rows = null;
    for (Row range : ranges) {
      Dataset<Row> one = read(batch.sparkSession(), range.getString(0), range.getString(1));
      rows = rows == null ? one : rows.unionByName(one, true);
    }
    if (rows == null) {
      rows = read(batch.sparkSession(), null, null).limit(0);
    }
    return Records.allGood(rows);
  }

  /** Rows with {@code after < watermark <= upTo}; {@code after} empty or null: no lower bound. */
  private Dataset<Row> read(SparkSession spark, String after, String upTo) {
    String wm = spec.watermarkColumn();
    String where = upTo == null ? "1 = 0"
        : (after == null || after.isEmpty() ? "" : wm + " > " + literal(after) + " AND ") + wm + " <= " + literal(upTo);
    DataFrameReader reader = spark.read().format("jdbc").options(spec.options())
        .option("url", spec.url())
        .option("dbtable", "(SELECT * FROM " + spec.relation() + " WHERE " + where + ") AS lakehouse_batch");
    if (spec.partitioned().isPresent()) {
      SourceSpec.JdbcPartitioning p = spec.partitioned().get();
      reader = reader.option("partitionColumn", p.column()).option("lowerBound", p.lowerBound())
          .option("upperBound", p.upperBound()).option("numPartitions", p.partitions());
    }
    String range = "(" + (after == null || after.isEmpty() ? "-inf" : after) + ", " + upTo + "]";
    Dataset<Row> rows = reader.load();
    List<String> carried = ReservedColumns.among(List.of(rows.columns()));
    if (!carried.isEmpty()) { // withColumn would write over a column _source, the append over the others
      throw ReservedColumns.refused(table, carried, spec.relation() + " at " + urlWithoutParameters(), howToRename());
    }
    return rows.withColumn(BronzeColumns.SOURCE,
        lit(urlWithoutParameters() + " " + spec.relation() + " " + wm + " in " + range));
  }

  @Override
  public String howToRename() {
    return "give it another name in the source's query: query = \"SELECT id, _batch_id AS source_batch_id, ... FROM ...\"";
  }

  /** A SQL string literal; the database converts it to the watermark column's type. */
  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  /** The URL as lineage: parameters (which may hold credentials) left out. */
  private String urlWithoutParameters() {
    int q = spec.url().indexOf('?');
    return q < 0 ? spec.url() : spec.url().substring(0, q);
  }

  @Override
  public StructType inferSchema(SparkSession spark) {
    try {
      return read(spark, null, null).drop(BronzeColumns.SOURCE).schema();
    } catch (LakehouseException e) { // read, but with a column to rename
      throw e;
    } catch (Exception e) { // the driver's SQLException is checked, and thrown undeclared through Spark
      throw new LakehouseException("Cannot read the columns of " + spec.relation() + " at " + urlWithoutParameters()
          + " for " + table + ": " + e.getMessage() + "; check url, table or query, and the credentials in options", e);
    }
  }
}
