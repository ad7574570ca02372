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
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
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
 * projections, GROUP BY columns and the preserved side of joins, every result row that the source's
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
    if (!analysed.collectWithSubqueries(new Matching<LogicalPlan>(p -> p instanceof WithCTE)).isEmpty()
        || analysed.collectWithSubqueries(new Matching<LogicalPlan>(p -> isSource(p, source))).size() != 1) {
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
    LogicalPlan node = analysed;
    while (!isSource(node, source)) {
      if (node instanceof Project p) {
        exprs = substitute(exprs, p.projectList());
      } else if (node instanceof Aggregate a) {
        exprs = substitute(exprs, a.aggregateExpressions());
        if (exprs.stream().anyMatch(e -> !e.collect(new Matching<Expression>(x -> x instanceof AggregateExpression)).isEmpty())) {
          return Optional.empty();
        }
      } else if (node instanceof Join j) {
        node = preservedSide(j, exprs, source);
        if (node == null) {
          return Optional.empty();
        }
        continue;
      } else if (!(node instanceof Filter || node instanceof Sort || node instanceof SubqueryAlias
          || node instanceof Distinct)) {
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

  /** The side of {@code j} that holds the source and every column of {@code exprs}, if it keeps all its rows' keys. */
  private static LogicalPlan preservedSide(Join j, List<Expression> exprs, TableName source) {
    AttributeSet refs = references(exprs);
    JoinType t = j.joinType();
    boolean inner = t == Inner$.MODULE$ || t == Cross$.MODULE$;
    if (holds(j.left(), source) && refs.subsetOf(j.left().outputSet())
        && (inner || t == LeftOuter$.MODULE$ || t == LeftSemi$.MODULE$)) {
      return j.left();
    }
    if (holds(j.right(), source) && refs.subsetOf(j.right().outputSet()) && (inner || t == RightOuter$.MODULE$)) {
      return j.right();
    }
    return null;
  }

  private static AttributeSet references(List<Expression> exprs) {
    List<Expression> all = new ArrayList<>();
    for (Expression e : exprs) {
      all.addAll(JavaConverters.seqAsJavaList(e.references().toSeq()));
    }
    return AttributeSet.apply(JavaConverters.asScalaBuffer(all).toSeq());
  }

  private static boolean holds(LogicalPlan plan, TableName source) {
    return !plan.collect(new Matching<LogicalPlan>(p -> isSource(p, source))).isEmpty();
  }

  /** The alias {@link GoldQuery} gives a bound source: its name, qualified by its layer. */
  private static boolean isSource(LogicalPlan p, TableName source) {
    return p instanceof SubqueryAlias a && a.identifier().name().equals(source.name())
        && JavaConverters.seqAsJavaList(a.identifier().qualifier()).equals(List.of(source.layer().id()));
  }

  /** {@code exprs} with each column that {@code named} computes replaced by its computation. */
  private static List<Expression> substitute(List<Expression> exprs, scala.collection.Seq<NamedExpression> named) {
    Map<ExprId, Expression> computed = new HashMap<>();
    for (NamedExpression n : JavaConverters.seqAsJavaList(named)) {
      if (n instanceof Alias a) {
        computed.put(a.exprId(), a.child());
      }
    }
    List<Expression> out = new ArrayList<>();
    for (Expression e : exprs) {
      out.add(e.transformUp(new AbstractPartialFunction<Expression, Expression>() {
        @Override
        public boolean isDefinedAt(Expression x) {
          return x instanceof AttributeReference r && computed.containsKey(r.exprId());
        }

        @Override
        public <A1 extends Expression, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
          if (!isDefinedAt(x)) {
            return otherwise.apply(x);
          }
          @SuppressWarnings("unchecked")
          B1 c = (B1) computed.get(((AttributeReference) x).exprId());
          return c;
        }
      }));
    }
    return out;
  }

  /** {@code e} with its columns referred to by name, to be resolved against the change rows. */
  private static Expression byName(Expression e) {
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
  private static final class Matching<T> extends AbstractPartialFunction<T, T> {
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
