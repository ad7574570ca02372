package dev.lakehouse.bronze;

import dev.lakehouse.core.spec.BronzeLineage;
import java.util.List;

/**
 * The columns bronze adds to the records of a source; one place for their names. The lineage
 * columns are named in core's {@link BronzeLineage}, which silver reads too.
 */
public final class BronzeColumns {
  public static final String INGESTED_AT = BronzeLineage.INGESTED_AT;
  public static final String SOURCE = BronzeLineage.SOURCE;
  public static final String BATCH_ID = BronzeLineage.BATCH_ID;
  public static final String RUN_ID = BronzeLineage.RUN_ID;
  public static final String RESCUED = BronzeLineage.RESCUED;
  /** Quarantine: the record as it arrived. */
  public static final String RAW = "_raw";
  /** Quarantine: why the record could not be read. */
  public static final String REASON = "_reason";
  /** Spark's column for the text of a record its parser rejected; never stored. */
  public static final String CORRUPT = "_corrupt_record";

  /** Columns the framework writes after the data, in this order. */
  public static final List<String> LINEAGE = BronzeLineage.COLUMNS;
  /** Names bronze writes into every row itself, which no source's records may carry. */
  public static final List<String> RESERVED = BronzeLineage.RESERVED;

  private BronzeColumns() {}

  /** Whether {@code column} is one bronze adds, not one of the source's data. */
  public static boolean isFramework(String column) {
    return RESERVED.contains(column);
  }
}
