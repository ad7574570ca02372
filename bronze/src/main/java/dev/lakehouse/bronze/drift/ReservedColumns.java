package dev.lakehouse.bronze.drift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Refuses records that carry a column bronze writes into every row itself ({@link BronzeColumns#RESERVED},
 * and a source's own columns such as Kafka's {@code _topic}): bronze would put its value there and
 * the record's would be lost without a word. Schema drift does not catch it: the table has the column.
 */
public final class ReservedColumns {
  private ReservedColumns() {}

  /** The names among {@code columns} that no record may carry, in their order. */
  public static List<String> among(Collection<String> columns) {
    return columns.stream().filter(BronzeColumns.RESERVED::contains).distinct().toList();
  }

  /**
   * The reserved names the records of a parsed batch carry, and those of {@code added}, the columns
   * the source adds itself ({@code _source}, Kafka's metadata): one of those counts when it appears
   * twice.
   */
  public static List<String> carried(Dataset<Row> rows, List<String> added) {
    List<String> columns = List.of(rows.columns());
    return java.util.stream.Stream.concat(BronzeColumns.RESERVED.stream(), added.stream()).distinct()
        .filter(r -> columns.stream().filter(r::equals).count() > (added.contains(r) ? 1 : 0)).toList();
  }

  /**
   * Up to three {@code _source} values of rows in which one of {@code carried} has a value. A name
   * bronze adds may then appear twice: the record's comes first, since a source adds its own
   * after the data, and the last {@code _source} is bronze's.
   */
  public static List<String> sources(Dataset<Row> rows, List<String> carried) {
    String[] names = rows.columns();
    String[] positional = new String[names.length];
    Column present = lit(false);
    int ownSource = -1;
    for (int i = 0; i < names.length; i++) {
      positional[i] = "c" + i;
      if (carried.contains(names[i]) && List.of(names).indexOf(names[i]) == i) {
        present = present.or(col(positional[i]).isNotNull());
      }
      ownSource = names[i].equals(BronzeColumns.SOURCE) ? i : ownSource;
    }
    return DriftCheck.sourcesWhere(rows.toDF(positional), present, positional[ownSource]);
  }

  /**
   * The error that stops a table's run before it writes records carrying {@code carried}.
   *
   * @param where the file, folder or relation they come from; empty when not known
   * @param rename how to rename such a column at this table's source
   */
  public static LakehouseException refused(TableName table, List<String> carried, String where, String rename) {
    return new LakehouseException("Cannot ingest into " + table + ": its records carry " + String.join(", ", carried)
        + (where.isEmpty() ? "" : " (in " + where + ")") + ", which bronze writes itself into every row ("
        + String.join(", ", BronzeColumns.RESERVED) + "); it would overwrite the records' values, so the run stopped before"
        + " writing them. Rename " + (carried.size() == 1 ? "the column" : "the columns") + ": " + rename);
  }
}
