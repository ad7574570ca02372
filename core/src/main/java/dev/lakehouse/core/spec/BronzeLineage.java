package dev.lakehouse.core.spec;

import java.util.List;

/**
 * The columns bronze adds to a record about its delivery: where and when this copy of it arrived,
 * not what it says. One place for their names: bronze writes them, and silver leaves them out when
 * it tells copies of one event (a redelivery) from two events. Also the names no source's records
 * may use ({@link #RESERVED}), which the config checks in a declared schema too.
 */
public final class BronzeLineage {
  /** Where the row came from: a file path, {@code kafka:topic/partition/offset}, or the JDBC read and its watermark range. */
  public static final String SOURCE = "_source";
  /** When the row was ingested. */
  public static final String INGESTED_AT = "_ingested_at";
  /** The micro-batch that ingested the row. */
  public static final String BATCH_ID = "_batch_id";
  /** The run that ingested the row. */
  public static final String RUN_ID = "_run_id";
  /** Every bronze row's lineage, written after the data in this order. */
  public static final List<String> COLUMNS = List.of(SOURCE, INGESTED_AT, BATCH_ID, RUN_ID);

  /** A Kafka record's topic, partition, offset and broker timestamp: a message sent again gets new ones. */
  public static final String KAFKA_TOPIC = "_topic";
  public static final String KAFKA_PARTITION = "_partition";
  public static final String KAFKA_OFFSET = "_offset";
  public static final String KAFKA_TIMESTAMP = "_timestamp";
  public static final List<String> KAFKA_POSITION = List.of(KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET, KAFKA_TIMESTAMP);
  /** A Kafka record's key, kept beside its value. */
  public static final String KAFKA_KEY = "_key";
  /** What bronze keeps of a Kafka record beside its value, in this order. */
  public static final List<String> KAFKA_METADATA = List.of(KAFKA_KEY, KAFKA_TOPIC, KAFKA_PARTITION, KAFKA_OFFSET, KAFKA_TIMESTAMP);

  /** Data bronze could not put in a column: a bad record's raw text, or unknown fields as JSON. */
  public static final String RESCUED = "_rescued_data";
  /**
   * The names bronze writes into every row itself, whatever the source: a source's records cannot
   * carry one, since bronze would put its own value there and the record's would be lost.
   */
  public static final List<String> RESERVED = java.util.stream.Stream.concat(COLUMNS.stream(),
      java.util.stream.Stream.of(RESCUED)).toList();

  /**
   * Put in front of the reserved names of a {@code type = table} source's columns (another
   * pipeline's bronze table has them all): that table's lineage is kept beside this one's.
   */
  public static final String UPSTREAM = "_upstream";

  private BronzeLineage() {}

  /**
   * Whether {@code column} tells how a copy of a record was delivered: two copies of one event may
   * differ in it. So does the {@link #UPSTREAM} lineage a bronze table read by another one keeps.
   */
  public static boolean isDelivery(String column) {
    return COLUMNS.contains(column) || KAFKA_POSITION.contains(column)
        || column.startsWith(UPSTREAM) && isDelivery(column.substring(UPSTREAM.length()));
  }

  /**
   * The name a {@code type = table} source's column {@code column} is kept under: {@link #UPSTREAM}
   * in front of a reserved name, or of one kept so before (a bronze table read by a bronze table
   * read by this one); other names as they are.
   */
  public static String upstream(String column) {
    return isUpstream(column) ? UPSTREAM + column : column;
  }

  private static boolean isUpstream(String column) {
    return RESERVED.contains(column) || column.startsWith(UPSTREAM) && isUpstream(column.substring(UPSTREAM.length()));
  }
}
