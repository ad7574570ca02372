package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Dataset$;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.AttributeReference;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateExpression;
import org.apache.spark.sql.catalyst.expressions.aggregate.AggregateFunction;
import org.apache.spark.sql.catalyst.expressions.aggregate.Average;
import org.apache.spark.sql.catalyst.expressions.aggregate.Complete$;
import org.apache.spark.sql.catalyst.expressions.aggregate.Count;
import org.apache.spark.sql.catalyst.expressions.aggregate.DeclarativeAggregate;
import org.apache.spark.sql.catalyst.expressions.aggregate.Sum;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LeafNode;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.IntegralType;
import scala.collection.JavaConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * A gold query whose result can be brought up to date from its source's changes alone: {@code
 * SELECT <group-by columns>, <expressions of sum, count, avg> FROM <one table> [WHERE ...] GROUP BY
 * ... [ORDER BY ...]}. Each group keeps a partial state in a state table: per aggregate, the sum
 * and the count of its non-null inputs, and the group's row count. These states add up: a refresh
 * aggregates the new images of the changed rows, subtracts the aggregate of their old images, adds
 * the difference to the stored states of the groups it touches, and derives those groups' rows from
 * their states with Spark's own final expression of each aggregate (so {@code avg} of a decimal
 * rounds as Spark rounds it). Its cost follows the number of changed rows, not the table's size.
 *
 * <p>Only exact arithmetic merges: sums and averages of decimals and integers. A floating-point sum
 * depends on the order of its additions, so it would drift from a full refresh; {@code min},
 * {@code max} and {@code count(DISTINCT)} cannot subtract. Those queries refresh by key instead
 * ({@link AffectedKeys}).
 */
final class MergeableAggregate {
  /** The state column of a group's row count; a group with none left has no result row. */
  static final String ROWS = "_lh_rows";
  static final String COUNT_PREFIX = "_lh_count_";
  private static final Set<String> BUFFERS = Set.of("sum", "count", "isEmpty");

  private final GoldQuery query;
  private final TableName source;
  private final List<String> keys;

  private MergeableAggregate(GoldQuery query, TableName source, List<String> keys) {
    this.query = query;
    this.source = source;
    this.keys = keys;
  }

  /**
   * The mergeable form of {@code query} over {@code source}, or why it has none.
   *
   * @param rows the source's rows (any version), to analyse the query against
   * @param keys the gold table's keys: they must be exactly its GROUP BY columns
   */
  static Analysis of(SparkSession spark, GoldQuery query, TableName source, Dataset<Row> rows, List<String> keys) {
    MergeableAggregate m = new MergeableAggregate(query, source, keys);
    String why = m.shape(spark, rows).why();
    return why == null ? new Analysis(m, null) : new Analysis(null, why);
  }

  /** The mergeable form of a query, or the reason it has none. */
  record Analysis(MergeableAggregate aggregate, String whyNot) {}

  /** The state columns of aggregate {@code i}: the sum of its inputs (not for count) and their count. */
  static String sumColumn(int i) {
    return "_lh_sum_" + i;
  }

  static String countColumn(int i) {
    return COUNT_PREFIX + i;
  }

