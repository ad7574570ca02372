package dev.lakehouse.quality;

import com.amazon.deequ.analyzers.Analyzer;
import com.amazon.deequ.analyzers.Mean;
import com.amazon.deequ.analyzers.Preconditions$;
import com.amazon.deequ.analyzers.ScanShareableAnalyzer;
import com.amazon.deequ.analyzers.Size;
import com.amazon.deequ.analyzers.runners.AnalysisRunner;
import com.amazon.deequ.analyzers.runners.AnalyzerContext;
import com.amazon.deequ.anomalydetection.RelativeRateOfChangeStrategy;
import com.amazon.deequ.checks.Check;
import com.amazon.deequ.checks.CheckLevel;
import com.amazon.deequ.checks.CheckResult;
import com.amazon.deequ.constraints.ConstraintResult;
import com.amazon.deequ.constraints.ConstraintStatus;
import com.amazon.deequ.metrics.Metric;
import com.amazon.deequ.repository.AnalysisResult;
import com.amazon.deequ.repository.ResultKey;
import com.amazon.deequ.repository.memory.InMemoryMetricsRepository;
import com.amazon.deequ.suggestions.ConstraintSuggestion;
import com.amazon.deequ.suggestions.ConstraintSuggestionRunner;
import com.amazon.deequ.suggestions.Rules;
import dev.lakehouse.core.spec.Expectation;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.collection.JavaConverters;

/**
 * The one class that talks to Deequ (Scala) from Java: set rules and anomaly checks measured in the
 * batch's one aggregate ({@link Suite}), a per-table metrics history with bounded retention, and
 * rule suggestions. One Deequ {@code Check} per expectation, described by the expectation's
 * name, so each result maps back to its rule.
 */
final class Deequ {
  /** Metric history kept per table: enough for any anomaly strategy's window, small enough to rewrite. */
  static final int HISTORY = 100;
  /** The tag of a history entry that names its batch (see {@link Suite#save}). */
  static final String BATCH_TAG = "batch";

  /** Deequ wraps some assertions in Spark UDFs: they and what they capture must be serializable. */
  interface Assertion extends scala.Function1<Object, Object>, Serializable {}

  /** What Deequ said about one expectation. */
  record Verdict(boolean passed, double metric, String message) {}

  private Deequ() {}

  /**
   * The set rules and anomaly checks of one batch as Deequ checks, and the analyzers that measure
   * them. Deequ's metrics are the batch's sums and counts (size, completeness, mean, min, max): when
   * every analyzer is such a scan-shareable one, its aggregates join the one aggregate the
   * expectations compute over the batch anyway ({@link #aggregates}), and {@link #verify(Row, int,
   * long)} reads the metrics from its result; only a distinct count, which groups the batch, makes
   * Deequ read the batch itself ({@link #verify(Dataset, long)}). Either way the checks are evaluated
   * before this batch's metrics join the history, so an anomaly check compares the batch with the
   * batches before it, as Deequ's {@code VerificationSuite} does; and they join it only when the
   * caller {@link #save}s them, once the batch passed its checks: a batch that a {@code fail} rule
   * stopped was not written, and run again it must be compared with the same batches as before,
   * not with its own failed attempt. A batch whose write failed after the save is run again too: its
   * entry, tagged with the batch, is left out of the comparison and replaced by the new attempt's.
   */
  static final class Suite {
    private final SparkSession spark;
    /** The history as loaded, which Deequ's anomaly checks read: the file is read once per batch. */
    private final InMemoryMetricsRepository repo = new InMemoryMetricsRepository();
    /** The history but this batch's earlier attempts. */
    private final List<AnalysisResult> history;
    private final String repository;
    /** The table's tag, which the anomaly checks select the history by. */
    private final Map<String, String> tags;
    /** The tags of this batch's entry: the table's and the batch's, which a replay of the batch replaces. */
    private final Map<String, String> entryTags;
    private final StructType schema;
    private final List<Check> checks = new ArrayList<>();
    private final List<Analyzer<?, Metric<?>>> analyzers;
    private final Map<String, Verdict> notYet = new LinkedHashMap<>();
    /** This batch's metrics, once measured: what {@link #save} adds to the history. */
    private AnalysisResult measured;

