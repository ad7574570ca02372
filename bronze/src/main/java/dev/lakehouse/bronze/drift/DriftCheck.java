package dev.lakehouse.bronze.drift;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.to_json;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.SchemaDrift;
import dev.lakehouse.core.spec.TableSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Applies a table's schema-drift policy to a batch whose records carry columns the table does not
 * have. The same on Delta and Hudi: detection and the rescue column are plain Spark; only adding
 * columns to the table is the format's (see {@code LakehouseTable.appendAddingColumns}).
 */
public final class DriftCheck {
  private DriftCheck() {}

  /** The batch's columns that {@code known} lacks, in batch order. */
  public static List<String> newColumns(Dataset<Row> rows, Set<String> known) {
    List<String> out = new ArrayList<>();
    for (String c : rows.columns()) {
      if (!known.contains(c)) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * The batch after the policy: unchanged for {@code add-new-columns}; the new columns folded into
   * {@value BronzeColumns#RESCUED} as a JSON object for {@code rescue}.
   *
   * @throws LakehouseException for {@code fail}, naming the new columns and a sample of sources
   */
  public static Dataset<Row> apply(Dataset<Row> rows, List<String> newColumns, SchemaDrift policy, TableSpec spec) {
    if (newColumns.isEmpty()) {
      return rows;
    }
    switch (policy) {
      case FAIL -> {
        List<String> where = new ArrayList<>();
        Column any = null;
        for (String c : newColumns) {
          any = any == null ? col(c).isNotNull() : any.or(col(c).isNotNull());
        }
        for (Row r : rows.where(any).select(BronzeColumns.SOURCE).distinct().limit(3).collectAsList()) {
          where.add(r.getString(0));
        }
        throw new LakehouseException("Cannot ingest into " + spec.name() + ": records carry columns its schema does not have: "
            + String.join(", ", newColumns) + (where.isEmpty() ? "" : " (in " + String.join(", ", where) + ")")
            + "; the table's schema-drift = fail stopped the run before writing. Declare the columns in its schema, or set "
            + "schema-drift = add-new-columns (evolve the table) or rescue (keep them in " + BronzeColumns.RESCUED
            + ") in its spec at " + spec.origin());
      }
      case RESCUE -> {
        Column present = null;
        for (String c : newColumns) {
          present = present == null ? col("`" + c + "`").isNotNull() : present.or(col("`" + c + "`").isNotNull());
        }
        Column unknown = org.apache.spark.sql.functions.when(present,
            to_json(struct(newColumns.stream().map(c -> col("`" + c + "`")).toArray(Column[]::new))));
        Dataset<Row> out = rows;
        boolean hasRescued = List.of(rows.columns()).contains(BronzeColumns.RESCUED);
        out = out.withColumn(BronzeColumns.RESCUED, hasRescued ? coalesce(col(BronzeColumns.RESCUED), unknown) : unknown);
        return out.drop(newColumns.toArray(String[]::new));
      }
      default -> {
        return rows;
      }
    }
  }
}
