package dev.lakehouse.silver.cleanse;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.Cleansing;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.silver.ChangeRows;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;

/**
 * Applies a table's {@link Cleansing} to a micro-batch, in the order {@link Cleansing} states.
 * A column the spec names but the rows lack fails the batch with the table, the key and the columns
 * there are.
 */
public final class Cleanse {
  private final TableName table;
  private final Cleansing spec;
  private final List<String> carried;

  /** @param carried change-row columns kept through {@code select} when the rows have them (e.g. {@link ChangeRows#DELETED}) */
  public Cleanse(TableName table, Cleansing spec, List<String> carried) {
    this.table = table;
    this.spec = spec;
    this.carried = carried;
  }

  public Cleanse(TableName table, Cleansing spec) {
    this(table, spec, List.of(ChangeRows.DELETED));
  }

  public Dataset<Row> apply(Dataset<Row> input) {
    Dataset<Row> rows = input;
    if (spec.deleteWhen().isPresent()) {
      // On the rows as read: an operation column (op = 'D') rarely belongs in the table.
      Column delete = coalesce(expr(spec.deleteWhen().get()), lit(false));
      rows = ChangeRows.withDeletedColumn(rows);
      rows = rows.withColumn(ChangeRows.DELETED, col(ChangeRows.DELETED).or(delete));
    }
    Dataset<Row> out = rows;
    if (!spec.select().isEmpty()) {
      List<String> exprs = new ArrayList<>(spec.select());
      for (String c : carried) { // the change rows' own columns survive any select ("*" keeps them already)
        if (Arrays.asList(rows.columns()).contains(c) && !exprs.contains(c) && !exprs.contains("*")) {
          exprs.add("`" + c + "`");
        }
      }
      out = rows.selectExpr(exprs.toArray(String[]::new));
    }
    for (Map.Entry<String, String> r : spec.rename().entrySet()) {
      require(out, "rename", r.getKey());
      out = out.withColumnRenamed(r.getKey(), r.getValue());
    }
    for (String c : trimmed(out)) {
      out = out.withColumn(c, functions.trim(col(q(c))));
    }
    for (Map.Entry<String, Cleansing.Case> e : spec.caseOf().entrySet()) {
      require(out, "case", e.getKey());
      Column c = col(q(e.getKey()));
      out = out.withColumn(e.getKey(), switch (e.getValue()) {
        case UPPER -> functions.upper(c);
        case LOWER -> functions.lower(c);
        case INITCAP -> functions.initcap(c);
      });
    }
    for (Map.Entry<String, Cleansing.Cast> e : spec.cast().entrySet()) {
      require(out, "cast", e.getKey());
      out = out.withColumn(e.getKey(), cast(col(q(e.getKey())), e.getValue()));
    }
    for (Map.Entry<String, String> e : spec.defaults().entrySet()) {
      require(out, "defaults", e.getKey());
      out = out.withColumn(e.getKey(), coalesce(col(q(e.getKey())), expr(e.getValue())));
    }
    for (String d : spec.derive()) {
      Column c = expr(d);
      out = out.withColumn(((Alias) c.expr()).name(), c);
    }
    if (spec.filter().isPresent()) {
      out = out.where(spec.filter().get());
    }
    for (Map.Entry<String, Cleansing.Mask> e : spec.masks().entrySet()) {
      require(out, "columns." + e.getKey() + ".mask", e.getKey());
      out = out.withColumn(e.getKey(), mask(col(q(e.getKey())), e.getValue()));
    }
    return out;
  }

  /**
   * A cast; a date or timestamp with a {@code format} is parsed by that pattern, and a timestamp
   * with a {@code time-zone} is read as wall-clock time in that zone (whatever the session's zone).
   */
  static Column cast(Column c, Cleansing.Cast cast) {
    String type = cast.type().toLowerCase(java.util.Locale.ROOT);
    if (type.equals("date") && cast.pattern().isPresent()) {
      return functions.to_date(c, cast.pattern().get());
    }
    if (type.equals("timestamp") && cast.timeZone().isPresent()) {
      String pattern = cast.pattern().orElse("yyyy-MM-dd[['T'][' ']HH:mm[:ss][.SSSSSS]]");
      return functions.to_timestamp(concat(c.cast("string"), lit(" " + cast.timeZone().get())), pattern + " VV");
    }
    if (type.equals("timestamp") && cast.pattern().isPresent()) {
      return functions.to_timestamp(c, cast.pattern().get());
    }
    return c.cast(cast.type());
  }

  static Column mask(Column c, Cleansing.Mask mask) {
    Column text = c.cast("string");
    Column masked = switch (mask) {
      case KEEP -> c;
      case HASH -> functions.sha2(text, 256);
      case REDACT -> lit("****");
      case LAST4 -> functions.regexp_replace(text, ".(?=.{4})", "*");
    };
    return mask == Cleansing.Mask.KEEP ? c : when(c.isNull(), lit(null).cast("string")).otherwise(masked);
  }

  private List<String> trimmed(Dataset<Row> rows) {
    if (spec.trim().equals(List.of("*"))) {
      List<String> strings = new ArrayList<>();
      for (StructField f : rows.schema().fields()) {
        if (f.dataType() instanceof StringType) {
          strings.add(f.name());
        }
      }
      return strings;
    }
    for (String c : spec.trim()) {
      require(rows, "trim", c);
    }
    return spec.trim();
  }

  private void require(Dataset<Row> rows, String key, String column) {
    if (!Arrays.asList(rows.columns()).contains(column)) {
      throw new LakehouseException("Cannot cleanse " + table + ": " + key + " names column '" + column
          + "', which the rows do not have at that step; columns there are " + String.join(", ", rows.columns())
          + ". Fix the column name in the spec (renames happen before trim, case, cast, defaults and masking)");
    }
  }

  private static String q(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
