package dev.lakehouse.quality;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Marks each row with whether it passes each row rule: one non-NULL boolean column per rule. Plain
 * Spark expressions rather than Deequ's row-level results, because the NULL semantics are ours to
 * state: in-set, range, pattern and references pass a NULL value (add not-null to forbid it); a
 * check that is NULL for a value that is not (a {@code rule} expression, a range on text that is not
 * a number) fails; unique compares NULL keys as equal.
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
   * @param rows the batch, materialised: {@code unique} counts its keys before flagging
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
        // Text that is not a number compares as NULL: it fails, by the coalesce below.
        ok = q(g.column()).isNull().or(all(parts));
      } else if (r instanceof Expectation.Pattern p) {
        ok = q(p.column()).isNull().or(q(p.column()).cast("string").rlike(p.regex()));
      } else if (r instanceof Expectation.Sql s) {
        ok = expr(s.expression());
      } else if (r instanceof Expectation.Unique u) {
        out = unique(rows, out, u, name);
        ok = col(name);
      } else if (r instanceof Expectation.References f) {
        out = references(rows, out, f, tables.apply(f.table()), name);
        ok = col(name);
      } else {
        continue; // a set rule: Deequ's part
      }
      // A NULL flag would count as passing but match neither the kept rows' filter nor the
      // quarantine's (NOT NULL is NULL): its row would vanish. Whatever is not true fails.
      out = out.withColumn(name, coalesce(ok, lit(false)));
    }
    return out;
  }

  /**
   * Every row of a key that occurs more than once fails. The keys alone are counted (a shuffle of
   * the key columns, where a window would shuffle and sort whole rows); only when some repeat are
   * the rows joined with those keys, compared null-safe.
   *
   * @param batch the batch's rows, materialised, to count the keys of
   * @param rows the batch with the flags of earlier rules
   */
  private static Dataset<Row> unique(Dataset<Row> batch, Dataset<Row> rows, Expectation.Unique u, String name) {
    Column[] keys = u.columns().stream().map(RowRules::q).toArray(Column[]::new);
    Dataset<Row> repeated = LakehouseSpark.materialize(batch.groupBy(keys).agg(count(lit(1)).as(name + "_n"))
        .where(col(name + "_n").gt(1)).drop(name + "_n"));
    if (repeated.isEmpty()) {
      return rows.withColumn(name, lit(true));
    }
    return flaggedByJoin(rows, u.columns(), repeated, name, Column::eqNullSafe, lit(false), false);
  }

  /**
   * A left join with the distinct referenced keys the batch names ({@link #referencedKeys}): it
   * never multiplies rows.
   *
   * @param batch the batch, materialised, whose values are looked up
   * @param rows the batch with the flags of earlier rules
   */
  private static Dataset<Row> references(Dataset<Row> batch, Dataset<Row> rows, Expectation.References f,
      Dataset<Row> target, String name) {
    Dataset<Row> known = referencedKeys(batch, f, target, name);
    Column anyNull = lit(false);
    for (String c : f.columns()) {
      anyNull = anyNull.or(rows.col(quoted(c)).isNull());
    }
    return flaggedByJoin(rows, f.columns(), known, name, Column::equalTo, anyNull, true);
  }

  /**
   * The distinct keys of {@code target} that {@code batch}'s values name (a semi join with the
   * batch's distinct values), stored: what a batch stores follows the batch, not the referenced
   * table, so a dimension of millions of keys is scanned, not stored, for a batch of a few thousand
   * facts. Stored, they are planned by their size: a small set is broadcast instead of shuffling the
   * batch to meet it.
   */
  static Dataset<Row> referencedKeys(Dataset<Row> batch, Expectation.References f, Dataset<Row> target, String name) {
    List<String> columns = f.columns();
    Column[] values = new Column[columns.size()];
    for (int k = 0; k < values.length; k++) {
      values[k] = q(columns.get(k)).as(name + "_v" + k);
    }
    Dataset<Row> named = batch.select(values).distinct();
    Dataset<Row> referenced = target.select(f.refColumns().stream().map(RowRules::q).toArray(Column[]::new));
    Column wanted = lit(true);
    for (int k = 0; k < values.length; k++) {
      wanted = wanted.and(referenced.col(quoted(f.refColumns().get(k))).equalTo(named.col(name + "_v" + k)));
    }
    return LakehouseSpark.materialize(referenced.join(named, wanted, "left_semi").distinct());
  }

  /**
   * {@code rows} with {@code name} true where {@code passNull} holds or where a row's
   * {@code columns} match a row of {@code keys} exactly when {@code passOnMatch}; a left join that
   * never multiplies rows, as {@code keys} are distinct.
   */
  private static Dataset<Row> flaggedByJoin(Dataset<Row> rows, List<String> columns, Dataset<Row> keys, String name,
      java.util.function.BiFunction<Column, Column, Column> equal, Column passNull, boolean passOnMatch) {
    String[] renamed = new String[columns.size()];
    for (int k = 0; k < renamed.length; k++) {
      renamed[k] = name + "_k" + k;
    }
    Dataset<Row> hits = keys.toDF(renamed).withColumn(name + "_hit", lit(true));
    Column on = lit(true);
    for (int k = 0; k < renamed.length; k++) {
      on = on.and(equal.apply(rows.col(quoted(columns.get(k))), hits.col(renamed[k])));
    }
    Column matched = col(name + "_hit").isNotNull();
    return rows.join(hits, on, "left").drop(renamed)
        .withColumn(name, passNull.or(passOnMatch ? matched : not(matched))).drop(name + "_hit");
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