    /**
     * @param schema the batch's columns, which an analyzer's preconditions check (a mean of a text
     *     column is a failed metric, not a query that cannot be planned)
     * @param batch what identifies the batch across its attempts
     */
    Suite(SparkSession spark, List<Expectation> rules, StructType schema, String repository, String table,
        String batch) {
      this.spark = spark;
      this.tags = Map.of("table", table);
      this.entryTags = Map.of("table", table, BATCH_TAG, batch);
      this.history = MetricsHistory.load(spark, repository).stream().filter(h -> !ofThisBatch(h)).toList();
      history.forEach(h -> repo.save(h.resultKey(), h.analyzerContext()));
      this.repository = repository;
      this.schema = schema;
      Set<Analyzer<?, Metric<?>>> needed = new LinkedHashSet<>();
      for (Expectation e : rules) {
        if (e.rule() instanceof Expectation.Anomaly a) {
          Analyzer<?, Metric<?>> analyzer = analyzer(a);
          needed.add(analyzer); // measured and saved even on the first batch, to start the history
          if (repo.load().withTagValues(scalaMap(tags)).forAnalyzers(seq(List.of(analyzer))).get().isEmpty()) {
            notYet.put(e.name(), new Verdict(true, Double.NaN, "not evaluated: no earlier batch to compare with"));
          } else {
            checks.add(anomalyCheck(e, a));
          }
        } else {
          check(e).ifPresent(checks::add);
        }
      }
      checks.forEach(c -> needed.addAll(JavaConverters.setAsJavaSet(c.requiredAnalyzers())));
      this.analyzers = List.copyOf(needed);
    }

    /** Whether {@code entry} is an earlier attempt's of this batch (entries saved before batches were tagged are not). */
    private boolean ofThisBatch(AnalysisResult entry) {
      return entry.resultKey().tags().get(BATCH_TAG).contains(entryTags.get(BATCH_TAG));
    }

    /** True when every metric is an aggregate of the batch's rows, so no pass of Deequ's own is needed. */
    boolean sharesScan() {
      return analyzers.stream().allMatch(a -> a instanceof ScanShareableAnalyzer);
    }

    /** Every analyzer's aggregates, in order, for those whose preconditions hold (see {@link #verify(Row, int, long)}). */
    List<Column> aggregates() {
      List<Column> out = new ArrayList<>();
      for (Analyzer<?, Metric<?>> a : analyzers) {
        if (failedPrecondition(a).isEmpty()) {
          out.addAll(JavaConverters.seqAsJavaList(((ScanShareableAnalyzer<?, ?>) a).aggregationFunctions()));
        }
      }
      return out;
    }

    /** Verdicts from the results of {@link #aggregates}, found in {@code result} from {@code offset} on. */
    Map<String, Verdict> verify(Row result, int offset, long nowMillis) {
      Map<Analyzer<?, Metric<?>>, Metric<?>> metrics = new LinkedHashMap<>();
      int at = offset;
      for (Analyzer<?, Metric<?>> a : analyzers) {
        Optional<Exception> failed = failedPrecondition(a);
        if (failed.isPresent()) {
          metrics.put(a, a.toFailureMetric(failed.get()));
          continue;
        }
        ScanShareableAnalyzer<?, ?> scan = (ScanShareableAnalyzer<?, ?>) a;
        try {
          metrics.put(a, scan.metricFromAggregationResult(result, at, Option.empty(), Option.empty()));
        } catch (RuntimeException e) {
          metrics.put(a, a.toFailureMetric(e));
        }
        at += scan.aggregationFunctions().size();
      }
      return evaluate(new AnalyzerContext(scalaMap(metrics)), nowMillis);
    }

