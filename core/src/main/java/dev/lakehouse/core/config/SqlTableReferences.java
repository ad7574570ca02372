package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.catalyst.analysis.UnresolvedRelation;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith;
import scala.Tuple2;
import scala.collection.JavaConverters;

/**
 * The tables a SQL query reads, found with Spark's own parser (no session needed), so that a gold
 * table's dependencies come from its query rather than from a list someone must keep in step.
 */
public final class SqlTableReferences {
  private SqlTableReferences() {}

  /**
   * The multi-part names of the relations {@code sql} reads, in order of first appearance,
   * without the names of its common table expressions.
   *
   * @throws org.apache.spark.sql.catalyst.parser.ParseException when {@code sql} does not parse
   */
  public static List<List<String>> of(String sql) {
    LogicalPlan plan = CatalystSqlParser$.MODULE$.parsePlan(sql);
    Set<List<String>> relations = new LinkedHashSet<>();
    Set<String> cteNames = new HashSet<>();
    visit(plan, relations, cteNames);
    List<List<String>> out = new ArrayList<>();
    for (List<String> r : relations) {
      if (!(r.size() == 1 && cteNames.contains(r.get(0).toLowerCase()))) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * Like {@link #of}, empty when Spark's plain parser cannot read {@code sql}: a statement of a
   * format's own grammar ({@code VACUUM}, {@code OPTIMIZE}, Hudi's {@code CALL}), which only a
   * session with the format's extension parses.
   */
  public static Optional<List<List<String>>> ofParsable(String sql) {
    try {
      return Optional.of(of(sql));
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException, thrown undeclared
      return Optional.empty();
    }
  }

  /**
   * A relation's name (one of {@link #of}'s) as a pipeline table's {@code layer.name}, or null: as
   * Spark resolves it, in any case and with the session catalog's name before it
   * ({@code spark_catalog.silver.orders}).
   */
  public static TableName tableName(List<String> parts) {
    int n = parts.size();
    if (n < 2 || n > 3 || (n == 3 && !parts.get(0).equalsIgnoreCase("spark_catalog"))) {
      return null;
    }
    return TableName.parse((parts.get(n - 2) + "." + parts.get(n - 1)).toLowerCase(java.util.Locale.ROOT));
  }

  private static void visit(LogicalPlan plan, Set<List<String>> relations, Set<String> cteNames) {
    if (plan instanceof UnresolvedRelation r) {
      relations.add(List.copyOf(JavaConverters.seqAsJavaList(r.multipartIdentifier())));
    }
    if (plan instanceof UnresolvedWith w) {
      for (Tuple2<String, ?> cte : JavaConverters.seqAsJavaList(w.cteRelations())) {
        cteNames.add(cte._1().toLowerCase());
        visit((LogicalPlan) ((org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias) cte._2()), relations, cteNames);
      }
    }
    for (Expression e : JavaConverters.seqAsJavaList(plan.expressions())) {
      visitExpression(e, relations, cteNames);
    }
    for (LogicalPlan child : JavaConverters.seqAsJavaList(plan.children())) {
      visit(child, relations, cteNames);
    }
  }

  private static void visitExpression(Expression e, Set<List<String>> relations, Set<String> cteNames) {
    if (e instanceof SubqueryExpression s) {
      visit(s.plan(), relations, cteNames);
    }
    for (Expression child : JavaConverters.seqAsJavaList(e.children())) {
      visitExpression(child, relations, cteNames);
    }
  }
}
