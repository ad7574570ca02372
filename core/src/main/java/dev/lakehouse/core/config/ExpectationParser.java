package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.Expectation.Action;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a table's {@code expectations = [ { name = ..., <rule> = ..., action = ... } ]}. Each
 * expectation names exactly one rule key; the key says what is checked.
 */
final class ExpectationParser {
  static final List<String> RULE_KEYS = List.of("not-null", "in-set", "range", "pattern", "rule", "unique",
      "references", "completeness", "row-count", "distinct-count", "mean", "min", "max", "freshness", "anomaly");
  static final List<String> KEYS = with(List.of("name", "description", "action", "column", "columns"), RULE_KEYS);
  static final List<String> BOUND_KEYS = List.of("at-least", "at-most");
  static final List<String> REFERENCES_KEYS = List.of("table", "column", "columns");
  static final List<String> ANOMALY_KEYS = List.of("metric", "min-ratio", "max-ratio");
  private static final java.util.regex.Pattern MEAN_METRIC = java.util.regex.Pattern.compile("mean\\((\\w+)\\)");

  private ExpectationParser() {}

  static List<Expectation> parse(TableName table, SpecReader t) {
    List<Expectation> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (SpecReader e : t.objectList("expectations")) {
      e.rejectUnknownKeys(KEYS);
      String name = e.requiredString("name", "name the expectation, e.g. name = order_key_present");
      if (!name.isEmpty() && !TableName.isIdentifier(name)) {
        e.problem("name", "Cannot use '" + name + "' as an expectation name: use lower-case letters, digits and _");
      } else if (!name.isEmpty() && !names.add(name)) {
        e.problem("name", "Cannot use the expectation name '" + name + "' twice in " + table + ": names identify rules in results");
      }
      List<String> ruleKeys = RULE_KEYS.stream().filter(e::has).toList();
      if (ruleKeys.size() != 1) {
        e.problem(ruleKeys.isEmpty() ? "name" : ruleKeys.get(1), (ruleKeys.isEmpty() ? "Cannot find the rule of expectation '"
            + name + "'" : "Cannot use more than one rule (" + String.join(", ", ruleKeys) + ") in expectation '" + name + "'")
            + ": give exactly one of " + String.join(", ", RULE_KEYS));
        continue;
      }
      Expectation.Rule rule = rule(ruleKeys.get(0), e);
      Action action = e.enumValue("action", Action.class).orElse(Action.WARN);
      if (rule == null) {
        continue;
      }
      if (!rule.perRow() && (action == Action.DROP || action == Action.QUARANTINE)) {
        e.problem("action", "Cannot " + action.id() + " rows for expectation '" + name + "': " + rule.kind()
            + " judges the batch as a whole, not single rows; use action = warn or fail");
      } else if (action == Action.QUARANTINE && table.layer() == Layer.BRONZE) {
        e.problem("action", "Cannot quarantine rows of " + table + " by expectation '" + name + "': "
            + table + "_quarantine holds the records that could not be parsed; use drop, warn or fail here,"
            + " or quarantine in the silver table that reads it");
      }
      out.add(new Expectation(name, rule, action, e.origin()));
    }
    return List.copyOf(out);
  }

  private static Expectation.Rule rule(String kind, SpecReader e) {
    return switch (kind) {
      case "not-null" -> new Expectation.NotNull(columns(e, kind, e.stringOrList(kind)));
      case "unique" -> new Expectation.Unique(columns(e, kind, e.stringOrList(kind)));
      case "in-set" -> new Expectation.InSet(column(e, kind), e.stringList(kind));
      case "range" -> bounds(e, kind).map(b -> new Expectation.Range(column(e, kind), b.min(), b.max())).orElse(null);
      case "pattern" -> {
        String regex = e.optionalString(kind).orElse("");
        try {
          java.util.regex.Pattern.compile(regex);
        } catch (PatternSyntaxException x) {
          e.problem(kind, "Cannot use pattern \"" + regex + "\": " + x.getDescription() + "; write a Java regular expression");
        }
        yield new Expectation.Pattern(column(e, kind), regex);
      }
      case "rule" -> {
        String sql = e.optionalString(kind).orElse("");
        SqlChecks.expression(sql).ifPresent(err -> e.problem(kind, "Cannot parse the rule \"" + sql + "\": " + err
            + "; write a Spark SQL boolean expression such as \"o_totalprice >= 0\""));
        yield new Expectation.Sql(sql);
      }
      case "references" -> references(e);
      case "completeness" -> {
        double min = e.optionalNumber(kind).orElse(1.0);
        if (min < 0 || min > 1) {
          e.problem(kind, "Cannot use completeness = " + min + ": it is the least share of non-NULL values, 0 to 1, e.g. 0.95");
        }
        yield new Expectation.Completeness(column(e, kind), min);
      }
      case "row-count" -> bounds(e, kind).map(b -> new Expectation.RowCount(b.min().map(Math::round),
          b.max().map(Math::round))).orElse(null);
      case "distinct-count" -> bounds(e, kind).map(b -> new Expectation.DistinctCount(column(e, kind),
          b.min().map(Math::round), b.max().map(Math::round))).orElse(null);
      case "mean", "min", "max" -> bounds(e, kind).map(b -> new Expectation.Statistic(
          Expectation.Stat.valueOf(kind.toUpperCase(java.util.Locale.ROOT)), column(e, kind), b.min(), b.max())).orElse(null);
      case "freshness" -> new Expectation.Freshness(column(e, kind), e.duration(kind, java.time.Duration.ofDays(1)));
      case "anomaly" -> anomaly(e);
      default -> throw new IllegalStateException(kind);
    };
  }

