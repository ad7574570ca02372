package dev.lakehouse.quality;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.BatchExpectations;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.Expectation.Action;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The expectations of one table, applied to each batch just before it is written: row rules mark
 * every row (plain Spark), set rules and anomaly checks are Deequ checks on metrics that Deequ's
 * analyzers aggregate, and freshness is a maximum, all in one aggregate of the batch, computed by
 * the pass that stores the flagged rows when there are row rules. Every outcome goes to
 * {@code _lakehouse.quality_results} first; then a broken {@code fail} rule stops the batch (nothing written), rows breaking a {@code quarantine} rule go
 * to the quarantine table, rows breaking a {@code drop} rule are left out, {@code warn} only logs.
 * A row that breaks both a quarantine and a drop rule is quarantined: the evidence is kept. For a
 * write that replaces part of a table, the rules on a whole batch judge the table it leaves, in a
 * second aggregate over that table (see {@link #check(Dataset, UnaryOperator, BatchContext)}).
 */
public final class TableExpectations implements BatchExpectations {
  private static final Logger LOG = LoggerFactory.getLogger(TableExpectations.class);
  /** The name under which the storing pass observes the batch's aggregate. */
  private static final String OBSERVED = "lakehouse_expectations";

  private final TableSpec spec;
  private final List<Expectation> rules;
  private final Function<TableName, LakehouseTable> tables;
  private final QualityResults results;
  private final ExpectationQuarantine quarantine;
  private final String metrics;

  /**
   * @param tables the pipeline's tables, to read the targets of {@code references} rules
   */
  public TableExpectations(TableSpec spec, LakehouseSettings settings, QualityResults results,
      Function<TableName, LakehouseTable> tables) {
    this.spec = spec;
    this.rules = spec.expectations();
    this.tables = tables;
    this.results = results;
    this.quarantine = new ExpectationQuarantine(spec);
    this.metrics = metricsLocation(settings, spec.name());
  }

  /** The Deequ metrics history of a table (one JSON file, newest {@value Deequ#HISTORY} batches). */
  public static String metricsLocation(LakehouseSettings settings, TableName table) {
    return settings.systemLocation() + "/quality_metrics/" + table + ".json";
  }

  @Override
  public boolean isEmpty() {
    return rules.isEmpty();
  }

  @Override
  public Dataset<Row> check(Dataset<Row> input, BatchContext context) {
    return check(input, null, context);
  }

  @Override
  public Dataset<Row> check(Dataset<Row> input, UnaryOperator<Dataset<Row>> tableAfter, BatchContext context) {
    if (rules.isEmpty()) {
      return input;
    }
    Dataset<Row> rows = LakehouseSpark.materialize(input);
    String attempt = context.attempt();
    List<Expectation> ofTable = tableAfter == null ? List.of() : rules.stream().filter(e -> !e.rule().perRow()).toList();
    if (ofTable.isEmpty()) {
      Judged batch = judge(rows, attempt);
      enforce(batch.outcomes(), batch.total(), false, context);
      Dataset<Row> out = written(batch, context);
      batch.saveMetrics();
      return out;
    }
    // Row rules judge the rows written; the others the table those rows leave (the rows kept, not
    // those dropped or quarantined), in a pass of their own over it.
    TableExpectations ofRows = new TableExpectations(this, rules.stream().filter(e -> e.rule().perRow()).toList());
    Judged batch = ofRows.rules.isEmpty() ? null : ofRows.judge(rows, attempt);
    Dataset<Row> kept = batch == null ? rows : ofRows.kept(batch);
    Judged table = new TableExpectations(this, ofTable).judge(tableAfter.apply(kept), attempt);
    List<RuleOutcome> outcomes = new ArrayList<>(table.outcomes());
    if (batch != null) {
      outcomes.addAll(batch.outcomes());
    }
    outcomes.sort(java.util.Comparator.comparingInt(o -> rules.indexOf(o.expectation())));
    enforce(outcomes, batch == null ? 0 : batch.total(), true, context);
    Dataset<Row> out = batch == null ? rows : ofRows.written(batch, context);
    table.saveMetrics();
    if (batch != null) {
      batch.saveMetrics();
    }
    return out;
  }

  /**
   * These rules over {@code rows} (stored): their outcomes, the rows flagged by the row rules, and
   * the Deequ suite whose metrics join the history only once the batch passed ({@link #saveMetrics}).
   */
  private record Judged(Dataset<Row> rows, Dataset<Row> flagged, Row counts, long total, List<RuleOutcome> outcomes,
      Deequ.Suite suite) {
    /**
     * Saves the batch's Deequ metrics to the history: only once no {@code fail} rule stopped it, so a
     * stopped batch, run again, is compared with the batches before it rather than with itself. The
     * write comes after, and may still fail; the batch, replayed, then replaces its entry (see
     * {@link #batchKey}). Saving after the commit instead would not do: a crash after the save and
     * before the checkpoint took the batch replays it all the same.
     */
    void saveMetrics() {
      if (suite != null) {
        suite.save();
      }
    }
  }

  /** The same table's expectations, only {@code subset} of its rules. */
  private TableExpectations(TableExpectations all, List<Expectation> subset) {
    this.spec = all.spec;
    this.rules = subset;
    this.tables = all.tables;
    this.results = all.results;
    this.quarantine = all.quarantine;
    this.metrics = all.metrics;
  }

  /** @param attempt the batch across its attempts ({@link BatchContext#attempt}) */
  private Judged judge(Dataset<Row> rows, String attempt) {
    boolean perRow = rules.stream().anyMatch(e -> e.rule().perRow());
    List<Expectation> measured = rules.stream().filter(Deequ::measures).toList();
    Deequ.Suite suite = measured.isEmpty() ? null
        : new Deequ.Suite(rows.sparkSession(), measured, rows.schema(), metrics, spec.name().toString(), attempt);
    boolean shared = suite != null && suite.sharesScan();
    List<Column> deequ = shared ? suite.aggregates() : List.of();
    // One aggregate over the batch: its size, each rule's failing rows, the rows to set aside, and
    // Deequ's metrics. With row rules it is computed by the pass that stores the flagged rows. An
    // empty batch is not flagged: its references need not exist yet.
    Dataset<Row> flagged;
    Row counts;
    if (perRow && !rows.isEmpty()) {
      Dataset<Row> observed = flags(rows).observe(OBSERVED, count(lit(1)), concat(aggregates(true), deequ));
      flagged = LakehouseSpark.materialize(observed);
      scala.Option<Row> seen = observed.queryExecution().observedMetrics().get(OBSERVED);
      // Observed by the storing job; were the rows stored without it, one more job counts them.
      counts = seen.isDefined() ? seen.get()
          : flagged.agg(count(lit(1)), concat(aggregates(true), deequ)).head();
    } else {
      flagged = rows;
      counts = rows.agg(count(lit(1)), concat(aggregates(false), deequ)).head();
    }
    long total = counts.getLong(0);
    List<RuleOutcome> outcomes = total == 0 ? onEmpty()
        : evaluate(rows, counts, total, suite, shared ? rules.size() + 2 : -1);
    return new Judged(rows, flagged, counts, total, outcomes, suite);
  }

  /**
   * Records every outcome, then stops the batch at a broken {@code fail} rule.
   *
   * @param total the rows of the batch
   * @param ofTableAfter whether the rules that judge a whole batch judged the table as the write leaves it
   */
  private void enforce(List<RuleOutcome> outcomes, long total, boolean ofTableAfter, BatchContext context) {
    results.record(context.runId(), spec.name(), context.batchId(), outcomes);
    for (RuleOutcome o : outcomes) {
      if (!o.passed() && o.expectation().action() == Action.FAIL) {
        boolean onTable = ofTableAfter && !o.expectation().rule().perRow();
        throw new TableRunException(spec.name(), "Expectation '" + o.rule() + "' failed on " + spec.name()
            + (onTable ? " as this refresh would leave it" : "") + ": "
            + (o.failingRows() >= 0 ? o.failingRows() + " of " + total + " rows break " : "")
            + describe(o.expectation().rule()) + (o.message().isEmpty() || o.failingRows() >= 0 ? "" : " (" + o.message() + ")")
            + "; action = fail, so nothing of this batch was written and the table keeps its version."
            + " Fix the data, or change the action (" + o.expectation().origin() + ")", null);
      }
      if (!o.passed()) {
        LOG.warn("Expectation '{}' of {} broken ({}): {}{}", o.rule(), spec.name(), o.expectation().action().id(),
            o.failingRows() >= 0 ? o.failingRows() + " rows; " : "", o.message());
      }
    }
  }

  /** The rows to write: the judged rows but those a {@code drop} or {@code quarantine} rule sets aside, which go to quarantine. */
  private Dataset<Row> written(Judged batch, BatchContext context) {
    long quarantined = setsRowsAside(batch) ? batch.counts().getLong(rules.size() + 1) : 0;
    if (quarantined > 0) {
      quarantine(batch.flagged(), quarantined, context);
    }
    return kept(batch);
  }

  private boolean setsRowsAside(Judged batch) {
    return batch.total() > 0 && rules.stream().anyMatch(e -> e.rule().perRow()
        && (e.action() == Action.DROP || e.action() == Action.QUARANTINE));
  }

  /** The judged rows that no {@code drop} or {@code quarantine} rule sets aside (not read: a plan). */
  private Dataset<Row> kept(Judged batch) {
    if (!setsRowsAside(batch)) {
      return batch.rows();
    }
    // The flagged rows are materialised: this filter and the quarantine's read them, not the batch's source.
    return batch.flagged().where(not(setAside(Action.QUARANTINE)).and(not(setAside(Action.DROP)))).drop(flagColumns());
  }

  /** An empty batch: only row-count bounds can say something (Deequ's ratios are undefined on no rows). */
  private List<RuleOutcome> onEmpty() {
    List<RuleOutcome> out = new ArrayList<>();
    for (Expectation e : rules) {
      if (e.rule() instanceof Expectation.RowCount r) {
        boolean ok = r.min().orElse(0L) <= 0 && r.max().orElse(0L) >= 0;
        out.add(new RuleOutcome(e, ok, -1, 0, ok ? "" : "the batch has no rows"));
      }
    }
    return out;
  }

  /**
   * After the row count, per rule {@code i} at {@code i + 1}: its failing rows (row rules, when
   * {@code flagged}), the newest value (freshness) or null; then the rows to quarantine.
   */
  private List<Column> aggregates(boolean flagged) {
    List<Column> aggs = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      Expectation.Rule r = rules.get(i).rule();
      if (r.perRow() && flagged) {
        aggs.add(sum(when(not(col(RowRules.column(i))), 1L).otherwise(0L)));
      } else if (r instanceof Expectation.Freshness f) {
        aggs.add(max(RowRules.q(f.column()).cast("timestamp")));
      } else {
        aggs.add(lit(null));
      }
    }
    aggs.add(flagged ? sum(when(setAside(Action.QUARANTINE), 1L).otherwise(0L)) : lit(0L));
    return aggs;
  }

  /** True in a flagged row that breaks a row rule with {@code action}. */
  private Column setAside(Action action) {
    Column broken = lit(false);
    for (int i = 0; i < rules.size(); i++) {
      Expectation e = rules.get(i);
      if (e.rule().perRow() && e.action() == action) {
        broken = broken.or(not(col(RowRules.column(i))));
      }
    }
    return broken;
  }

  /**
   * @param deequAt where Deequ's aggregates start in {@code counts}, or -1 when Deequ reads the
   *     batch itself (a distinct count)
   */
  private List<RuleOutcome> evaluate(Dataset<Row> rows, Row counts, long total, Deequ.Suite suite, int deequAt) {
    long now = System.currentTimeMillis();
    Map<String, Deequ.Verdict> verdicts = suite == null ? Map.of()
        : deequAt >= 0 ? suite.verify(counts, deequAt, now) : suite.verify(rows, now);
    List<RuleOutcome> out = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      Expectation e = rules.get(i);
      Deequ.Verdict v = verdicts.get(e.name());
      if (e.rule().perRow()) {
        long failing = counts.getLong(i + 1);
        double metric = v != null ? v.metric() : (total - failing) / (double) total;
        out.add(new RuleOutcome(e, failing == 0, failing, metric, failing == 0 ? ""
            : failing + " of " + total + " rows break it"));
      } else if (e.rule() instanceof Expectation.Freshness f) {
        Timestamp newest = counts.getTimestamp(i + 1);
        Instant limit = Instant.now().minus(f.maxAge());
        boolean ok = newest != null && !newest.toInstant().isBefore(limit);
        out.add(new RuleOutcome(e, ok, -1, newest == null ? Double.NaN : newest.getTime() / 1000.0,
            ok ? "" : "the newest " + f.column() + " is " + (newest == null ? "NULL" : newest.toInstant())
                + ", older than " + f.maxAge().toString().substring(2).toLowerCase(Locale.ROOT)));
      } else if (v != null) {
        out.add(new RuleOutcome(e, v.passed(), -1, v.metric(), v.message()));
      }
    }
    return out;
  }

  /** The rows with one pass/fail column per row rule; reading referenced tables as they are now. */
  private Dataset<Row> flags(Dataset<Row> rows) {
    return RowRules.flag(rows, rules, name -> {
      LakehouseTable t = tables.apply(name);
      if (!t.exists(rows.sparkSession())) {
        throw new TableRunException(spec.name(), "Cannot check the references of " + spec.name() + " to " + name
            + ": " + name + " does not exist yet at " + t.location() + "; run it first", null);
      }
      return t.read(rows.sparkSession());
    });
  }

  private static Column[] concat(List<Column> a, List<Column> b) {
    List<Column> all = new ArrayList<>(a);
    all.addAll(b);
    return all.toArray(Column[]::new);
  }

  /** Appends the {@code quarantined} flagged rows that break a quarantine rule to the quarantine table. */
  private void quarantine(Dataset<Row> flagged, long quarantined, BatchContext context) {
    List<Column> failedNames = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      Expectation e = rules.get(i);
      if (e.rule().perRow()) {
        failedNames.add(when(not(col(RowRules.column(i))), lit(e.name())));
      }
    }
    Column names = org.apache.spark.sql.functions.filter(array(failedNames.toArray(Column[]::new)), Column::isNotNull);
    quarantine.append(flagged.where(setAside(Action.QUARANTINE)).withColumn(ExpectationQuarantine.FAILED_RULES, names)
        .withColumn(ExpectationQuarantine.BATCH_ID, lit(context.batchId()))
        .withColumn(ExpectationQuarantine.RUN_ID, lit(context.runId()))
        .drop(flagColumns()), context.mark());
    context.quarantine(quarantined);
  }

  /** The pass/fail column of each row rule, which {@link #flags} adds. */
  private String[] flagColumns() {
    List<String> temp = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      if (rules.get(i).rule().perRow()) {
        temp.add(RowRules.column(i));
      }
    }
    return temp.toArray(String[]::new);
  }

  static String describe(Expectation.Rule r) {
    if (r instanceof Expectation.NotNull n) {
      return "not-null " + n.columns();
    } else if (r instanceof Expectation.InSet s) {
      return s.column() + " in-set " + s.values();
    } else if (r instanceof Expectation.Range g) {
      return g.column() + " range" + g.min().map(m -> " >= " + m).orElse("") + g.max().map(m -> " <= " + m).orElse("");
    } else if (r instanceof Expectation.Pattern p) {
      return p.column() + " pattern " + p.regex();
    } else if (r instanceof Expectation.Sql s) {
      return "rule " + s.expression();
    } else if (r instanceof Expectation.Unique u) {
      return "unique " + u.columns();
    } else if (r instanceof Expectation.References f) {
      return f.columns() + " references " + f.table() + f.refColumns();
    }
    return r.kind();
  }
}