    /** Verdicts from Deequ's own pass over {@code rows} (not empty). */
    Map<String, Verdict> verify(Dataset<Row> rows, long nowMillis) {
      return evaluate(AnalysisRunner.onData(rows).addAnalyzers(seq(analyzers)).run(), nowMillis);
    }

    private Optional<Exception> failedPrecondition(Analyzer<?, Metric<?>> a) {
      Option<Exception> failed = Preconditions$.MODULE$.findFirstFailing(schema, a.preconditions());
      return failed.isDefined() ? Optional.of(failed.get()) : Optional.empty();
    }

    /** Evaluates the checks; keeps the batch's metrics (tagged with the table) for {@link #save}. */
    private Map<String, Verdict> evaluate(AnalyzerContext metrics, long nowMillis) {
      Map<String, Verdict> out = new LinkedHashMap<>(notYet);
      for (Check c : checks) {
        CheckResult cr = c.evaluate(metrics);
        for (ConstraintResult r : JavaConverters.seqAsJavaList(cr.constraintResults())) {
          double value = r.metric().isDefined() && r.metric().get().value().isSuccess()
              ? number(r.metric().get().value().get()) : Double.NaN;
          boolean passed = r.status() == ConstraintStatus.Success();
          out.put(cr.check().description(), new Verdict(passed, value,
              passed || r.message().isEmpty() ? "" : r.message().get()));
        }
      }
      // Only the metrics that were measured, as Deequ's repositories save them.
      Map<Analyzer<?, Metric<?>>, Metric<?>> succeeded = new LinkedHashMap<>();
      JavaConverters.mapAsJavaMap(metrics.metricMap()).forEach((a, m) -> {
        if (m.value().isSuccess()) {
          succeeded.put(a, m);
        }
      });
      measured = new AnalysisResult(new ResultKey(nowMillis, scalaMap(entryTags)), new AnalyzerContext(scalaMap(succeeded)));
      return out;
    }

    /**
     * Adds the batch's metrics to the history, in place of an earlier attempt's, keeping the newest
     * {@link #HISTORY} (Deequ's file repository never forgets by itself): call it once the batch
     * passed its checks.
     */
    void save() {
      if (measured == null) {
        return;
      }
      List<AnalysisResult> all = new ArrayList<>(history);
      all.add(measured);
      all.sort(Comparator.comparingLong(a -> a.resultKey().dataSetDate()));
      MetricsHistory.write(spark, repository, all.subList(Math.max(0, all.size() - HISTORY), all.size()));
      measured = null;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Check anomalyCheck(Expectation e, Expectation.Anomaly a) {
      return new Check(CheckLevel.Error(), e.name(), Check.$lessinit$greater$default$3())
          .isNewestPointNonAnomalous(repo, new RelativeRateOfChangeStrategy(boxed(a.minRatio()), boxed(a.maxRatio()), 1),
              (Analyzer) analyzer(a), scalaMap(tags), Option.empty(), Option.empty(), Option.empty());
    }
  }

  /** A metric's value as a number: a distinct count is a histogram, its size the number of values. */
  private static double number(Object value) {
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    return value instanceof com.amazon.deequ.metrics.Distribution d ? d.numberOfBins() : Double.NaN;
  }

