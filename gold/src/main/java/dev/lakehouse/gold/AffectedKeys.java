package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spec.TableName;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Exists;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.ListQuery;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.CTERelationDef;
import org.apache.spark.sql.catalyst.plans.logical.CTERelationRef;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Offset;
import org.apache.spark.sql.catalyst.plans.logical.Sample;
import org.apache.spark.sql.catalyst.plans.logical.Window;
import org.apache.spark.sql.catalyst.plans.logical.WithCTE;
import scala.collection.JavaConverters;

/**
 * The keys of a gold table that one source's changes reach. A changed row reaches the keys its
 * new image reaches when the query runs with the source replaced by the new images and every other
 * source as it is now, and the keys its old image reached when the query runs with the source
 * replaced by the old images and every other source as it was at the last refresh. For queries
 * that are monotone in their inputs (joins, filters, projections, GROUP BY; what the config
 * check admits), the union of these keys over all changed sources holds every key whose row differs
 * between the last refresh and now, so recomputing those keys equals a full refresh.
 *
 * <p>A source read more than once (a self-join) has each read replaced in turn, the others bound
 * as the rest are: a row the join gains has a new image in at least one of its reads, so that read
 * over the new images, joined with the other reads as they are now, gives it. Replacing every read
 * at once would join the changes only with themselves (a new report of manager 1 meets no manager).
 * What is not monotone in the source finds no keys this way ({@link #whyNot}).
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
    int reads = query.reads(spark, source);
    Dataset<Row> keys = KeyRestriction.withOwnValues(after, joinColumns)
        .map(newImages -> reached(spark, now, source, reads, newImages)).orElse(null);
    Optional<Dataset<Row>> oldImages = KeyRestriction.withOwnValues(before, joinColumns);
    if (oldImages.isPresent()) {
      Dataset<Row> old = reached(spark, last, source, reads, oldImages.get());
      keys = keys == null ? old : keys.union(old);
    }
    return keys;
  }

  /** The keys of the query with each read of {@code source} in turn bound to {@code images}, the rest to {@code bindings}. */
  private Dataset<Row> reached(SparkSession spark, Map<TableName, Dataset<Row>> bindings, TableName source, int reads,
      Dataset<Row> images) {
    if (reads <= 1) {
      return keysOf(query.evaluate(spark, replaced(bindings, source, images)));
    }
    Dataset<Row> keys = null;
    for (int read = 0; read < reads; read++) {
      Dataset<Row> k = keysOf(query.evaluate(spark, bindings, source, read, images));
      keys = keys == null ? k : keys.union(k);
    }
    return keys;
  }

  /**
   * Why the keys that {@code source}'s changes reach cannot be found by running the query over
   * them; empty when they can. That takes a query monotone in the source below its GROUP BY: a
   * changed row then reaches a result row only through rows of its own image. Not so when a read of
   * the source is
   * <ul>
   *   <li>in a scalar subquery ({@code salary > (SELECT avg(salary) ...)}): its value, over the
   *       changes alone, is not the value over the table, and a new row moves every row it compares;
   *   <li>under a GROUP BY of a derived table, or below a condition or join on a GROUP BY's result
   *       (a HAVING in effect: {@code WHERE t.total > 100}): the sum of a customer's changed orders
   *       is not the customer's total, so which rows pass depends on rows the change does not touch;
   *   <li>under a window, LIMIT or sample (which validation refuses already);
   *   <li>named once in a WITH clause used more than once: its reads cannot be bound one at a time.
   * </ul>
   * Then the refresh goes full ({@link TouchedKeys}), as a full refresh is what the query needs.
   *
   * @param query the query {@code analysed} is the plan of
   */
  static Optional<String> whyNot(SparkSession spark, GoldQuery query, LogicalPlan analysed, TableName source) {
    Map<Long, LogicalPlan> ctes = new HashMap<>();
    for (LogicalPlan p : JavaConverters.seqAsJavaList(analysed.collectWithSubqueries(
        new KeyLineage.Matching<LogicalPlan>(p -> p instanceof CTERelationDef)))) {
      ctes.put(((CTERelationDef) p).id(), ((CTERelationDef) p).child());
    }
    Walk w = new Walk(source, ctes);
    w.visit(analysed, false);
    if (w.why == null && w.reads > 1 && w.reads != query.reads(spark, source)) {
      w.why = "it reads " + source + " " + w.reads + " times through a WITH clause, whose reads cannot be told apart";
    }
    return Optional.ofNullable(w.why);
  }

  /** The reads of a source in an analysed plan, and the first thing on a path to one that is not monotone. */
  private static final class Walk {
    private final TableName source;
    private final Map<Long, LogicalPlan> ctes;
    int reads;
    String why;

    Walk(TableName source, Map<Long, LogicalPlan> ctes) {
      this.source = source;
      this.ctes = ctes;
    }

    /**
     * Visits {@code p}; returns whether a read of the source below it is under a GROUP BY.
     *
     * @param grouped whether a GROUP BY is above {@code p} (the query's own, at most)
     */
    boolean visit(LogicalPlan p, boolean grouped) {
      if (why != null) {
        return false;
      }
      if (KeyLineage.isSource(p, source)) {
        reads++;
        return false;
      }
      int before = reads;
      for (Expression e : JavaConverters.seqAsJavaList(p.expressions())) {
        for (Expression x : JavaConverters.seqAsJavaList(e.collect(new KeyLineage.Matching<Expression>(
            c -> c instanceof SubqueryExpression)))) {
          int outside = reads;
          // IN and EXISTS keep or drop a row by whether a matching row exists: monotone, as a semi-join.
          visit(((SubqueryExpression) x).plan(), true);
          if (why == null && reads > outside && !(x instanceof Exists || x instanceof ListQuery)) {
            why = "it reads " + source + " in a scalar subquery, whose value over the changed rows alone is not its value over the table";
          }
        }
      }
      if (p instanceof CTERelationRef r && ctes.containsKey(r.cteId())) {
        return visit(ctes.get(r.cteId()), grouped);
      }
      if (p instanceof WithCTE w) {
        return visit(w.plan(), grouped); // the definitions are visited where they are used
      }
      boolean aggregate = p instanceof Aggregate;
      boolean underAggregate = false;
      for (LogicalPlan child : JavaConverters.seqAsJavaList(p.children())) {
        underAggregate |= visit(child, grouped || aggregate);
      }
      if (why != null || reads == before) {
        return false;
      }
      if (aggregate && grouped) {
        why = "it reads " + source + " under a GROUP BY below its top one (a derived table's aggregate), whose values"
            + " over the changed rows alone are not those over the table";
      } else if (underAggregate && (p instanceof Filter || p instanceof Join)) {
        why = "it filters or joins the result of a GROUP BY over " + source + " (a HAVING in effect): which groups"
            + " pass depends on rows the changes do not touch";
      } else if (p instanceof Window || p instanceof GlobalLimit || p instanceof LocalLimit || p instanceof Offset
          || p instanceof Sample) {
        why = "it reads " + source + " through " + p.nodeName();
      }
      return aggregate || underAggregate;
    }
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
