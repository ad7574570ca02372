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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Applies a table's schema-drift policy to a batch whose records carry columns the table does not
 * have, at the top level or as fields of a STRUCT column the table watches
 * ({@code schema-drift-structs}). The same on Delta and Hudi: detection and the rescue column are
 * plain Spark; only adding columns to the table is the format's (see {@code LakehouseTable.appendAddingColumns}).
 */
public final class DriftCheck {
  private DriftCheck() {}

  /**
   * A column of the batch that the table lacks.
   *
   * @param struct the watched STRUCT column it is a field of; empty for a top-level column
   */
  public record NewColumn(Optional<String> struct, String name) {
    Column column() {
      return struct.map(s -> col("`" + s + "`").getField(name)).orElse(col("`" + name + "`"));
    }

    @Override
    public String toString() {
      return struct.map(s -> s + "." + name).orElse(name);
    }
  }

  /**
   * The batch's columns that {@code table} lacks, in batch order: top-level ones, then the fields of
   * each of {@code driftStructs} that the table's STRUCT of that name lacks.
   */
  public static List<NewColumn> newColumns(Dataset<Row> rows, StructType table, List<String> driftStructs) {
    Set<String> known = Set.of(table.fieldNames());
    List<NewColumn> out = new ArrayList<>();
    for (String c : rows.columns()) {
      if (!known.contains(c)) {
        out.add(new NewColumn(Optional.empty(), c));
      }
    }
    for (String s : driftStructs) {
      if (known.contains(s) && table.apply(s).dataType() instanceof StructType stored
          && rows.schema().apply(s).dataType() instanceof StructType batch) {
        Set<String> storedFields = Set.of(stored.fieldNames());
        Arrays.stream(batch.fieldNames()).filter(f -> !storedFields.contains(f))
            .forEach(f -> out.add(new NewColumn(Optional.of(s), f)));
      }
    }
    return out;
  }

  /**
   * The batch after the policy: unchanged for {@code add-new-columns}; the new columns folded into
   * {@value BronzeColumns#RESCUED} as a JSON object for {@code rescue} (a struct's field under the
   * key {@code struct.field}).
   *
   * @throws LakehouseException for {@code fail}, naming the new columns and a sample of sources
   */
  public static Dataset<Row> apply(Dataset<Row> rows, List<NewColumn> newColumns, SchemaDrift policy, TableSpec spec) {
    if (newColumns.isEmpty()) {
      return rows;
    }
    Column present = null;
    for (NewColumn c : newColumns) {
      present = present == null ? c.column().isNotNull() : present.or(c.column().isNotNull());
    }
    List<String> names = newColumns.stream().map(NewColumn::toString).toList();
    switch (policy) {
      case FAIL -> {
        List<String> where = sourcesWhere(rows, present, BronzeColumns.SOURCE);
        throw new LakehouseException("Cannot ingest into " + spec.name() + ": records carry columns its schema does not have: "
            + String.join(", ", names) + (where.isEmpty() ? "" : " (in " + String.join(", ", where) + ")")
            + "; the table's schema-drift = fail stopped the run before writing. Declare the columns in its schema"
            + (newColumns.stream().anyMatch(c -> c.struct().isPresent()) ? " (a struct's field inside its STRUCT<...>)" : "")
            + ", or set "
            + "schema-drift = add-new-columns (evolve the table) or rescue (keep them in " + BronzeColumns.RESCUED
            + ") in its spec at " + spec.origin());
      }
      case RESCUE -> {
        Column unknown = org.apache.spark.sql.functions.when(present,
            to_json(struct(newColumns.stream().map(c -> c.column().as(c.toString())).toArray(Column[]::new))));
        boolean hasRescued = List.of(rows.columns()).contains(BronzeColumns.RESCUED);
        Dataset<Row> out = rows.withColumn(BronzeColumns.RESCUED,
            hasRescued ? coalesce(col(BronzeColumns.RESCUED), unknown) : unknown);
        Map<String, List<String>> fieldsByStruct = new LinkedHashMap<>();
        for (NewColumn c : newColumns) {
          if (c.struct().isPresent()) {
            fieldsByStruct.computeIfAbsent(c.struct().get(), s -> new ArrayList<>()).add(c.name());
          } else {
            out = out.drop(c.name());
          }
        }
        for (Map.Entry<String, List<String>> e : fieldsByStruct.entrySet()) {
          out = out.withColumn(e.getKey(), col("`" + e.getKey() + "`")
              .dropFields(scala.collection.JavaConverters.asScalaBuffer(e.getValue()).toSeq()));
        }
        return out;
      }
      default -> {
        return rows;
      }
    }
  }

  /** Up to three values of {@code source} (a {@code _source} column) among the rows where {@code present} holds. */
  static List<String> sourcesWhere(Dataset<Row> rows, Column present, String source) {
    List<String> where = new ArrayList<>();
    for (Row r : rows.where(present).select(col(source)).distinct().limit(3).collectAsList()) {
      where.add(r.getString(0));
    }
    return where;
  }
}
