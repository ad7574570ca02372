package dev.lakehouse.silver;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * The shape of what a silver table takes in: <em>change rows</em>. A change row carries the
 * table's columns (its keys and its {@code sequence-by} column among them) and, optionally, the
 * boolean column {@code _deleted}. A row with {@code _deleted = true} deletes its key
 * ({@code write = scd1}) or closes the key's current version ({@code write = scd2}); any other row
 * is the key's new state as of its sequence value. Whatever produces rows of this shape (the
 * cleansed rows of a table, {@code delete-when}, a CDC normaliser) hands them to a
 * {@link ChangeApply}.
 */
public final class ChangeRows {
  /** The boolean column that marks a change row as a delete of its key. */
  public static final String DELETED = dev.lakehouse.core.spec.CdcSpec.DELETED; // one name for change decoders and apply

  private ChangeRows() {}

  /** True when {@code rows} carry the {@code _deleted} column. */
  public static boolean hasDeletes(Dataset<Row> rows) {
    return Arrays.asList(rows.columns()).contains(DELETED);
  }

  /**
   * {@code rows} with {@code _deleted} present and never null (false when it was absent or null);
   * {@code rows} itself when its column cannot be null, so stored rows stay stored rows.
   */
  public static Dataset<Row> withDeletedColumn(Dataset<Row> rows) {
    if (hasDeletes(rows) && !rows.schema().apply(DELETED).nullable()) {
      return rows;
    }
    Column deleted = hasDeletes(rows) ? coalesce(col(DELETED), lit(false)) : lit(false);
    return rows.withColumn(DELETED, deleted);
  }

  /**
   * One row per key: the greatest {@code sequenceBy} value wins; ties (and rows without a sequence)
   * are broken by a delete winning, then by the row's full content, so the choice never depends
   * on file or partition order.
   */
  public static Dataset<Row> latestPerKey(Dataset<Row> rows, List<String> keys, Optional<String> sequenceBy) {
    List<Column> order = new ArrayList<>();
    sequenceBy.ifPresent(seq -> order.add(col(quote(seq)).desc_nulls_last()));
    if (hasDeletes(rows)) {
      order.add(col(DELETED).desc_nulls_last());
    }
    order.add(functions.to_json(functions.struct(col("*"))).desc());
    return firstPerKey(rows, keys, order.toArray(Column[]::new));
  }

  /**
   * One row per key of rows the {@link dev.lakehouse.silver.guard.KeyGuard} let through: the
   * greatest {@code sequenceBy} value wins. The guard leaves no two rows with the same key and
   * sequence value (nor two rows of a key when there is no sequence), so no tie-break is needed,
   * and none is computed: {@link #latestPerKey}'s by content costs a JSON rendering of every row.
   */
  public static Dataset<Row> newestPerGuardedKey(Dataset<Row> guarded, List<String> keys, Optional<String> sequenceBy) {
    if (sequenceBy.isEmpty()) {
      return guarded;
    }
    return firstPerKey(guarded, keys, col(quote(sequenceBy.get())).desc_nulls_last());
  }

  /** The first row of each key in {@code order}. */
  private static Dataset<Row> firstPerKey(Dataset<Row> rows, List<String> keys, Column... order) {
    Column[] keyCols = keys.stream().map(k -> col(quote(k))).toArray(Column[]::new);
    return rows
        .withColumn("__lakehouse_rank", functions.row_number().over(Window.partitionBy(keyCols).orderBy(order)))
        .where(col("__lakehouse_rank").equalTo(1))
        .drop("__lakehouse_rank");
  }

  /** A column name quoted for {@code col(...)} and SQL. */
  public static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