  private record Bounds(Optional<Double> min, Optional<Double> max) {}

  private static Optional<Bounds> bounds(SpecReader e, String kind) {
    Optional<SpecReader> b = e.object(kind);
    if (b.isEmpty()) {
      return Optional.empty();
    }
    b.get().rejectUnknownKeys(BOUND_KEYS);
    Bounds bounds = new Bounds(b.get().optionalNumber("at-least"), b.get().optionalNumber("at-most"));
    if (bounds.min().isEmpty() && bounds.max().isEmpty()) {
      e.problem(kind, "Cannot check " + kind + " without bounds: write " + kind + " { at-least = <n>, at-most = <n> } (either or both)");
    }
    return Optional.of(bounds);
  }

  private static String column(SpecReader e, String kind) {
    return e.requiredString("column", kind + " checks one column: add column = <name>");
  }

  private static List<String> columns(SpecReader e, String kind, List<String> cols) {
    if (cols.isEmpty() && e.has(kind)) {
      e.problem(kind, "Cannot check " + kind + " of no columns: write " + kind + " = [<column>, ...]");
    }
    return cols;
  }

  private static Expectation.Rule references(SpecReader e) {
    Optional<SpecReader> r = e.object("references");
    if (r.isEmpty()) {
      return null;
    }
    SpecReader ref = r.get();
    ref.rejectUnknownKeys(REFERENCES_KEYS);
    String tableRef = ref.requiredString("table", "the referenced table, e.g. table = silver.customer");
    TableName target = TableName.parse(tableRef);
    if (target == null && !tableRef.isEmpty()) {
      ref.problem("table", "Cannot reference table '" + tableRef + "': name it as layer.name, e.g. silver.customer");
    }
    List<String> cols = e.has("columns") ? e.stringList("columns") : List.of(column(e, "references"));
    List<String> refCols = ref.has("columns") ? ref.stringList("columns") : ref.has("column")
        ? List.of(ref.optionalString("column").orElse("")) : cols;
    if (refCols.size() != cols.size()) {
      ref.problem("columns", "Cannot match " + cols.size() + " columns with " + refCols.size() + " referenced columns: list as many of each");
    }
    return target == null ? null : new Expectation.References(cols, target, refCols);
  }

  private static Expectation.Rule anomaly(SpecReader e) {
    Optional<SpecReader> a = e.object("anomaly");
    if (a.isEmpty()) {
      return null;
    }
    SpecReader an = a.get();
    an.rejectUnknownKeys(ANOMALY_KEYS);
    String metric = an.optionalString("metric").orElse("row-count").trim();
    Optional<String> column = Optional.empty();
    java.util.regex.Matcher m = MEAN_METRIC.matcher(metric);
    if (m.matches()) {
      column = Optional.of(m.group(1));
    } else if (!metric.equals("row-count")) {
      an.problem("metric", "Cannot watch metric '" + metric + "': supported metrics are row-count and mean(<column>)");
    }
    Optional<Double> lo = an.optionalNumber("min-ratio");
    Optional<Double> hi = an.optionalNumber("max-ratio");
    if (lo.isEmpty() && hi.isEmpty()) {
      an.problem("metric", "Cannot detect anomalies without a bound: set min-ratio (e.g. 0.5: at least half the previous"
          + " value) and/or max-ratio (e.g. 2.0: at most twice)");
    }
    return new Expectation.Anomaly(column, lo, hi);
  }

  private static List<String> with(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return List.copyOf(out);
  }
}
