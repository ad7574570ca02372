package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spec.TableName;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;

/**
 * The keys of a gold table that one source's changes reach. A changed row reaches the keys its
 * new image reaches when the query runs with the source replaced by the new images and every other
 * source as it is now, and the keys its old image reached when the query runs with the source
 * replaced by the old images and every other source as it was at the last refresh. For queries
 * that are monotone in their inputs (joins, filters, projections, GROUP BY; what the config
 * check admits), the union of these keys over all changed sources holds every key whose row differs
 * between the last refresh and now, so recomputing those keys equals a full refresh.
 */
final class AffectedKeys {
  private final GoldQuery query;
  private final List<String> keys;
  private final LogicalPlan analysed;

  /** @param analysed the query's analysed plan over the sources as they are now */
  AffectedKeys(GoldQuery query, List<String> keys, LogicalPlan analysed) {
    this.query = query;
    this.keys = keys;
    this.analysed = analysed;
  }

  /**
   * @param changes the source's change rows since the last refresh, with {@link TableFormat#CHANGE_TYPE},
   *     materialised (it is read several times)
   * @param now every source bound to its current version
   * @param last every source bound to the version the last refresh read
   * @return the keys, or null when there are no changes
   */
  Dataset<Row> of(SparkSession spark, TableName source, Dataset<Row> changes,
      Map<TableName, Dataset<Row>> now, Map<TableName, Dataset<Row>> last) {
    Dataset<Row> after = changes.where(not(TableFormat.isBeforeImage())).drop(TableFormat.CHANGE_TYPE);
    Dataset<Row> before = changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE);
    // Each side carries its join columns' values as literals, which Spark passes through the
    // query's join equalities into the other sources' scans: appended facts with growing keys
    // then join with the other sources' newest files only, not with all of them.
    List<String> joinColumns = KeyLineage.joinColumns(analysed, source);
    // Appends have no before-images: skipping an empty side saves a pass over the other sources.
    Dataset<Row> keys = KeyRestriction.withOwnValues(after, joinColumns)
        .map(newImages -> keysOf(query.evaluate(spark, replaced(now, source, newImages)))).orElse(null);
    Optional<Dataset<Row>> oldImages = KeyRestriction.withOwnValues(before, joinColumns);
    if (oldImages.isPresent()) {
      Dataset<Row> old = keysOf(query.evaluate(spark, replaced(last, source, oldImages.get())));
      keys = keys == null ? old : keys.union(old);
    }
    return keys;
  }

  private Dataset<Row> keysOf(Dataset<Row> rows) {
    return rows.select(keys.stream().map(k -> col("`" + k + "`")).toArray(Column[]::new));
  }

  private static Map<TableName, Dataset<Row>> replaced(Map<TableName, Dataset<Row>> bindings, TableName source, Dataset<Row> rows) {
    Map<TableName, Dataset<Row>> out = new LinkedHashMap<>(bindings);
    out.put(source, rows);
    return out;
  }
}
