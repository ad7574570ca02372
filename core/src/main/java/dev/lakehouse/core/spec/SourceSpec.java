package dev.lakehouse.core.spec;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Where a table's input comes from; the {@code type} key of a {@code source} block selects one. */
public sealed interface SourceSpec {

  /** The tables of this pipeline that this source reads. */
  List<TableName> tables();

  /**
   * The declared schema of JSON records (files with {@code format = json}, Kafka values read as
   * {@code json}): the records whose STRUCT columns are read field by field, by name.
   */
  default Optional<String> declaredJsonSchema() {
    if (this instanceof Files f && f.format() == FileFormat.JSON) {
      return f.schema();
    }
    return this instanceof Kafka k && k.value() == KafkaValue.JSON ? k.schema() : Optional.empty();
  }

  /**
   * The STRUCT columns of {@link #declaredJsonSchema}, the ones read field by field; empty when there
   * is no such schema or it does not parse (reported where it is written).
   */
  default Optional<List<String>> declaredJsonStructs() {
    Optional<String> ddl = declaredJsonSchema();
    if (ddl.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(java.util.Arrays.stream(org.apache.spark.sql.types.StructType.fromDDL(ddl.get()).fields())
          .filter(f -> f.dataType() instanceof org.apache.spark.sql.types.StructType)
          .map(org.apache.spark.sql.types.StructField::name).toList());
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.empty();
    }
  }

  /**
   * New files in a landing folder ({@code type = files}), picked up once each.
   *
   * @param path absolute path of the landing folder
   * @param schema the declared schema as a Spark DDL string ({@code a INT, b STRING}); when empty,
   *     the schema is inferred from the files present at the first run and pinned in the table
   * @param options options passed to Spark's reader for {@code format} ({@code multiLine} for JSON)
   */
  record Files(FileFormat format, String path, Optional<String> schema, Map<String, String> options)
      implements SourceSpec {
    @Override
    public List<TableName> tables() {
      return List.of();
    }
  }

  /**
   * Records of Kafka topics ({@code type = kafka}); key, topic, partition, offset and timestamp are kept.
   *
   * @param topics the topics to read; empty when {@code topicPattern} is given
   * @param topicPattern a Java regex of topic names; mutually exclusive with {@code topics}
   * @param startingOffsets {@code earliest}, {@code latest} or Spark's JSON form, for the first run only
   * @param value how the message value is read
   * @param schema the Spark DDL schema of JSON values ({@code value = json} only)
   * @param options further Spark Kafka source options ({@code kafka.security.protocol}, ...)
   */
  record Kafka(String bootstrapServers, List<String> topics, Optional<String> topicPattern, String startingOffsets,
      KafkaValue value, Optional<String> schema, Map<String, String> options) implements SourceSpec {
    /**
     * Spark's Kafka source options other than {@code kafka.*} (the consumer's settings), as Spark
     * reads them, case-insensitively (its Structured Streaming + Kafka Integration Guide;
     * {@code KafkaSourceProvider} keeps them as constants, in no list). The others of a JSON-valued
     * source are its JSON reader's.
     */
    public static final Set<String> SPARK_OPTIONS = caseInsensitive("assign", "subscribe", "subscribePattern",
        "startingOffsets", "startingOffsetsByTimestamp", "startingTimestamp", "startingOffsetsByTimestampStrategy",
        "endingOffsets", "endingOffsetsByTimestamp", "endingTimestamp", "failOnDataLoss", "kafkaConsumer.pollTimeoutMs",
        "fetchOffset.numRetries", "fetchOffset.retryIntervalMs", "maxOffsetsPerTrigger", "minOffsetsPerTrigger",
        "maxTriggerDelay", "minPartitions", "groupIdPrefix", "includeHeaders");
    /** Spark passes an option {@code kafka.x} to the Kafka consumer as its setting {@code x}. */
    public static final String CONSUMER_PREFIX = "kafka.";

    /** Whether {@code option} is the Kafka reader's (Spark's or the consumer's), not the JSON reader's. */
    public static boolean readerOption(String option) {
      return consumerSetting(option).isPresent() || SPARK_OPTIONS.contains(option);
    }

    /** The consumer setting an option {@code kafka.x} sets ({@code x}; Spark matches the prefix in any case). */
    public static Optional<String> consumerSetting(String option) {
      return option.regionMatches(true, 0, CONSUMER_PREFIX, 0, CONSUMER_PREFIX.length())
          ? Optional.of(option.substring(CONSUMER_PREFIX.length())) : Optional.empty();
    }

    private static Set<String> caseInsensitive(String... names) {
      Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
      set.addAll(List.of(names));
      return Collections.unmodifiableSet(set);
    }

    @Override
    public List<TableName> tables() {
      return List.of();
    }
  }

  /**
   * A table or query of a relational database ({@code type = jdbc}), read incrementally by a
   * watermark column: each run reads only rows whose watermark is past the last high-water mark.
   *
   * @param url the JDBC URL, e.g. {@code jdbc:postgresql://host:5432/db}
   * @param table a table name; mutually exclusive with {@code query}
   * @param query a SELECT whose rows are ingested; mutually exclusive with {@code table}
   * @param watermarkColumn a column that grows with each new or updated row (an update time, a sequence)
   * @param partitioned a parallel read, split on a numeric, date or timestamp column
   * @param options further Spark JDBC options ({@code user}, {@code password}, {@code fetchsize}, ...)
   */
  record Jdbc(String url, Optional<String> table, Optional<String> query, String watermarkColumn,
      Optional<JdbcPartitioning> partitioned, Map<String, String> options) implements SourceSpec {
    /** What is read, as a FROM item. */
    public String relation() {
      return table.orElseGet(() -> "(" + query.orElseThrow() + ") AS lakehouse_source");
    }

    @Override
    public List<TableName> tables() {
      return List.of();
    }
  }

  /**
   * The split of a parallel JDBC read: {@code partitions} ranges of {@code column} between the
   * bounds (rows outside them are still read, by the first and last range).
   */
  record JdbcPartitioning(String column, String lowerBound, String upperBound, int partitions) {}

  /** Another table of the pipeline, read incrementally ({@code type = table}). */
  record Table(TableName table) implements SourceSpec {
    @Override
    public List<TableName> tables() {
      return List.of(table);
    }
  }

  /**
   * A Delta or Hudi table outside the pipeline ({@code type = table} with {@code path}), read
   * incrementally: rows its commits add, from its first commit on.
   */
  record TablePath(FormatKind format, String path) implements SourceSpec {
    @Override
    public List<TableName> tables() {
      return List.of();
    }
  }
}
