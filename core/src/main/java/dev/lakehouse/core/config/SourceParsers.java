package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.BronzeLineage;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.KafkaValue;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.SourceSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads the {@code source} blocks that only bronze tables have: kafka, jdbc, and a table by path. */
final class SourceParsers {
  private static final Pattern OFFSETS = Pattern.compile("earliest|latest|\\{.*}", Pattern.DOTALL);

  /** Spark's Kafka options that a kafka source block sets. */
  private static final List<String> KAFKA_FROM_BLOCK = List.of("kafka.bootstrap.servers", "subscribe", "subscribePattern", "assign",
      "startingOffsets");
  /** Consumer settings Spark's Kafka source refuses when the table starts (its {@code validateGeneralOptions}), and why. */
  private static final Map<String, String> KAFKA_REFUSED = Map.of(
      "kafka.auto.offset.reset", "Spark's Kafka source decides where to start; set starting-offsets = earliest or latest in the"
          + " source block (the first run only: later runs go on from the table's checkpoint)",
      "kafka.key.deserializer", "Spark reads keys and values as bytes; choose how values are read with value = json, string or bytes",
      "kafka.value.deserializer", "Spark reads keys and values as bytes; choose how values are read with value = json, string or bytes",
      "kafka.enable.auto.commit", "Spark keeps the offsets read in the table's checkpoint and commits none to Kafka",
      "kafka.interceptor.classes", "Spark's Kafka source does not run consumer interceptors");
  /** Spark's JDBC options that a jdbc source block sets. */
  private static final List<String> JDBC_FROM_BLOCK = List.of("url", "dbtable", "query", "partitionColumn", "lowerBound", "upperBound",
      "numPartitions");

  private SourceParsers() {}

