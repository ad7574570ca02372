package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.TopN;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.catalyst.analysis.UnresolvedAttribute;
import org.apache.spark.sql.catalyst.analysis.UnresolvedFunction;
import org.apache.spark.sql.catalyst.analysis.UnresolvedHaving;
import org.apache.spark.sql.catalyst.expressions.UnresolvedWindowExpression;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Exists;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.InSubquery;
import org.apache.spark.sql.catalyst.expressions.Not;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.WindowExpression;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.catalyst.plans.LeftAnti$;
import org.apache.spark.sql.catalyst.plans.logical.Except;
import org.apache.spark.sql.catalyst.plans.logical.GlobalLimit;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LocalLimit;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Offset;
import org.apache.spark.sql.catalyst.plans.logical.UnresolvedWith;
import scala.Tuple2;
import scala.collection.JavaConverters;
import org.apache.spark.sql.types.StructType;

/** Parses the SQL fragments of a spec with Spark's own parser, so a typo fails validation, not a run. */
final class SqlChecks {
  private SqlChecks() {}

  /** Why {@code expr} is not a Spark SQL expression, or empty when it parses. */
  static Optional<String> expression(String expr) {
    try {
      CatalystSqlParser$.MODULE$.parseExpression(expr);
      return Optional.empty();
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.of(firstLine(e));
    }
  }

  /** Why {@code type} is not a Spark data type (e.g. {@code decimal(12,2)}), or empty when it is one. */
  static Optional<String> dataType(String type) {
    try {
      org.apache.spark.sql.types.DataType.fromDDL(type);
      return Optional.empty();
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.of(firstLine(e));
    }
  }

  /** Why {@code ddl} is not a Spark DDL schema, or empty when it parses. */
  static Optional<String> schema(String ddl) {
    try {
      StructType.fromDDL(ddl);
      return Optional.empty();
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.of(firstLine(e));
    }
  }

  /**
   * The name of the column {@code expr} makes: its alias, or the column it reads when it is a bare
   * column; empty when it is neither (or does not parse).
   */
  static Optional<String> outputName(String expr) {
    Optional<Expression> e = parsed(expr);
    if (e.isPresent() && e.get() instanceof UnresolvedAttribute u) {
      return Optional.of(u.nameParts().last());
    }
    return aliasName(expr);
  }

  /** The alias of {@code expr AS name}; empty when {@code expr} has none (or does not parse). */
  static Optional<String> aliasName(String expr) {
    return parsed(expr).filter(Alias.class::isInstance).map(a -> ((Alias) a).name());
  }

  private static Optional<Expression> parsed(String expr) {
    try {
      return Optional.of(CatalystSqlParser$.MODULE$.parseExpression(expr));
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.empty();
    }
  }

  /**
   * Why {@code sql} cannot be refreshed incrementally, or empty when it can. Recomputing only the
   * keys that changed rows reach is exact when each output row depends only on the input rows
   * that reach it: no LIMIT/OFFSET (which rows make the cut depends on all others) but a final
   * ORDER BY ... LIMIT (a {@link TopN}: its unranked rows are refreshed by key, then ranked), no HAVING or
   * window (evaluated over a key's full input, which the change alone is not), no anti-join,
   * NOT EXISTS, NOT IN or EXCEPT (a new row can remove output rows it does not itself reach), no
   * clock or random function (its value changes with no change of the rows).
   */
  static Optional<String> incrementalProblem(String sql) {
    LogicalPlan plan;
    try {
      plan = CatalystSqlParser$.MODULE$.parsePlan(sql);
    } catch (Exception e) {
      return Optional.empty(); // reported as a parse problem elsewhere
    }
    return incrementalProblem(TopN.of(plan).map(TopN::unranked).orElse(plan));
  }

  private static Optional<String> incrementalProblem(LogicalPlan plan) {
    String found = null;
    if (plan instanceof GlobalLimit || plan instanceof LocalLimit || plan instanceof Offset) {
      found = "a LIMIT or OFFSET other than a final ORDER BY ... LIMIT";
    } else if (plan instanceof UnresolvedHaving) {
      found = "HAVING";
    } else if (plan instanceof Except) {
      found = "EXCEPT";
    } else if (plan instanceof Join j && j.joinType() == LeftAnti$.MODULE$) {
      found = "an anti join";
    }
    if (found != null) {
      return Optional.of(found);
    }
    if (plan instanceof UnresolvedWith w) {
      for (Tuple2<String, ?> cte : JavaConverters.seqAsJavaList(w.cteRelations())) {
        Optional<String> p = incrementalProblem((LogicalPlan) cte._2());
        if (p.isPresent()) {
          return p;
        }
      }
    }
    for (Expression e : JavaConverters.seqAsJavaList(plan.expressions())) {
      Optional<String> p = incrementalProblem(e);
      if (p.isPresent()) {
        return p;
      }
    }
    for (LogicalPlan child : JavaConverters.seqAsJavaList(plan.children())) {
      Optional<String> p = incrementalProblem(child);
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  private static Optional<String> incrementalProblem(Expression e) {
    Optional<String> clock = clockOrRandom(e);
    if (clock.isPresent()) {
      return clock;
    }
    if (e instanceof UnresolvedWindowExpression || e instanceof WindowExpression) {
      return Optional.of("a window function");
    }
    if (e instanceof Not n && (n.child() instanceof Exists || n.child() instanceof InSubquery)) {
      return Optional.of("NOT EXISTS or NOT IN (subquery)");
    }
    if (e instanceof SubqueryExpression s) {
      Optional<String> p = incrementalProblem(s.plan());
      if (p.isPresent()) {
        return p;
      }
    }
    for (Expression child : JavaConverters.seqAsJavaList(e.children())) {
      Optional<String> p = incrementalProblem(child);
      if (p.isPresent()) {
        return p;
      }
    }
    return Optional.empty();
  }

  /**
   * Functions whose value is not a function of the rows: the clock (Spark takes it once per query
   * and calls it deterministic, yet a row ages out of {@code ts >= current_timestamp() - INTERVAL 1
   * DAY} with no change of its own, so no refresh by its changes removes it) and random values.
   */
  private static final Set<String> NOT_OF_THE_ROWS = Set.of("current_timestamp", "current_date", "curdate", "now",
      "localtimestamp", "current_timezone", "rand", "random", "randn", "uuid", "shuffle", "monotonically_increasing_id");
  /** Of those, the ones SQL also writes without parentheses, which Spark parses as a column first. */
  private static final Set<String> BARE = Set.of("current_timestamp", "current_date", "localtimestamp");

  private static Optional<String> clockOrRandom(Expression e) {
    String name = null;
    if (e instanceof UnresolvedFunction f) {
      String n = f.nameParts().last().toLowerCase(Locale.ROOT);
      // unix_timestamp() with no argument is the clock; of a column it is a function of the row.
      if (NOT_OF_THE_ROWS.contains(n) || n.equals("unix_timestamp") && f.arguments().isEmpty()) {
        name = n + "()";
      }
    } else if (e instanceof UnresolvedAttribute a && a.nameParts().size() == 1
        && BARE.contains(a.nameParts().head().toLowerCase(Locale.ROOT))) {
      name = a.nameParts().head();
    }
    return Optional.ofNullable(name).map(n -> n + ", whose value moves between refreshes with no change"
        + " of the rows (a row ages out of a window over the clock, and no change reaches its key)");
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse(m).trim();
  }
}
