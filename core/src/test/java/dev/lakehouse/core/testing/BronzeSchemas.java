package dev.lakehouse.core.testing;

import dev.lakehouse.core.spec.BronzeLineage;
import java.util.Arrays;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Schemas of bronze tables that tests fill directly, with rows as an ingest would have written them. */
public final class BronzeSchemas {
  private BronzeSchemas() {}

  /**
   * What a bronze source of rows of {@code ddl} declares: its columns without those bronze writes
   * itself ({@link BronzeLineage#RESERVED}), which the rows carry as an ingest's would and which a
   * source may not declare.
   */
  public static String declared(String ddl) {
    return new StructType(Arrays.stream(StructType.fromDDL(ddl).fields())
        .filter(f -> !BronzeLineage.RESERVED.contains(f.name())).toArray(StructField[]::new)).toDDL();
  }
}
