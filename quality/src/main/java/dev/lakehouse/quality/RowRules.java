package dev.lakehouse.quality;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Marks each row with whether it passes each row rule: one non-NULL boolean column per rule. Plain
 * Spark expressions rather than Deequ's row-level results, because the NULL semantics are ours to
 * state: in-set, range, pattern and references pass NULL (add not-null to forbid it); a {@code rule}
 * expression that is NULL fails; unique compares NULL keys as equal.
 */
final class RowRules {
  static final String PREFIX = "_lq_ok_";

  private RowRules() {}

  static String column(int i) {
    return PREFIX + i;
  }

  /**
   * {@code rows} plus {@code _lq_ok_<i>} for each rule {@code i} (only per-row rules).
   *
   * @param tables reads a referenced table
   */
  static Dataset<Row> flag(Dataset<Row> rows, List<Expectation> rules, Function<TableName, Dataset<Row>> tables) {
    Dataset<Row> out = rows;
    for (int i = 0; i < rules.size(); i++) {
      Expectation.Rule r = rules.get(i).rule();
      String name = column(i);
      Column ok;
      if (r instanceof Expectation.NotNull n) {
        ok = all(n.columns().stream().map(c -> q(c).isNotNull()).toList());
      } else if (r instanceof Expectation.InSet s) {
        ok = q(s.column()).isNull().or(q(s.column()).cast("string").isin(s.values().toArray()));
      } else if (r instanceof Expectation.Range g) {
        List<Column> parts = new ArrayList<>();
        g.min().ifPresent(m -> parts.add(q(g.column()).geq(lit(m))));
        g.max().ifPresent(m -> parts.add(q(g.column()).leq(lit(m))));
        ok = q(g.column()).isNull().or(all(parts));
      } else if (r instanceof Expectation.Pattern p) {
        ok = q(p.column()).isNull().or(q(p.column()).cast("string").rlike(p.regex()));
      } else if (r instanceof Expectation.Sql s) {
        ok = coalesce(expr(s.expression()), lit(false));
      } else if (r instanceof Expectation.Unique u) {
        ok = count(lit(1)).over(Window.partitionBy(u.columns().stream().map(RowRules::q).toArray(Column[]::new))).leq(1);
      } else if (r instanceof Expectation.References f) {
        out = references(out, f, tables.apply(f.table()), name);
        continue;
      } else {
        continue; // a set rule: Deequ's part
      }
      out = out.withColumn(name, ok);
    }
    return out;
  }

  /** A left join with the distinct referenced keys: it never multiplies rows. */
  private static Dataset<Row> references(Dataset<Row> rows, Expectation.References f, Dataset<Row> target, String name) {
    List<Column> keys = new ArrayList<>();
    for (int k = 0; k < f.refColumns().size(); k++) {
      keys.add(q(f.refColumns().get(k)).as(name + "_k" + k));
    }
    Dataset<Row> known = target.select(keys.toArray(Column[]::new)).distinct().withColumn(name + "_hit", lit(true));
    Column on = lit(true);
    Column anyNull = lit(false);
    for (int k = 0; k < f.columns().size(); k++) {
      on = on.and(rows.col(quoted(f.columns().get(k))).equalTo(known.col(name + "_k" + k)));
      anyNull = anyNull.or(rows.col(quoted(f.columns().get(k))).isNull());
    }
    Dataset<Row> joined = rows.join(known, on, "left");
    for (int k = 0; k < f.columns().size(); k++) {
      joined = joined.drop(name + "_k" + k);
    }
    return joined.withColumn(name, anyNull.or(col(name + "_hit").isNotNull())).drop(name + "_hit");
  }

  private static Column all(List<Column> parts) {
    return parts.stream().reduce(Column::and).orElse(lit(true));
  }

  static Column q(String column) {
    return col(quoted(column));
  }

  private static String quoted(String column) {
    return "`" + column.replace("`", "``") + "`";
  }
}
