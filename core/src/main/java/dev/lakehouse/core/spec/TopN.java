package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SortOrder;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Limit$;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith;
import scala.collection.JavaConverters;
import scala.collection.Seq;
import scala.runtime.AbstractPartialFunction;

/**
 * A gold query that ends in {@code ORDER BY ... LIMIT n}, a top n, split into the rows it ranks
 * ({@link #unranked}) and the ranking ({@link #rank}). Which rows make the cut depends on all
 * others, so the top n itself cannot be refreshed by key; the rows it ranks can, and ranking them
 * again is cheap. Works on parsed (unresolved) plans, as Spark's parser gives them.
 *
 * @param unranked the query without its final ORDER BY and LIMIT (inside its WITH, if it has one)
 */
public record TopN(LogicalPlan unranked, Seq<SortOrder> order, Expression limit) {

  /** The top n that {@code parsed} ends in; empty for any other query, a LIMIT without ORDER BY included. */
  public static Optional<TopN> of(LogicalPlan parsed) {
    if (parsed instanceof UnresolvedWith w) {
      return of(w.child()).map(t -> new TopN(new UnresolvedWith(t.unranked(), w.cteRelations()), t.order(), t.limit()));
    }
    if (parsed instanceof GlobalLimit g && g.child() instanceof LocalLimit l && l.child() instanceof Sort s && s.global()) {
      return Optional.of(new TopN(s.child(), s.order(), g.limitExpr()));
    }
    return Optional.empty();
  }

  /**
   * {@code rows} (the unranked query's result, or a table of it) sorted by the query's ORDER BY and
   * cut at its LIMIT. The ORDER BY is resolved against {@code rows}' columns: a qualified name
   * ({@code o.o_orderdate}) is taken by its column name alone, which is what the result calls it.
   */
  public LogicalPlan rank(LogicalPlan rows) {
    List<SortOrder> unqualified = JavaConverters.seqAsJavaList(order).stream()
        .map(o -> (SortOrder) o.transformUp(new AbstractPartialFunction<Expression, Expression>() {
          @Override
          public boolean isDefinedAt(Expression e) {
            return e instanceof UnresolvedAttribute a && a.nameParts().size() > 1;
          }

          @Override
          public <A1 extends Expression, B1> B1 applyOrElse(A1 e, scala.Function1<A1, B1> otherwise) {
            if (!isDefinedAt(e)) {
              return otherwise.apply(e);
            }
            @SuppressWarnings("unchecked")
            B1 out = (B1) UnresolvedAttribute.quoted(((UnresolvedAttribute) e).nameParts().last());
            return out;
          }
        }))
        .toList();
    return (LogicalPlan) (Object) Limit$.MODULE$.apply(limit, new Sort(JavaConverters.asScalaBuffer(unqualified).toSeq(), true, rows));
  }
}
