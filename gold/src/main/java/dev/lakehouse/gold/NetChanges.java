package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;

/**
 * A source's change rows cut down to what a gold query sees of them: the columns it reads, and of
 * those, only the images that differ. An update that leaves every column the query reads as it was
 * (a customer's new phone number, for a query of market segments) has an old and a new image that
 * are equal there: the two cancel, and the update reaches no key and no aggregate. The query's
 * result depends on a source only through the multiset of its rows cut to those columns, so
 * taking the old images out and the new ones in, after equal pairs cancel, changes that multiset
 * exactly as the whole change rows do.
 */
final class NetChanges {
  private NetChanges() {}

  /**
   * {@code changes} cut to the columns {@code analysed} reads of {@code source}, equal old and new
   * images cancelled, materialised; {@code changes} as they are when the query reads every column
   * (nothing to cut: a change then differs in a read column, or is a rewrite of equal rows, which
   * no table of this framework writes) or a read column cannot be compared (a map).
   *
   * @param changes the source's change rows, with {@link TableFormat#CHANGE_TYPE}
   */
  static Dataset<Row> of(Dataset<Row> changes, LogicalPlan analysed, TableName source) {
    Dataset<Row> rows = cut(changes, analysed, source);
    if (rows == null) {
      return changes;
    }
    rows = LakehouseSpark.materialize(rows);
    return images(rows).before().isEmpty() ? rows : cancel(rows); // appends only: nothing to cancel
  }

  /**
   * The new and the old images of {@code changes} as {@link #of} cuts them, materialised, a side
   * without rows null; with the fewest Spark jobs, for a refresh that needs no more of them.
   */
  static MergeableAggregate.Images split(Dataset<Row> changes, LogicalPlan analysed, TableName source) {
    Dataset<Row> cut = cut(changes, analysed, source);
    Dataset<Row> rows = LakehouseSpark.materialize(cut == null ? changes : cut);
    long before = rows.where(TableFormat.isBeforeImage()).count();
    if (cut != null && before > 0 && before < LakehouseSpark.count(rows)) {
      rows = cancel(rows);
      before = rows.where(TableFormat.isBeforeImage()).count();
    }
    MergeableAggregate.Images images = images(rows);
    return new MergeableAggregate.Images(LakehouseSpark.count(rows) > before ? images.after() : null,
        before > 0 ? images.before() : null);
  }

  /** {@code changes} cut to the read columns, or null when there is nothing to cut or they cannot be compared. */
  private static Dataset<Row> cut(Dataset<Row> changes, LogicalPlan analysed, TableName source) {
    Set<String> read = readColumns(analysed, source);
    List<Column> cut = new ArrayList<>();
    boolean comparable = true;
    for (StructField f : changes.schema().fields()) {
      if (read.contains(f.name())) {
        cut.add(col("`" + f.name().replace("`", "``") + "`"));
        comparable &= !hasMap(f.dataType());
      }
    }
    if (cut.size() >= changes.columns().length - 1 || !comparable) {
      return null;
    }
    cut.add(col(TableFormat.CHANGE_TYPE));
    return changes.select(cut.toArray(Column[]::new));
  }

  private static MergeableAggregate.Images images(Dataset<Row> rows) {
    return new MergeableAggregate.Images(rows.where(not(TableFormat.isBeforeImage())).drop(TableFormat.CHANGE_TYPE),
        rows.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE));
  }

  /** Cut change rows with each old image that equals a new one cancelled against it, materialised. */
  private static Dataset<Row> cancel(Dataset<Row> rows) {
    MergeableAggregate.Images images = images(rows);
    Dataset<Row> after = images.after();
    Dataset<Row> before = images.before();
    return LakehouseSpark.materialize(after.exceptAll(before).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.INSERT))
        .union(before.exceptAll(after).withColumn(TableFormat.CHANGE_TYPE, lit(TableFormat.DELETE))));
  }

  /**
   * The names of {@code source}'s columns that {@code analysed} reads: those an expression above
   * one of its occurrences refers to, those the result holds, and every column under a node that
   * reads its input's columns without naming them (a DISTINCT compares whole rows, a UNION lines
   * columns up by position).
   */
  static Set<String> readColumns(LogicalPlan analysed, TableName source) {
    Set<ExprId> referenced = new HashSet<>();
    for (Attribute a : JavaConverters.seqAsJavaList(analysed.output())) {
      referenced.add(a.exprId());
    }
    Set<String> read = new HashSet<>();
    List<LogicalPlan> occurrences = new ArrayList<>();
    collect(analysed, source, referenced, occurrences);
    for (LogicalPlan occurrence : occurrences) {
      for (Attribute a : JavaConverters.seqAsJavaList(occurrence.output())) {
        if (referenced.contains(a.exprId())) {
          read.add(a.name());
        }
      }
    }
    return read;
  }

  private static void collect(LogicalPlan node, TableName source, Set<ExprId> referenced, List<LogicalPlan> occurrences) {
    if (KeyLineage.isSource(node, source)) {
      occurrences.add(node);
      return; // what the bound rows' own plan refers to is theirs, not the query's
    }
    for (Attribute a : JavaConverters.seqAsJavaList(node.references().toSeq())) {
      referenced.add(a.exprId());
    }
    boolean names = node instanceof Project || node instanceof Filter || node instanceof Aggregate
        || node instanceof Join || node instanceof Sort || node instanceof SubqueryAlias
        || node instanceof GlobalLimit || node instanceof LocalLimit;
    for (LogicalPlan child : JavaConverters.seqAsJavaList(node.children())) {
      if (!names) {
        for (Attribute a : JavaConverters.seqAsJavaList(child.output())) {
          referenced.add(a.exprId());
        }
      }
      collect(child, source, referenced, occurrences);
    }
    for (LogicalPlan subquery : JavaConverters.seqAsJavaList(node.subqueries())) {
      collect(subquery, source, referenced, occurrences);
    }
  }

  private static boolean hasMap(DataType t) {
    if (t instanceof MapType) {
      return true;
    }
    if (t instanceof ArrayType a) {
      return hasMap(a.elementType());
    }
    if (t instanceof StructType s) {
      for (StructField f : s.fields()) {
        if (hasMap(f.dataType())) {
          return true;
        }
      }
    }
    return false;
  }
}
