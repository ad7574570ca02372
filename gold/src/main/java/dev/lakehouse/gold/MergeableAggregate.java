package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
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
import org.apache.spark.sql.catalyst.plans.Cross$;
import org.apache.spark.sql.catalyst.plans.Inner$;
import org.apache.spark.sql.catalyst.plans.logical.Aggregate;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.Join;
import org.apache.spark.sql.catalyst.plans.logical.LeafNode;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Sort;
import org.apache.spark.sql.catalyst.plans.logical.SubqueryAlias;
import org.apache.spark.sql.types.AtomicType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.IntegralType;
import org.apache.spark.sql.types.StructField;
import scala.collection.JavaConverters;
import scala.runtime.AbstractPartialFunction;

/**
 * A gold query whose result can be brought up to date from its sources' changes: {@code SELECT
 * <group-by columns>, <expressions of sum, count, avg> FROM <tables joined by inner joins> [WHERE
 * ...] GROUP BY ... [ORDER BY ...]}. Each group keeps a partial state in a state table: per
 * aggregate, the sum and the count of its non-null inputs, and the group's row count. These states
 * add up: a refresh aggregates the rows the query's joined input gains, subtracts the aggregate of
 * those it loses, adds the difference to the stored states of the groups it touches, and derives
 * those groups' rows from their states with Spark's own final expression of each aggregate (so
 * {@code avg} of a decimal rounds as Spark rounds it).
 *
 * <p>Over one table, the rows gained and lost are the new and old images of its changed rows: the
 * cost follows the number of changed rows. Over a join, an inner join distributes over the change
 * of each side, so with sources S1 … Sn (in the order of {@link #delta}) and ΔSi the change of Si,
 * <pre>  Δ(S1 ⋈ … ⋈ Sn) = Σi  S1_old ⋈ … ⋈ S(i-1)_old ⋈ ΔSi ⋈ S(i+1)_now ⋈ … ⋈ Sn_now</pre>
 * (the view-maintenance rule; a term whose source did not change is empty). Each term joins one
 * source's change rows with the other sources' whole rows, which Spark does by broadcasting the
 * change: one scan of the other sources, no shuffle of them, no aggregate of the whole join. The
 * change rows carry filters of their own values into those scans ({@link KeyRestriction}).
 *
 * <p>Only exact arithmetic merges: sums of decimals and integers, averages of decimals (Spark
 * averages integers through a double sum). A floating-point sum
 * depends on the order of its additions, so it would drift from a full refresh; {@code min},
 * {@code max} and {@code count(DISTINCT)} cannot subtract. Those queries refresh by key instead
 * ({@link AffectedKeys}).
 */
final class MergeableAggregate {
  /** The state column of a group's row count; a group with none left has no result row. */
  static final String ROWS = "_lh_rows";
  static final String COUNT_PREFIX = "_lh_count_";
  private static final String SUM_PREFIX = "_lh_sum_";
  private static final Set<String> BUFFERS = Set.of("sum", "count", "isEmpty");

  private final GoldQuery query;
  private final List<String> keys;

  private MergeableAggregate(GoldQuery query, List<String> keys) {
    this.query = query;
    this.keys = keys;
  }

  /**
   * The mergeable form of {@code query} over its sources, or why it has none.
   *
   * @param sources each source the query reads, bound to its rows (any version), to analyse the query against
   * @param keys the gold table's keys: they must be exactly its GROUP BY columns
   */
  static Analysis of(SparkSession spark, GoldQuery query, Map<TableName, Dataset<Row>> sources, List<String> keys) {
    MergeableAggregate m = new MergeableAggregate(query, keys);
    String why = m.shape(spark, sources).why();
    return why == null ? new Analysis(m, null) : new Analysis(null, why);
  }

  /** The mergeable form of a query, or the reason it has none. */
  record Analysis(MergeableAggregate aggregate, String whyNot) {}

  /** The state columns of aggregate {@code i}: the sum of its inputs (not for count) and their count. */
  static String sumColumn(int i) {
    return SUM_PREFIX + i;
  }

  static String countColumn(int i) {
    return COUNT_PREFIX + i;
  }

  /** The query's analysed plan over {@code sources}: what it reads of each ({@link NetChanges}). */
  LogicalPlan analysed(SparkSession spark, Map<TableName, Dataset<Row>> sources) {
    return query.evaluate(spark, sources).queryExecution().analyzed();
  }

