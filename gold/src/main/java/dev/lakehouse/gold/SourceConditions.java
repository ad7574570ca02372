package dev.lakehouse.gold;

import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.catalyst.expressions.And;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.AttributeSet;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.plans.Cross$;
import org.apache.spark.sql.catalyst.plans.ExistenceJoin;
import org.apache.spark.sql.catalyst.plans.Inner$;
import org.apache.spark.sql.catalyst.plans.JoinType;
import org.apache.spark.sql.catalyst.plans.LeftAnti$;
import org.apache.spark.sql.catalyst.plans.LeftOuter$;
import org.apache.spark.sql.catalyst.plans.LeftSemi$;
import org.apache.spark.sql.catalyst.plans.RightOuter$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Distinct;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Offset;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sample;
import org.apache.spark.sql.catalyst.plans.logical.SetOperation;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.catalyst.plans.logical.Tail;
import scala.collection.JavaConverters;

/**
 * The conditions a gold query puts on one source's own rows: the {@code WHERE} and inner join
 * conjuncts, on the path from the result down to the source, that name no column but the source's
 * (TPC-H Q3's {@code o_orderdate < DATE '1995-03-15'} and {@code c_mktsegment = 'BUILDING'}). A row
 * of the source that fails them reaches no row of the result, so a change row whose image fails
 * them (its old image was not in the result, its new one is not) reaches no key: it is left out
 * before its keys are read off ({@link KeyLineage}) or found by a join ({@link AffectedKeys}).
 *
 * <p>A conjunct above another node is carried down when every row that node passes on is built
 * from rows below that meet it: through projections (an alias is replaced by what it computes), a
 * {@code GROUP BY} (a condition on its columns holds for each row of a group; one on an aggregate,
 * a {@code HAVING}, for none, and is dropped), sorts, {@code DISTINCT}, the preserved side of a join
 * (and, through a {@code WHERE} or inner join equality, to the other side's equal column). An outer
 * join's null-supplying side drops what was gathered above it: a row there that fails a condition
 * such as {@code l.price > 5 OR l.price IS NULL} still decides whether the other side's row
 * appears null-extended. So does any other node (a window, a union, a limit, ...); only the
 * conditions below it still hold. A condition with a subquery or a column of another source (either
 * may hold in another version of the other source) is left out, as is a non-deterministic one.
 */
final class SourceConditions {
  private SourceConditions() {}

  /**
   * The conjunction of {@code source}'s own conditions in {@code analysed}, its columns named to be
   * resolved against change rows; {@code true} when there are none, or when the source is read more
   * than once, through a {@code WITH} clause or in a subquery only.
   */
  static Column of(LogicalPlan analysed, TableName source) {
    Column none = new Column(Literal.TrueLiteral());
    if (!KeyLineage.readOnce(analysed, source)) {
      return none;
    }
    List<AttributeReference[]> equal = new ArrayList<>();
    List<Expression> conditions = new ArrayList<>();
    LogicalPlan node = analysed;
    while (!KeyLineage.isSource(node, source)) {
      LogicalPlan next = null;
      if (node instanceof Project p) {
        conditions = KeyLineage.substitute(conditions, p.projectList());
      } else if (node instanceof Aggregate a) {
        conditions = new ArrayList<>(KeyLineage.substitute(conditions, a.aggregateExpressions()).stream()
            .filter(c -> !KeyLineage.aggregates(c)).toList());
        equal.clear(); // a condition above a GROUP BY relates groups, not the rows below
      } else if (node instanceof Filter f) {
        KeyLineage.collectEqualities(f.condition(), equal);
        conditions.addAll(KeyLineage.conjuncts(f.condition()));
      } else if (node instanceof Join j) {
        next = KeyLineage.holds(j.left(), source) ? j.left() : j.right();
        if (!preserved(j, next)) {
          conditions.clear();
          equal.clear();
        } else if (j.joinType() == Inner$.MODULE$ && j.condition().isDefined()) {
          KeyLineage.collectEqualities(j.condition().get(), equal);
          conditions.addAll(KeyLineage.conjuncts(j.condition().get()));
        }
        conditions = KeyLineage.sameValues(conditions, equal, next.outputSet());
      } else if (!(node instanceof Sort || node instanceof SubqueryAlias || node instanceof Distinct)) {
        conditions.clear();
        equal.clear();
      }
      if (next == null) {
        next = JavaConverters.seqAsJavaList(node.children()).stream().filter(c -> KeyLineage.holds(c, source))
            .findFirst().orElse(null);
        if (next == null) {
          return none; // the source is read in a subquery of this node's expressions
        }
      }
      node = next;
    }
    Expression seen = Literal.TrueLiteral();
    for (Expression c : conditions) {
      if (c.deterministic() && !SubqueryExpression.hasSubquery(c) && c.references().subsetOf(node.outputSet())) {
        seen = new And(seen, KeyLineage.byName(c));
      }
    }
    return new Column(seen);
  }

