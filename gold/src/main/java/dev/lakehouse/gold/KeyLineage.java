package dev.lakehouse.gold;

import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute$;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.EqualNullSafe;
import org.apache.spark.sql.catalyst.expressions.EqualTo;
import org.apache.spark.sql.catalyst.expressions.ExprId;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.plans.Cross$;
import org.apache.spark.sql.catalyst.plans.Inner$;
import org.apache.spark.sql.catalyst.plans.JoinType;
import org.apache.spark.sql.catalyst.plans.LeftOuter$;
import org.apache.spark.sql.catalyst.plans.LeftSemi$;
import org.apache.spark.sql.catalyst.plans.RightOuter$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Distinct;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.WithCTE;
import scala.collection.JavaConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * Where a gold table's keys come from in one source's own rows. When each key of the query's result
 * is a deterministic expression of that source's columns, carried up unchanged through filters,
 * projections, GROUP BY columns and the preserved side of joins (a column of another source counts
 * as the source's own when a WHERE or inner join condition makes the two equal, as {@code l_orderkey
 * = o_orderkey} does), every result row that the source's
 * changes can alter has the key that expression gives for the old or the new image of a changed
 * row. So the keys those changes reach (a superset of them, which recomputing leaves exact) are read
 * off the change rows alone, where {@link AffectedKeys} joins the changes with the other sources and
 * so reads those in full.
 *
 * <p>It gives none when the source is read more than once (a self-join: a change on one side moves
 * keys taken from the other), through a common table expression, or when a key comes from another
 * source, from an aggregate, or from the null-supplying side of an outer join (whose key a change of
 * the other side can turn to null).
 */
final class KeyLineage {
  private KeyLineage() {}

