package dev.lakehouse.silver;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.Arrays;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The shape of what a silver table takes in: <em>change rows</em>. A change row carries the
 * table's columns (its keys and its {@code sequence-by} column among them) and, optionally, the
 * boolean column {@value #DELETED}. A row with {@code _deleted = true} deletes its key
 * ({@code write = scd1}) or closes the key's current version ({@code write = scd2}); any other row
 * is the key's new state as of its sequence value. Whatever produces rows of this shape (the
 * cleansed rows of a table, {@code delete-when}, a CDC normaliser) hands them to a
 * {@link ChangeApply}.
 */
public final class ChangeRows {
  /** The boolean column that marks a change row as a delete of its key. */
  public static final String DELETED = "_deleted";

  private ChangeRows() {}

  /** True when {@code rows} carry the {@value #DELETED} column. */
  public static boolean hasDeletes(Dataset<Row> rows) {
    return Arrays.asList(rows.columns()).contains(DELETED);
  }

  /** {@code rows} with {@value #DELETED} present and never null (false when it was absent or null). */
  public static Dataset<Row> withDeletedColumn(Dataset<Row> rows) {
    Column deleted = hasDeletes(rows) ? coalesce(col(DELETED), lit(false)) : lit(false);
    return rows.withColumn(DELETED, deleted);
  }
}
