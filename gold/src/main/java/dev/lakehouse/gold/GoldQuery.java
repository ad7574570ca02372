package dev.lakehouse.gold;

import dev.lakehouse.core.config.SqlTableReferences;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TopN;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Dataset$;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.AliasIdentifier;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith;
import scala.Tuple2;
import scala.collection.JavaConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * A gold table's query, evaluated over inputs the refresh chooses: each {@code layer.name} it reads
 * is bound to a Dataset (a table at a version, or only the rows that changed). Binding happens on
 * the parsed plan, not by editing SQL text, so aliases, CTEs and subqueries keep working.
 */
final class GoldQuery {
  private final String sql;
  /** Whether this is the query without its final ORDER BY ... LIMIT (see {@link TopN}). */
  private final boolean unranked;

  GoldQuery(String sql) {
    this(sql, false);
  }

  private GoldQuery(String sql, boolean unranked) {
    this.sql = sql;
    this.unranked = unranked;
  }

  /** The query's result with every table named in {@code bindings} replaced by its Dataset. */
  Dataset<Row> evaluate(SparkSession spark, Map<TableName, Dataset<Row>> bindings) {
    return Dataset$.MODULE$.ofRows(spark, bind(parsed(spark), bindings, null, -1, null, new int[1]));
  }

  /**
   * The result with the {@code read}-th mention of {@code source} in the query's text (counting
   * from 0, in the order {@link #reads} counts them) bound to {@code rows}, and every other mention
   * of it, and every other table, as in {@code bindings}: in a self-join, the change of one side
   * against the other side's whole rows.
   */
  Dataset<Row> evaluate(SparkSession spark, Map<TableName, Dataset<Row>> bindings, TableName source, int read, Dataset<Row> rows) {
    return Dataset$.MODULE$.ofRows(spark, bind(parsed(spark), bindings, source, read, rows, new int[1]));
  }

  /** How many times the query's text names {@code source} (a self-join names it twice; a WITH clause once however often it is used). */
  int reads(SparkSession spark, TableName source) {
    int[] seen = new int[1];
    bind(parsed(spark), Map.of(source, spark.emptyDataFrame()), source, -1, null, seen);
    return seen[0];
  }

  private LogicalPlan parsed(SparkSession spark) {
    LogicalPlan parsed = parse(spark);
    return unranked ? TopN.of(parsed).orElseThrow().unranked() : parsed;
  }

  /** The rows this query ranks when it ends in ORDER BY ... LIMIT n, a {@link TopN}; empty otherwise. */
  Optional<GoldQuery> unranked(SparkSession spark) {
    return TopN.of(parse(spark)).map(t -> new GoldQuery(sql, true));
  }

  /**
   * {@code rows}, the result of {@link #unranked}, ranked as this query ranks them.
   *
   * @throws LakehouseException when the ORDER BY names what the result has no column for (a column
   *     of a source the SELECT list leaves out): the rows kept to rank have only the result's columns
   */
  Dataset<Row> rank(SparkSession spark, Dataset<Row> rows) {
    TopN top = TopN.of(parse(spark)).orElseThrow();
    try {
      return Dataset$.MODULE$.ofRows(spark, top.rank(rows.logicalPlan()));
    } catch (Exception e) { // Spark's AnalysisException, which Java sees as checked
      if (!(e instanceof AnalysisException)) {
        throw e;
      }
      throw new LakehouseException("Cannot rank the rows of its query by its ORDER BY " + top.order().mkString(", ")
          + " over the result's columns " + List.of(rows.columns()) + ": " + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
          + "; order by columns of the SELECT list (add the column to it), or use refresh = full", e);
    }
  }

  private LogicalPlan parse(SparkSession spark) {
    try {
      return spark.sessionState().sqlParser().parsePlan(sql);
    } catch (Exception e) { // validation parsed it already; a session with other SQL settings may not
      throw new LakehouseException("Cannot parse the gold query: " + e.getMessage(), e);
    }
  }

  /**
   * {@code plan} with each table of {@code bindings} bound to its Dataset, but the {@code read}-th
   * mention of {@code source} (counted in {@code seen}) to {@code rows}.
   */
  private static LogicalPlan bind(LogicalPlan plan, Map<TableName, Dataset<Row>> bindings, TableName source, int read,
      Dataset<Row> rows, int[] seen) {
    return plan.transformUpWithSubqueries(new AbstractPartialFunction<LogicalPlan, LogicalPlan>() {
      @Override
      public boolean isDefinedAt(LogicalPlan p) {
        return p instanceof UnresolvedRelation r && bound(r, bindings) != null || p instanceof UnresolvedWith;
      }

      @Override
      public <A1 extends LogicalPlan, B1> B1 applyOrElse(A1 p, scala.Function1<A1, B1> otherwise) {
        if (p instanceof UnresolvedRelation r && bound(r, bindings) != null) {
          TableName name = bound(r, bindings);
          Dataset<Row> to = bindings.get(name);
          if (name.equals(source) && seen[0]++ == read) {
            to = rows;
          }
          // Keep the table's own name as qualifier, so "orders.o_orderkey" still resolves.
          AliasIdentifier alias = new AliasIdentifier(name.name(),
              JavaConverters.asScalaBuffer(List.of(name.layer().id())).toSeq());
          @SuppressWarnings("unchecked")
          B1 out = (B1) new SubqueryAlias(alias, to.logicalPlan());
          return out;
        }
        if (p instanceof UnresolvedWith w) {
          // Common table expressions are not children of the plan: bind inside each of them too.
          List<Tuple2<String, SubqueryAlias>> ctes = new ArrayList<>();
          for (Tuple2<String, SubqueryAlias> cte : JavaConverters.seqAsJavaList(w.cteRelations())) {
            ctes.add(new Tuple2<>(cte._1(), (SubqueryAlias) bind(cte._2(), bindings, source, read, rows, seen)));
          }
          @SuppressWarnings("unchecked")
          B1 out = (B1) new UnresolvedWith(w.child(), JavaConverters.asScalaBuffer(ctes).toSeq());
          return out;
        }
        return otherwise.apply(p);
      }
    });
  }

  private static TableName bound(UnresolvedRelation r, Map<TableName, Dataset<Row>> bindings) {
    TableName name = SqlTableReferences.tableName(JavaConverters.seqAsJavaList(r.multipartIdentifier()));
    return name != null && bindings.containsKey(name) ? name : null;
  }
}