  /**
   * The partial state of every group of the query over {@code rows} (the source's rows, or only
   * changed ones): the key columns, then per aggregate its sum and count, then the row count.
   */
  Dataset<Row> partial(SparkSession spark, Dataset<Row> rows) {
    Shape s = shape(spark, rows).require();
    Dataset<Row> input = Dataset$.MODULE$.ofRows(spark, s.aggregate.child());
    List<Column> groups = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      groups.add(new Column(s.groupings.get(k)).as(keys.get(k)));
    }
    List<Column> aggs = new ArrayList<>();
    for (int i = 0; i < s.functions.size(); i++) {
      DeclarativeAggregate f = s.functions.get(i);
      Column allPresent = lit(true);
      for (Expression c : JavaConverters.seqAsJavaList(f.children())) {
        allPresent = allPresent.and(new Column(c).isNotNull());
      }
      if (!(f instanceof Count)) {
        DataType t = sumType(f);
        aggs.add(coalesce(sum(new Column(f.children().head()).cast(t)), lit(0).cast(t)).cast(t).as(sumColumn(i)));
      }
      aggs.add(count(when(allPresent, lit(1))).as(countColumn(i)));
    }
    aggs.add(count(lit(1)).as(ROWS));
    return input.groupBy(groups.toArray(Column[]::new)).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
  }

  /**
   * The states of the groups {@code after} and {@code before} reach, once the rows of {@code before}
   * are taken out of {@code stored} and those of {@code after} put in; a group whose row count falls
   * to 0 keeps a row with count 0 (its result row is to be deleted).
   *
   * @param after the partial states of the changed rows' new images
   * @param before the partial states of their old images
   * @param stored the stored states (only the touched groups need be there)
   */
  Dataset<Row> merge(Dataset<Row> after, Dataset<Row> before, Dataset<Row> stored) {
    List<String> measures = new ArrayList<>(List.of(after.columns()));
    measures.removeAll(keys);
    List<Column> negated = new ArrayList<>();
    for (String k : keys) {
      negated.add(col(quote(k)));
    }
    for (String m : measures) {
      negated.add(col(m).unary_$minus().cast(after.schema().apply(m).dataType()).as(m));
    }
    List<Column> sums = new ArrayList<>();
    for (String m : measures) {
      sums.add(sum(col(m)).cast(after.schema().apply(m).dataType()).as(m));
    }
    Column[] groupCols = keys.stream().map(k -> col(quote(k))).toArray(Column[]::new);
    Dataset<Row> delta = after.unionByName(before.select(negated.toArray(Column[]::new)))
        .groupBy(groupCols).agg(sums.get(0), sums.subList(1, sums.size()).toArray(Column[]::new));
    List<Column> out = new ArrayList<>();
    for (String k : keys) {
      out.add(col("d." + quote(k)).as(k));
    }
    for (String m : measures) {
      DataType t = after.schema().apply(m).dataType();
      out.add(col("d." + m).plus(coalesce(col("s." + m), lit(0))).cast(t).as(m));
    }
    return delta.as("d").join(stored.as("s"), LakehouseTable.keysMatch(keys, "d", "s"), "left")
        .select(out.toArray(Column[]::new));
  }

  /** The query's result rows of the groups in {@code states} (those with rows), from their states alone. */
  Dataset<Row> result(SparkSession spark, Dataset<Row> states, Dataset<Row> anySourceRows) {
    Shape s = shape(spark, anySourceRows).require();
    Dataset<Row> live = states.where(col(ROWS).gt(0));
    List<Column> out = new ArrayList<>();
    for (Attribute a : JavaConverters.seqAsJavaList(s.output)) {
      NamedExpression e = s.byId(a);
      Expression body = e instanceof Alias alias ? alias.child() : (Expression) e;
      Expression replaced = body.transformDown(new AbstractPartialFunction<Expression, Expression>() {
        @Override
        public boolean isDefinedAt(Expression x) {
          return x instanceof AggregateExpression || s.grouping(x) >= 0;
        }

        @Override
        public <A1 extends Expression, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
          if (x instanceof AggregateExpression ae) {
            @SuppressWarnings("unchecked")
            B1 done = (B1) finalValue(live, (DeclarativeAggregate) ae.aggregateFunction(), s.functions.indexOf(ae.aggregateFunction()));
            return done;
          }
          int g = s.grouping(x);
          if (g >= 0) {
            @SuppressWarnings("unchecked")
            B1 done = (B1) live.col(quote(keys.get(g))).expr();
            return done;
          }
          return otherwise.apply(x);
        }
      });
      out.add(new Column(replaced).as(a.name()));
    }
    return live.select(out.toArray(Column[]::new));
  }

  /** Spark's own final expression of {@code f}, its buffer read from the state columns of aggregate {@code i}. */
  private static Expression finalValue(Dataset<Row> states, DeclarativeAggregate f, int i) {
    Column n = states.col(countColumn(i));
    return f.evaluateExpression().transformUp(new AbstractPartialFunction<Expression, Expression>() {
      @Override
      public boolean isDefinedAt(Expression x) {
        return x instanceof AttributeReference r && f.aggBufferAttributes().contains(r);
      }

      @Override
      public <A1 extends Expression, B1> B1 applyOrElse(A1 x, scala.Function1<A1, B1> otherwise) {
        if (!isDefinedAt(x)) {
          return otherwise.apply(x);
        }
        AttributeReference r = (AttributeReference) x;
        Column value = switch (r.name()) {
          case "sum" -> when(n.equalTo(0), lit(null)).otherwise(states.col(sumColumn(i))).cast(r.dataType());
          case "count" -> n.cast(r.dataType());
          case "isEmpty" -> n.equalTo(0);
          default -> throw new IllegalStateException("unexpected aggregation buffer " + r);
        };
        @SuppressWarnings("unchecked")
        B1 out = (B1) value.expr();
        return out;
      }
    });
  }

  /** The type the sum of aggregate {@code f}'s input is kept in: its aggregation buffer's. */
  private static DataType sumType(DeclarativeAggregate f) {
    for (AttributeReference r : JavaConverters.seqAsJavaList(f.aggBufferAttributes())) {
      if (r.name().equals("sum")) {
        return r.dataType();
      }
    }
    throw new IllegalStateException("no sum buffer in " + f);
  }

  private static String quote(String column) {
    return "`" + column.replace("`", "``") + "`";
  }

  /** The analysed query's parts, or why it is not mergeable. */
  private Shape shape(SparkSession spark, Dataset<Row> rows) {
    LogicalPlan plan = query.evaluate(spark, Map.of(source, rows)).queryExecution().analyzed();
    scala.collection.Seq<Attribute> output = plan.output();
    while (plan instanceof Sort || plan instanceof Project p && onlyColumns(p)) {
      plan = plan.children().head(); // ORDER BY, and the projection that drops what only ORDER BY needed
    }
    if (!(plan instanceof Aggregate aggregate)) {
      return Shape.not("it is not one GROUP BY over one table");
    }
    String why = plainRows(aggregate.child());
    if (why != null) {
      return Shape.not(why);
    }
    List<Expression> groupings = JavaConverters.seqAsJavaList(aggregate.groupingExpressions());
    if (groupings.isEmpty()) {
      return Shape.not("it has no GROUP BY");
    }
    List<DeclarativeAggregate> functions = new ArrayList<>();
    for (NamedExpression e : JavaConverters.seqAsJavaList(aggregate.aggregateExpressions())) {
      List<AggregateExpression> found = new ArrayList<>();
      collectAggregates((Expression) e, found);
      for (AggregateExpression ae : found) {
        AggregateFunction f = ae.aggregateFunction();
        if (ae.isDistinct() || ae.filter().isDefined() || ae.mode() != Complete$.MODULE$) {
          return Shape.not("it aggregates DISTINCT or with FILTER (" + ae.sql() + ")");
        }
        if (!(f instanceof Sum || f instanceof Average || f instanceof Count)) {
          return Shape.not(f.prettyName() + " cannot take rows out again; only sum, count and avg can");
        }
        if (!(f instanceof Count) && !exact(f.children().head().dataType())) {
          return Shape.not(ae.sql() + " adds " + f.children().head().dataType().simpleString()
              + " values, whose sum depends on the order of its additions; only decimal and integer sums merge");
        }
        DeclarativeAggregate d = (DeclarativeAggregate) f;
        for (AttributeReference b : JavaConverters.seqAsJavaList(d.aggBufferAttributes())) {
          if (!BUFFERS.contains(b.name())) {
            return Shape.not("Spark keeps " + f.prettyName() + " in an unknown state " + b.name());
          }
        }
        if (!functions.contains(d)) {
          functions.add(d);
        }
      }
    }
    Shape s = new Shape(aggregate, groupings, functions, output, null);
    // The keys must be the GROUP BY columns, in any order: the state is kept by them.
    List<Expression> byKey = new ArrayList<>();
    for (String k : keys) {
      Attribute out = JavaConverters.seqAsJavaList(output).stream().filter(a -> a.name().equals(k)).findFirst().orElse(null);
      NamedExpression e = out == null ? null : s.byId(out);
      Expression body = e instanceof Alias alias ? alias.child() : (Expression) e;
      int g = body == null ? -1 : s.grouping(body);
      if (g < 0 || byKey.contains(groupings.get(g))) {
        return Shape.not("its keys " + keys + " are not its GROUP BY columns");
      }
      byKey.add(groupings.get(g));
    }
    if (byKey.size() != groupings.size()) {
      return Shape.not("its keys " + keys + " are not its GROUP BY columns");
    }
    return new Shape(aggregate, byKey, functions, output, null);
  }

  private static boolean onlyColumns(Project p) {
    return JavaConverters.seqAsJavaList(p.projectList()).stream().allMatch(e -> e instanceof Attribute);
  }

  private static void collectAggregates(Expression e, List<AggregateExpression> found) {
    if (e instanceof AggregateExpression ae) {
      found.add(ae);
      return;
    }
    for (Expression c : JavaConverters.seqAsJavaList(e.children())) {
      collectAggregates(c, found);
    }
  }

  private static boolean exact(DataType t) {
    return t instanceof DecimalType || t instanceof IntegralType;
  }

  /** Null when {@code plan} only selects and filters one table's rows, deterministically; else what it does. */
  private static String plainRows(LogicalPlan plan) {
    if (plan instanceof LeafNode) {
      return null;
    }
    if (!(plan instanceof Project || plan instanceof Filter || plan instanceof SubqueryAlias)) {
      return "it reads its table through " + plan.nodeName() + ", not only WHERE and SELECT";
    }
    for (Expression e : JavaConverters.seqAsJavaList(plan.expressions())) {
      if (!e.deterministic() || SubqueryExpression.hasSubquery(e)) {
        return "it filters or selects with a subquery or a non-deterministic expression";
      }
    }
    return plainRows(plan.children().head());
  }

  /**
   * @param groupings the GROUP BY expressions, in the order of the keys
   * @param functions the distinct aggregate functions, in the order of their state columns
   * @param output the query's result columns
   */
  private record Shape(Aggregate aggregate, List<Expression> groupings, List<DeclarativeAggregate> functions,
      scala.collection.Seq<Attribute> output, String why) {
    static Shape not(String why) {
      return new Shape(null, null, null, null, why);
    }

    Shape require() {
      if (why != null) {
        throw new IllegalStateException("not mergeable: " + why);
      }
      return this;
    }

    NamedExpression byId(Attribute a) {
      for (NamedExpression e : JavaConverters.seqAsJavaList(aggregate.aggregateExpressions())) {
        if (e.exprId().equals(a.exprId())) {
          return e;
        }
      }
      return null;
    }

    int grouping(Expression x) {
      for (int g = 0; g < groupings.size(); g++) {
        if (groupings.get(g).semanticEquals(x)) {
          return g;
        }
      }
      return -1;
    }
  }
}
