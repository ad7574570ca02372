package dev.lakehouse.core.spec;

import java.util.List;

/**
 * The columns bronze adds to a record about its delivery: where and when this copy of it arrived,
 * not what it says. One place for their names: bronze writes them, and silver leaves them out when
 * it tells copies of one event (a redelivery) from two events.
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

  private BronzeLineage() {}

  /** Whether {@code column} tells how a copy of a record was delivered: two copies of one event may differ in it. */
  public static boolean isDelivery(String column) {
    return COLUMNS.contains(column) || KAFKA_POSITION.contains(column);
  }
}