  /**
   * The partial state of every group of the query over {@code sources} (each source's rows, or
   * only changed ones): the key columns, then per aggregate its sum and count, then the row count.
   */
  Dataset<Row> partial(SparkSession spark, Map<TableName, Dataset<Row>> sources) {
    return states(spark, signed(spark, sources, 1));
  }

  /** A source's change rows: the new images (inserts, updates' new rows) and the old ones (deletes, updates' old rows), null when none. */
  record Images(Dataset<Row> after, Dataset<Row> before) {}

  /**
   * The change of the partial states when each source in {@code changes} goes from its old rows to
   * its rows {@code now}, per group the rows the joined input gains minus those it loses: the sum
   * over the changed sources, in the order of {@code now}, of the source's images joined with the
   * sources before it as they were and those after it as they are (the rule in the class comment).
   * All terms are one query with one aggregate: each term's rows carry their sign.
   *
   * @param now every source at its new version
   * @param old a source's rows at its old version, asked only for a changed source that another changed source follows
   */
  Dataset<Row> delta(SparkSession spark, Map<TableName, Dataset<Row>> now, Map<TableName, Images> changes,
      Function<TableName, Dataset<Row>> old) {
    Map<TableName, Dataset<Row>> bound = new LinkedHashMap<>(now);
    Dataset<Row> terms = null;
    int left = changes.size();
    for (TableName source : now.keySet()) {
      Images images = changes.get(source);
      if (images == null) {
        continue; // old and new rows are the same: no term, and no old version to read
      }
      for (int sign : new int[] {1, -1}) {
        Dataset<Row> rows = sign > 0 ? images.after() : images.before();
        if (rows != null) {
          bound.put(source, now.size() > 1 ? withOwnValues(rows) : rows);
          Dataset<Row> term = signed(spark, bound, sign);
          terms = terms == null ? term : terms.unionByName(term);
        }
      }
      if (--left > 0) {
        bound.put(source, old.apply(source));
      }
    }
    // No term: the query's input with none of its rows, which Spark plans as empty.
    return states(spark, terms == null ? signed(spark, now, 1).limit(0) : terms);
  }

  /**
   * Change rows with filters of their own values (they remove none): Spark carries them through
   * the query's join equalities into the other sources' scans, where file statistics skip the
   * files no change can join (appended facts with growing keys leave the old files out).
   */
  private static Dataset<Row> withOwnValues(Dataset<Row> rows) {
    List<String> columns = new ArrayList<>();
    for (StructField f : rows.schema().fields()) {
      if (f.dataType() instanceof AtomicType && !(f.dataType() instanceof BinaryType)) {
        columns.add(f.name());
      }
    }
    return KeyRestriction.withOwnValues(rows, columns).orElse(rows);
  }

  /**
   * The rows under the query's GROUP BY over {@code sources}, each cut to what a state adds up:
   * its keys, per aggregate its input (in the type of its sum, negated for a sign of -1) and the
   * sign when all its inputs are present (0 otherwise), and the sign itself.
   */
  private Dataset<Row> signed(SparkSession spark, Map<TableName, Dataset<Row>> sources, int sign) {
    Shape s = shape(spark, sources).require();
    Dataset<Row> input = Dataset$.MODULE$.ofRows(spark, s.aggregate.child());
    List<Column> columns = new ArrayList<>();
    for (int k = 0; k < keys.size(); k++) {
      columns.add(new Column(s.groupings.get(k)).as(keys.get(k)));
    }
    for (int i = 0; i < s.functions.size(); i++) {
      DeclarativeAggregate f = s.functions.get(i);
      Column allPresent = lit(true);
      for (Expression c : JavaConverters.seqAsJavaList(f.children())) {
        allPresent = allPresent.and(new Column(c).isNotNull());
      }
      if (!(f instanceof Count)) {
        DataType t = sumType(f);
        Column value = new Column(f.children().head()).cast(t);
        columns.add((sign > 0 ? value : value.unary_$minus().cast(t)).as(sumColumn(i)));
      }
      columns.add(when(allPresent, lit(sign)).otherwise(lit(0)).as(countColumn(i)));
    }
    columns.add(lit(sign).as(ROWS));
    return input.select(columns.toArray(Column[]::new));
  }