  static SourceSpec.Kafka kafka(SpecReader s) {
    s.rejectUnknownKeys(PipelineParser.KAFKA_SOURCE_KEYS);
    String servers = s.requiredString("bootstrap-servers", "the brokers to connect to, e.g. bootstrap-servers = \"host1:9092,host2:9092\"");
    List<String> topics = s.stringList("topics");
    Optional<String> pattern = s.optionalString("topic-pattern");
    if (topics.isEmpty() == pattern.isEmpty()) {
      s.problem(pattern.isPresent() ? "topic-pattern" : "topics", pattern.isPresent()
          ? "Cannot use both topics and topic-pattern: keep one"
          : "Cannot find the topics to read: set topics = [orders] or topic-pattern = \"orders-.*\"");
    }
    pattern.ifPresent(p -> {
      try {
        Pattern.compile(p);
      } catch (PatternSyntaxException e) {
        s.problem("topic-pattern", "Cannot parse topic-pattern \"" + p + "\": " + e.getDescription()
            + "; write a Java regular expression such as \"orders-.*\"");
      }
    });
    String starting = s.optionalString("starting-offsets").orElse("earliest");
    if (!OFFSETS.matcher(starting.trim()).matches()) {
      s.problem("starting-offsets", "Cannot use starting-offsets = " + starting
          + ": supported values are earliest, latest, or Spark's JSON form {\"topic\":{\"0\":23}}");
    }
    KafkaValue value = s.enumValue("value", KafkaValue.class).orElse(KafkaValue.JSON);
    Optional<String> schema = PipelineParser.schema(s,
        java.util.stream.Stream.concat(BronzeLineage.RESERVED.stream(), BronzeLineage.KAFKA_METADATA.stream()).toList());
    if (value == KafkaValue.JSON && schema.isEmpty() && !s.has("schema")) {
      s.problem("schema", "Cannot parse JSON values without a schema: declare schema = \"id BIGINT, name STRING\" "
          + "(Spark DDL), or read the value as text with value = string");
    }
    if (value != KafkaValue.JSON && schema.isPresent()) {
      s.problem("schema", "Cannot use a schema with value = " + value.id() + ": only JSON values are parsed; remove schema or set value = json");
    }
    Map<String, String> options = Map.copyOf(s.stringMap("options"));
    for (String key : options.keySet()) {
      if (KAFKA_FROM_BLOCK.stream().anyMatch(key::equalsIgnoreCase)) {
        s.problem("options", "Cannot set the Kafka option " + key + " in options: it is set from this source block"
            + " (bootstrap-servers, topics or topic-pattern, starting-offsets); remove it from options");
      }
      KAFKA_REFUSED.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key)).findFirst().ifPresent(e ->
          s.problem("options", "Cannot set the Kafka option " + key + ": " + e.getValue()));
    }
    s.object("options").ifPresent(o -> ReaderOptions.checkKafka(o, value == KafkaValue.JSON, options));
    return new SourceSpec.Kafka(servers, topics, pattern, starting.trim(), value, schema, options);
  }

  static SourceSpec.Jdbc jdbc(SpecReader s) {
    s.rejectUnknownKeys(PipelineParser.JDBC_SOURCE_KEYS);
    String url = s.requiredString("url", "the database to read, e.g. url = \"jdbc:postgresql://db:5432/shop\"");
    if (!url.isEmpty() && !url.startsWith("jdbc:")) {
      s.problem("url", "Cannot use url = " + url + ": a JDBC URL starts with jdbc:, e.g. jdbc:postgresql://db:5432/shop");
    }
    Optional<String> table = s.optionalString("table");
    Optional<String> query = s.optionalString("query");
    if (table.isPresent() == query.isPresent()) {
      s.problem(table.isPresent() ? "query" : "table", table.isPresent()
          ? "Cannot use both table and query: keep one"
          : "Cannot find what to read: set table = public.orders or query = \"SELECT ...\"");
    }
    String watermark = s.requiredString("watermark-column", "the column that grows with every new or updated row, "
        + "e.g. watermark-column = updated_at; only rows past the last high-water mark are read");
    Optional<SourceSpec.JdbcPartitioning> partitioned = s.object("partition").map(p -> {
      p.rejectUnknownKeys(PipelineParser.JDBC_PARTITION_KEYS);
      return new SourceSpec.JdbcPartitioning(
          p.requiredString("column", "the column to split the read on, e.g. column = id"),
          p.requiredString("lower-bound", "e.g. lower-bound = 1"),
          p.requiredString("upper-bound", "e.g. upper-bound = 1000000"),
          p.positiveInt("partitions", 4));
    });
    Map<String, String> options = Map.copyOf(s.stringMap("options"));
    for (String key : options.keySet()) {
      if (JDBC_FROM_BLOCK.stream().anyMatch(key::equalsIgnoreCase)) { // Spark reads its options in any case
        s.problem("options", "Cannot set the JDBC option " + key + " in options: it is set from this source block"
            + " (url, table, query, partition { ... }); remove it from options");
      }
    }
    if (url.startsWith("jdbc:")) {
      s.object("options").ifPresent(o -> ReaderOptions.checkJdbc(o, url, options));
    }
    return new SourceSpec.Jdbc(url, table, query, watermark, partitioned, options);
  }

  static SourceSpec.TablePath tablePath(SpecReader s, LakehouseSettings settings) {
    s.rejectUnknownKeys(PipelineParser.BRONZE_TABLE_SOURCE_KEYS);
    if (s.has("table")) {
      s.problem("table", "Cannot use both table and path: table names a table of this pipeline, path one outside it; keep one");
    }
    String path = Paths.under(settings.root(), s.requiredString("path", "the folder of the Delta or Hudi table"));
    Optional<FormatKind> format = s.enumValue("format", FormatKind.class);
    if (format.isEmpty() && !s.has("format")) {
      s.problem("format", "Cannot find required key 'format' of the table at " + path + ": delta or hudi");
    }
    return new SourceSpec.TablePath(format.orElse(FormatKind.DELTA), path);
  }
}