  /**
   * True when the query can leave out a row of {@code sources} for a reason other than a condition
   * on that source's own columns (which {@link #of} cuts its change rows to): a condition on another
   * source, one across sources other than an equality of columns, a {@code HAVING}, a filter on a
   * window's result, a semi or anti join ({@code IN}, {@code EXISTS}), a limit, a set operation, a
   * sample or a subquery. Then the query over their change rows may reach far fewer keys than the
   * rows name (TPC-H Q3's new orders: most are of another segment or shipped earlier). Otherwise it
   * reaches about as many: it loses only the rows a join finds no match for (an order whose line
   * items have not landed yet), and finding them is not worth a join with the other sources. Also
   * true when a source is read more than once.
   */
  static boolean leavesOutMore(LogicalPlan analysed, List<TableName> sources) {
    List<AttributeSet> own = new ArrayList<>();
    for (TableName source : sources) {
      if (!KeyLineage.readOnce(analysed, source)) {
        return true;
      }
      for (LogicalPlan p : JavaConverters.seqAsJavaList(analysed.collect(new KeyLineage.Matching<LogicalPlan>(
          p -> KeyLineage.isSource(p, source))))) {
        own.add(p.outputSet());
      }
    }
    for (LogicalPlan p : JavaConverters.seqAsJavaList(analysed.collectWithSubqueries(new KeyLineage.Matching<LogicalPlan>(p -> true)))) {
      if (p instanceof GlobalLimit || p instanceof LocalLimit || p instanceof Tail || p instanceof Offset
          || p instanceof Sample || p instanceof SetOperation) {
        return true;
      }
      if (p instanceof Join j && (j.joinType() == LeftSemi$.MODULE$ || j.joinType() == LeftAnti$.MODULE$
          || j.joinType() instanceof ExistenceJoin)) {
        return true;
      }
      Expression condition = p instanceof Filter f ? f.condition()
          : p instanceof Join j && j.condition().isDefined() ? j.condition().get() : null;
      for (Expression c : condition == null ? List.<Expression>of() : KeyLineage.conjuncts(condition)) {
        boolean ofOneSource = own.stream().anyMatch(attributes -> c.references().subsetOf(attributes));
        if (SubqueryExpression.hasSubquery(c) || !(KeyLineage.isColumnEquality(c) || ofOneSource)) {
          return true;
        }
      }
    }
    return false;
  }

  /** True when each row {@code side} gives {@code j} appears in its output as it is, or not at all. */
  private static boolean preserved(Join j, LogicalPlan side) {
    JoinType t = j.joinType();
    if (t == Inner$.MODULE$ || t == Cross$.MODULE$) {
      return true;
    }
    return side == j.left() ? t == LeftOuter$.MODULE$ || t == LeftSemi$.MODULE$ || t == LeftAnti$.MODULE$
        : t == RightOuter$.MODULE$;
  }
}