  /** Per group of {@link #signed} rows, the sum of each column: the sums in their buffer's type, the counts as longs. */
  private Dataset<Row> states(SparkSession spark, Dataset<Row> signed) {
    List<Column> sums = new ArrayList<>();
    for (StructField f : signed.schema().fields()) {
      if (!keys.contains(f.name())) {
        DataType t = f.name().startsWith(SUM_PREFIX) ? f.dataType() : DataTypes.LongType;
        sums.add(coalesce(sum(col(f.name())).cast(t), lit(0).cast(t)).as(f.name()));
      }
    }
    Column[] groups = keys.stream().map(k -> col(quote(k))).toArray(Column[]::new);
    return signed.groupBy(groups).agg(sums.get(0), sums.subList(1, sums.size()).toArray(Column[]::new));
  }

  /**
   * The states of the groups {@code delta} reaches, once it is added to {@code stored}; a group
   * whose row count falls to 0 keeps a row with count 0 (its result row is to be deleted).
   *
   * @param delta the change of the states ({@link #delta})
   * @param stored the stored states (only the touched groups need be there)
   */
  Dataset<Row> merge(Dataset<Row> delta, Dataset<Row> stored) {
    List<Column> out = new ArrayList<>();
    for (StructField f : delta.schema().fields()) {
      Column d = col("d." + quote(f.name()));
      out.add((keys.contains(f.name()) ? d : d.plus(coalesce(col("s." + quote(f.name())), lit(0))).cast(f.dataType())).as(f.name()));
    }
    return delta.as("d").join(stored.as("s"), LakehouseTable.keysMatch(keys, "d", "s"), "left")
        .select(out.toArray(Column[]::new));
  }

  /** The query's result rows of the groups in {@code states} (those with rows), from their states alone. */
  Dataset<Row> result(SparkSession spark, Dataset<Row> states, Map<TableName, Dataset<Row>> sources) {
    Shape s = shape(spark, sources).require();
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
  private Shape shape(SparkSession spark, Map<TableName, Dataset<Row>> sources) {
    LogicalPlan plan = analysed(spark, sources);
    scala.collection.Seq<Attribute> output = plan.output();
    while (plan instanceof Sort || plan instanceof Project p && onlyColumns(p)) {
      plan = plan.children().head(); // ORDER BY, and the projection that drops what only ORDER BY needed
    }
    if (!(plan instanceof Aggregate aggregate)) {
      return Shape.not("it is not one GROUP BY over its tables' rows");
    }
    Map<TableName, Integer> reads = new HashMap<>();
    String why = plainRows(aggregate.child(), sources.keySet(), reads);
    for (TableName source : sources.keySet()) {
      int n = reads.getOrDefault(source, 0);
      if (why == null && n != 1) {
        why = "it reads " + source + (n == 0 ? " outside its joins" : " " + n + " times; the change of each read is not its own");
      }
    }
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
        DeclarativeAggregate d = (DeclarativeAggregate) f;
        // The type Spark adds in, its buffer's, not the input's: avg of a bigint sums as a double,
        // whose rounding depends on the order of the additions (an avg near 1e17 drifts).
        if (!(f instanceof Count) && !exact(sumType(d))) {
          return Shape.not(ae.sql() + " adds " + f.children().head().dataType().simpleString() + " values as "
              + sumType(d).simpleString() + ", whose sum depends on the order of its additions; only decimal and integer sums merge");
        }
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

  /**
   * Null when {@code plan} only selects, filters and inner-joins its sources' rows,
   * deterministically; else what it does. Counts in {@code reads} each source it reads.
   */
  private static String plainRows(LogicalPlan plan, Set<TableName> sources, Map<TableName, Integer> reads) {
    for (TableName source : sources) {
      if (KeyLineage.isSource(plan, source)) {
        reads.merge(source, 1, Integer::sum);
        return null;
      }
    }
    if (plan instanceof LeafNode) {
      return null; // rows of its own (VALUES), which no change reaches
    }
    if (plan instanceof Join j && !(j.joinType() == Inner$.MODULE$ || j.joinType() == Cross$.MODULE$)) {
      return "it joins with " + j.joinType().sql() + " JOIN; only inner joins take the change of each side apart";
    }
    if (!(plan instanceof Project || plan instanceof Filter || plan instanceof SubqueryAlias || plan instanceof Join)) {
      return "it reads its tables through " + plan.nodeName() + ", not only joins, WHERE and SELECT";
    }
    for (Expression e : JavaConverters.seqAsJavaList(plan.expressions())) {
      if (!e.deterministic() || SubqueryExpression.hasSubquery(e)) {
        return "it filters, joins or selects with a subquery or a non-deterministic expression";
      }
    }
    for (LogicalPlan child : JavaConverters.seqAsJavaList(plan.children())) {
      String why = plainRows(child, sources, reads);
      if (why != null) {
        return why;
      }
    }
    return null;
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
