package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.BronzeLineage;
import dev.lakehouse.core.spec.KafkaValue;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamReader;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Records of Kafka topics through Spark's Kafka source, whose offsets the checkpoint keeps. Each
 * row keeps the message's key, topic, partition, offset and timestamp; a JSON value that does not
 * parse is a bad record (quarantined or rescued), never dropped.
 */
final class KafkaSource implements BronzeSource {
  static final String KEY = BronzeLineage.KAFKA_KEY;
  static final String TOPIC = BronzeLineage.KAFKA_TOPIC;
  static final String PARTITION = BronzeLineage.KAFKA_PARTITION;
  static final String OFFSET = BronzeLineage.KAFKA_OFFSET;
  static final String TIMESTAMP = BronzeLineage.KAFKA_TIMESTAMP;
  private static final String VALUE = "value";
  private static final List<String> METADATA = BronzeLineage.KAFKA_METADATA;

  private final TableName table;
  private final SourceSpec.Kafka spec;
  private final List<String> driftStructs;

  /** @param driftStructs the STRUCT columns whose fields the table's schema-drift policy covers */
  KafkaSource(TableName table, SourceSpec.Kafka spec, List<String> driftStructs) {
    this.table = table;
    this.spec = spec;
    this.driftStructs = driftStructs;
  }

  @Override
  public List<String> metadataColumns() {
    return METADATA;
  }

  @Override
  public String howToRename() {
    return "where the messages are produced";
  }

  @Override
  public Dataset<Row> stream(SparkSession spark, StructType pinned) {
    DataStreamReader reader = spark.readStream().format("kafka")
        .option("kafka.bootstrap.servers", spec.bootstrapServers())
        .option("startingOffsets", spec.startingOffsets())
        .options(spec.options());
    reader = spec.topicPattern().isPresent()
        ? reader.option("subscribePattern", spec.topicPattern().get())
        : reader.option("subscribe", String.join(",", spec.topics()));
    boolean bytes = spec.value() == KafkaValue.BYTES;
    return reader.load().select(
        col("value").cast(bytes ? DataTypes.BinaryType : DataTypes.StringType).as(VALUE),
        col("key").cast(bytes ? DataTypes.BinaryType : DataTypes.StringType).as(KEY),
        col("topic").as(TOPIC), col("partition").as(PARTITION), col("offset").as(OFFSET), col("timestamp").as(TIMESTAMP),
        org.apache.spark.sql.functions.concat(lit("kafka:"), concat_ws("/", col("topic"), col("partition"), col("offset")))
            .as(BronzeColumns.SOURCE));
  }

  @Override
  public Records parse(Dataset<Row> batch, StructType pinned) {
    if (spec.value() != KafkaValue.JSON) {
      return Records.allGood(batch);
    }
    List<String> keep = new java.util.ArrayList<>(METADATA);
    keep.add(BronzeColumns.SOURCE);
    Records parsed = JsonRecords.parse(batch, VALUE, pinned, spec.options().isEmpty() ? java.util.Map.of() : jsonOptions(), keep, driftStructs);
    // A message without a value (a tombstone) is a record too: keep it aside with its offsets.
    Dataset<Row> empty = batch.where(col(VALUE).isNull().or(org.apache.spark.sql.functions.trim(col(VALUE)).equalTo("")))
        .select(col(VALUE).as(BronzeColumns.RAW), col(KEY), col(TOPIC), col(PARTITION), col(OFFSET), col(TIMESTAMP),
            col(BronzeColumns.SOURCE), lit("Cannot parse the message as JSON: it has no value (a tombstone or an empty message)")
                .as(BronzeColumns.REASON));
    return Records.of(parsed.rows(), parsed.bad().unionByName(empty));
  }

  /** JSON parsing options among the source options (those that are not the Kafka reader's). */
  private java.util.Map<String, String> jsonOptions() {
    java.util.Map<String, String> o = new java.util.HashMap<>();
    spec.options().forEach((k, v) -> {
      if (!SourceSpec.Kafka.readerOption(k)) {
        o.put(k, v);
      }
    });
    return o;
  }

  @Override
  public StructType inferSchema(SparkSession spark) {
    return switch (spec.value()) {
      case STRING -> new StructType().add(VALUE, DataTypes.StringType);
      case BYTES -> new StructType().add(VALUE, DataTypes.BinaryType);
      case JSON -> throw new LakehouseException("Cannot read JSON values of " + table
          + " without a schema: declare schema = \"...\" in its source block");
    };
  }
}