  private static java.util.Optional<Check> check(Expectation e) {
    Check c = new Check(CheckLevel.Error(), e.name(), Check.$lessinit$greater$default$3());
    Expectation.Rule r = e.rule();
    if (r instanceof Expectation.Completeness x) {
      double min = x.min();
      return java.util.Optional.of(c.hasCompleteness(x.column(), (Assertion) v -> ((Number) v).doubleValue() >= min,
          Option.empty(), Option.empty()));
    } else if (r instanceof Expectation.RowCount x) {
      return java.util.Optional.of(c.hasSize(between(x.min().map(Long::doubleValue), x.max().map(Long::doubleValue)),
          Option.empty()));
    } else if (r instanceof Expectation.DistinctCount x) {
      return java.util.Optional.of(c.hasNumberOfDistinctValues(x.column(),
          between(x.min().map(Long::doubleValue), x.max().map(Long::doubleValue)), Option.empty(), 1000, Option.empty()));
    } else if (r instanceof Expectation.Statistic x) {
      Assertion a = between(x.min(), x.max());
      return java.util.Optional.of(switch (x.stat()) {
        case MEAN -> c.hasMean(x.column(), a, Option.empty());
        case MIN -> c.hasMin(x.column(), a, Option.empty(), Option.empty());
        case MAX -> c.hasMax(x.column(), a, Option.empty(), Option.empty());
      });
    }
    return java.util.Optional.empty();
  }

  /**
   * Whether the suite is needed for {@code e}: set rules and anomaly checks. Not {@code unique}: its
   * row flags count the rows of repeated keys, and Deequ's uniqueness (the share of rows whose
   * key occurs once) is one minus that share, so asking Deequ would shuffle the keys a second time.
   */
  static boolean measures(Expectation e) {
    Expectation.Rule r = e.rule();
    return r instanceof Expectation.Completeness || r instanceof Expectation.RowCount
        || r instanceof Expectation.DistinctCount || r instanceof Expectation.Statistic
        || r instanceof Expectation.Anomaly;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Analyzer<?, Metric<?>> analyzer(Expectation.Anomaly a) {
    return a.column().isPresent() ? (Analyzer) new Mean(a.column().get(), Option.empty()) : (Analyzer) new Size(Option.empty());
  }

  private static Assertion between(java.util.Optional<Double> min, java.util.Optional<Double> max) {
    double lo = min.orElse(Double.NEGATIVE_INFINITY);
    double hi = max.orElse(Double.POSITIVE_INFINITY);
    return v -> ((Number) v).doubleValue() >= lo && ((Number) v).doubleValue() <= hi;
  }

  private static Option<Object> boxed(java.util.Optional<Double> d) {
    return d.isPresent() ? Option.apply((Object) d.get()) : Option.empty();
  }

  /** The batch timestamps of the history saved under {@code repository}, oldest first (for tests and reports). */
  static List<Long> historyDates(org.apache.spark.sql.SparkSession spark, String repository) {
    return MetricsHistory.load(spark, repository).stream().map(a -> a.resultKey().dataSetDate()).sorted().toList();
  }

  /** A suggested constraint: the column, Deequ's rule class, its Scala code and the observed value. */
  record Suggestion(String column, String rule, String code, String currentValue) {}

  /** Profiles {@code rows} and returns Deequ's suggested constraints (default rules plus uniqueness). */
  static List<Suggestion> suggest(Dataset<Row> rows) {
    var result = ConstraintSuggestionRunner.apply().onData(rows)
        .addConstraintRules(Rules.DEFAULT()).addConstraintRules(Rules.COMMON()).run();
    List<Suggestion> out = new ArrayList<>();
    for (scala.collection.Seq<ConstraintSuggestion> ss : JavaConverters.asJavaCollection(result.constraintSuggestions().values())) {
      for (ConstraintSuggestion s : JavaConverters.seqAsJavaList(ss)) {
        out.add(new Suggestion(s.columnName(), s.suggestingRule().getClass().getSimpleName(), s.codeForConstraint(),
            s.currentValue()));
      }
    }
    return out;
  }

  private static <T> scala.collection.Seq<T> seq(List<T> l) {
    return JavaConverters.asScalaBuffer(l).toList();
  }

  private static <K, V> scala.collection.immutable.Map<K, V> scalaMap(Map<K, V> m) {
    return JavaConverters.mapAsScalaMap(m).toMap(scala.Predef$.MODULE$.<scala.Tuple2<K, V>>$conforms());
  }
}
