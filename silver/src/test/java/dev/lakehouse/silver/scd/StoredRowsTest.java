package dev.lakehouse.silver.scd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** The stored rows of some keys, read from the files whose key range can hold them. */
class StoredRowsTest {
  private final SparkSession spark = SharedSpark.session();

  @Test
  void readsOnlyTheFilesWhoseKeyRangeHoldsTheWantedKeys() {
    LakehouseTable table = new LakehouseTable(TableName.parse("silver.facts"),
        SharedSpark.newDir("stored-rows").resolve("facts").toString(), List.of("id", "line"), List.of(), FormatKind.DELTA);
    // Four commits of growing ids, as facts arrive; a null id in the first.
    for (int batch = 0; batch < 4; batch++) {
      table.append(spark.sql("SELECT id, id % 3 AS line, 'v' || id AS v FROM range(" + batch * 1000 + ", " + (batch + 1) * 1000
          + ") UNION ALL SELECT " + (batch == 0 ? "NULL" : "-1") + ", 0, 'x'").repartition(1), Optional.empty());
    }
    int files = table.read(spark).inputFiles().length;
    assertThat(files).isEqualTo(4);

    Dataset<Row> newest = new StoredRows(List.of("id", "line"),
        spark.sql("SELECT id, id % 3 AS line FROM range(3100, 3110) UNION ALL SELECT 5000, 2")).in(table).orElseThrow();
    assertThat(newest.count()).isEqualTo(10);
    assertThat(newest.inputFiles()).hasSize(1);

    // Keys across the range read every file, and a null key still finds its null-keyed row.
    Dataset<Row> spread = new StoredRows(List.of("id", "line"),
        spark.sql("SELECT CAST(NULL AS BIGINT) AS id, 0L AS line UNION ALL SELECT 3999, 0 UNION ALL SELECT 10, 1")).in(table)
        .orElseThrow();
    assertThat(spread.selectExpr("coalesce(id, -100)").as(org.apache.spark.sql.Encoders.LONG()).collectAsList())
        .containsExactlyInAnyOrder(-100L, 3999L, 10L);
  }
}