  /**
   * The keys' expressions over {@code source}'s columns, in the order of {@code keys}, each named as
   * its key; empty when they are not that.
   *
   * @param analysed the gold query's analysed plan, with its sources bound by {@link GoldQuery}
   */
  static Optional<List<Column>> of(LogicalPlan analysed, TableName source, List<String> keys) {
    if (!readOnce(analysed, source)) {
      return Optional.empty();
    }
    List<Expression> exprs = new ArrayList<>();
    for (String k : keys) {
      Optional<Attribute> out = JavaConverters.seqAsJavaList(analysed.output()).stream()
          .filter(a -> a.name().equals(k)).findFirst();
      if (out.isEmpty()) {
        return Optional.empty();
      }
      exprs.add(out.get());
    }
    // Column pairs equal in every row that reaches the result: from WHERE conditions and inner
    // join conditions (an outer join's ON does not hold in its unmatched rows).
    List<AttributeReference[]> equal = new ArrayList<>();
    LogicalPlan node = analysed;
    while (!isSource(node, source)) {
      if (node instanceof Project p) {
        exprs = substitute(exprs, p.projectList());
      } else if (node instanceof Aggregate a) {
        exprs = substitute(exprs, a.aggregateExpressions());
        if (exprs.stream().anyMatch(KeyLineage::aggregates)) {
          return Optional.empty();
        }
        equal.clear(); // a condition above a GROUP BY relates groups, not the rows below
      } else if (node instanceof Filter f) {
        collectEqualities(f.condition(), equal);
      } else if (node instanceof Join j) {
        LogicalPlan side = holds(j.left(), source) ? j.left() : j.right();
        if (j.joinType() == Inner$.MODULE$ && j.condition().isDefined()) {
          collectEqualities(j.condition().get(), equal);
        }
        exprs = sameValues(exprs, equal, side.outputSet());
        if (!keepsKeys(j, side, exprs)) {
          return Optional.empty();
        }
        node = side;
        continue;
      } else if (!(node instanceof Sort || node instanceof SubqueryAlias || node instanceof Distinct)) {
        return Optional.empty(); // a union, a generator, an expand, ...: not followed
      }
      node = node.children().head();
    }
    List<Column> columns = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      Expression e = exprs.get(i);
      if (!e.deterministic()) {
        return Optional.empty();
      }
      columns.add(new Column(byName(e)).as(keys.get(i)));
    }
    return Optional.of(columns);
  }

  /** True when {@code side} of {@code j} holds every column of {@code exprs} and keeps them in every row it gives. */
  private static boolean keepsKeys(Join j, LogicalPlan side, List<Expression> exprs) {
    if (!references(exprs).subsetOf(side.outputSet())) {
      return false;
    }
    JoinType t = j.joinType();
    boolean inner = t == Inner$.MODULE$ || t == Cross$.MODULE$;
    return side == j.left() ? inner || t == LeftOuter$.MODULE$ || t == LeftSemi$.MODULE$ : inner || t == RightOuter$.MODULE$;
  }

  /**
   * True when the plan reads {@code source} exactly once (a subquery counts) and has no common
   * table expression, whose references this analysis does not follow.
   */
  static boolean readOnce(LogicalPlan analysed, TableName source) {
    return analysed.collectWithSubqueries(new Matching<LogicalPlan>(p -> p instanceof WithCTE)).isEmpty()
        && analysed.collectWithSubqueries(new Matching<LogicalPlan>(p -> isSource(p, source))).size() == 1;
  }

  /**
   * The names of {@code source}'s columns that an equality in a WHERE or join condition pairs with
   * another column: those a filter on the source's rows could reach other sources through.
   */
  static List<String> joinColumns(LogicalPlan analysed, TableName source) {
    List<AttributeReference[]> equal = new ArrayList<>();
    for (LogicalPlan p : JavaConverters.seqAsJavaList(analysed.collect(new Matching<LogicalPlan>(
        p -> p instanceof Filter || p instanceof Join j && j.condition().isDefined())))) {
      collectEqualities(p instanceof Filter f ? f.condition() : ((Join) p).condition().get(), equal);
    }
    List<String> names = new ArrayList<>();
    for (LogicalPlan s : JavaConverters.seqAsJavaList(analysed.collect(new Matching<LogicalPlan>(p -> isSource(p, source))))) {
      AttributeSet own = s.outputSet();
      for (AttributeReference[] pair : equal) {
        for (int i = 0; i < 2; i++) {
          if (own.contains(pair[i]) && !own.contains(pair[1 - i]) && !names.contains(pair[i].name())) {
            names.add(pair[i].name());
          }
        }
      }
    }
    return names;
  }

  /** True when {@code e} holds an aggregate function. */
  static boolean aggregates(Expression e) {
    return !e.collect(new Matching<Expression>(x -> x instanceof AggregateExpression)).isEmpty();
  }

  /** The conjuncts of {@code condition}: {@code a AND (b AND c)} gives a, b, c. */
  static List<Expression> conjuncts(Expression condition) {
    if (condition instanceof And and) {
      List<Expression> both = new ArrayList<>(conjuncts(and.left()));
      both.addAll(conjuncts(and.right()));
      return both;
    }
    return List.of(condition);
  }

  /** The pairs of columns that {@code condition}'s conjuncts {@code a = b} (or {@code <=>}) make equal. */
  static void collectEqualities(Expression condition, List<AttributeReference[]> equal) {
    for (Expression c : conjuncts(condition)) {
      if (isColumnEquality(c)) {
        equal.add(new AttributeReference[] {(AttributeReference) c.children().apply(0), (AttributeReference) c.children().apply(1)});
      }
    }
  }

  /** True for a conjunct {@code a = b} (or {@code <=>}) of two columns. */
  static boolean isColumnEquality(Expression c) {
    return (c instanceof EqualTo || c instanceof EqualNullSafe) && c.children().apply(0) instanceof AttributeReference
        && c.children().apply(1) instanceof AttributeReference;
  }

  /** {@code exprs} with each column outside {@code side} replaced by a column of {@code side} equal to it, if any. */
  static List<Expression> sameValues(List<Expression> exprs, List<AttributeReference[]> equal, AttributeSet side) {
    Map<ExprId, Expression> toSide = new HashMap<>();
    for (Expression e : exprs) {
      for (Attribute a : JavaConverters.seqAsJavaList(e.references().toSeq())) {
        if (!side.contains(a)) {
          equalIn(a, equal, side).ifPresent(found -> toSide.put(a.exprId(), found));
        }
      }
    }
    return replaceColumns(exprs, toSide);
  }

  /** A column of {@code side} that the pairs make equal to {@code a}, through any chain of them. */
  private static Optional<Attribute> equalIn(Attribute a, List<AttributeReference[]> equal, AttributeSet side) {
    List<Attribute> reached = new ArrayList<>(List.of(a));
    for (int i = 0; i < reached.size(); i++) {
      Attribute at = reached.get(i);
      for (AttributeReference[] pair : equal) {
        for (int j = 0; j < 2; j++) {
          AttributeReference other = pair[1 - j];
          if (pair[j].exprId().equals(at.exprId()) && reached.stream().noneMatch(r -> r.exprId().equals(other.exprId()))) {
            if (side.contains(other)) {
              return Optional.of(other);
            }
            reached.add(other);
          }
        }
      }
    }
    return Optional.empty();
  }

  private static AttributeSet references(List<Expression> exprs) {
    List<Expression> all = new ArrayList<>();
    for (Expression e : exprs) {
      all.addAll(JavaConverters.seqAsJavaList(e.references().toSeq()));
    }
    return AttributeSet.apply(JavaConverters.asScalaBuffer(all).toSeq());
  }

  static boolean holds(LogicalPlan plan, TableName source) {
    return !plan.collect(new Matching<LogicalPlan>(p -> isSource(p, source))).isEmpty();
  }

  /** The alias {@link GoldQuery} gives a bound source: its name, qualified by its layer. */
  static boolean isSource(LogicalPlan p, TableName source) {
    return p instanceof SubqueryAlias a && a.identifier().name().equals(source.name())
        && JavaConverters.seqAsJavaList(a.identifier().qualifier()).equals(List.of(source.layer().id()));
  }

  /** {@code exprs} with each column that {@code named} computes replaced by its computation. */
  static List<Expression> substitute(List<Expression> exprs, scala.collection.Seq<NamedExpression> named) {
    Map<ExprId, Expression> computed = new HashMap<>();
    for (NamedExpression n : JavaConverters.seqAsJavaList(named)) {
      if (n instanceof Alias a) {
        computed.put(a.exprId(), a.child());
      }
    }
    return replaceColumns(exprs, computed);
  }

  /** {@code exprs} with each column whose id {@code by} holds replaced by what it maps to. */
  private static List<Expression> replaceColumns(List<Expression> exprs, Map<ExprId, Expression> by) {
    List<Expression> out = new ArrayList<>();
    for (Expression e : exprs) {
      out.add(e.transformUp(new AbstractPartialFunction<Expression, Expression>() {
        @Override
        public boolean isDefinedAt(Expression x) {
          return x instanceof AttributeReference r && by.containsKey(r.exprId());
        }

        @Override
        public <A1 extends Expression, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
          if (!isDefinedAt(x)) {
            return otherwise.apply(x);
          }
          @SuppressWarnings("unchecked")
          B1 c = (B1) by.get(((AttributeReference) x).exprId());
          return c;
        }
      }));
    }
    return out;
  }

  /** {@code e} with its columns referred to by name, to be resolved against the change rows. */
  static Expression byName(Expression e) {
    return e.transformUp(new AbstractPartialFunction<Expression, Expression>() {
      @Override
      public boolean isDefinedAt(Expression x) {
        return x instanceof AttributeReference;
      }

      @Override
      public <A1 extends Expression, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
        if (!isDefinedAt(x)) {
          return otherwise.apply(x);
        }
        @SuppressWarnings("unchecked")
        B1 c = (B1) UnresolvedAttribute$.MODULE$.quoted(((AttributeReference) x).name());
        return c;
      }
    });
  }

  /** A partial function that matches what {@code test} accepts and returns it. */
  static final class Matching<T> extends AbstractPartialFunction<T, T> {
    private final java.util.function.Predicate<T> test;

    Matching(java.util.function.Predicate<T> test) {
      this.test = test;
    }

    @Override
    public boolean isDefinedAt(T x) {
      return test.test(x);
    }

    @Override
    public <A1 extends T, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
      if (!test.test(x)) {
        return otherwise.apply(x);
      }
      @SuppressWarnings("unchecked")
      B1 out = (B1) x;
      return out;
    }
  }
}
