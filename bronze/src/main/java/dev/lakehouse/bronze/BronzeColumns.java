package dev.lakehouse.bronze;

import java.util.List;

/** The columns bronze adds to the records of a source; one place for their names. */
public final class BronzeColumns {
  /** When the row was ingested. */
  public static final String INGESTED_AT = "_ingested_at";
  /** Where the row came from: a file path, {@code kafka:topic/partition/offset}, or the JDBC read and its watermark range. */
  public static final String SOURCE = "_source";
  /** The micro-batch that ingested the row. */
  public static final String BATCH_ID = "_batch_id";
  /** The run that ingested the row. */
  public static final String RUN_ID = "_run_id";
  /** Data bronze could not put in a column: a bad record's raw text, or unknown fields as JSON. */
  public static final String RESCUED = "_rescued_data";
  /** Quarantine: the record as it arrived. */
  public static final String RAW = "_raw";
  /** Quarantine: why the record could not be read. */
  public static final String REASON = "_reason";
  /** Spark's column for the text of a record its parser rejected; never stored. */
  public static final String CORRUPT = "_corrupt_record";

  /** Columns the framework writes after the data, in this order. */
  public static final List<String> LINEAGE = List.of(SOURCE, INGESTED_AT, BATCH_ID, RUN_ID);

  private BronzeColumns() {}

  /** Whether {@code column} is one bronze adds, not one of the source's data. */
  public static boolean isFramework(String column) {
    return LINEAGE.contains(column) || column.equals(RESCUED);
  }
}
