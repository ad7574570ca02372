package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incremental refresh of a gold table whose query is a {@link MergeableAggregate}: its groups'
 * partial states live in a table beside it (at its location plus {@code .state}),
 * committed with the same note as the table (the source versions they reflect). A refresh merges
 * the sources' changes since that note into the states of the groups they touch and replaces
 * those groups' rows (or, when they are most of the groups, rewrites both tables). For a top n
 * (ORDER BY ... LIMIT) the states hold every group it ranks, and the table is their top n, ranked
 * again after each merge. When the notes differ (a crash between the two commits, a full refresh
 * of the table alone) or a source's history does not reach back, the states are rebuilt from the
 * whole sources, which is one pass like a full refresh.
 */
final class AggregateStates {
  private static final Logger LOG = LoggerFactory.getLogger(AggregateStates.class);

  private final TableSpec spec;
  private final LakehouseTable target;
  private final List<LakehouseTable> sources;
  private final LakehouseTable states;
  private final MergeableAggregate aggregate;
  /** For a top n, the rows it ranks first, from all of them; null for a table of every group. */
  private final UnaryOperator<Dataset<Row>> topN;

  AggregateStates(TableSpec spec, LakehouseTable target, List<LakehouseTable> sources, MergeableAggregate aggregate,
      UnaryOperator<Dataset<Row>> topN) {
    this.spec = spec;
    this.target = target;
    this.sources = sources;
    this.aggregate = aggregate;
    this.topN = topN;
    this.states = target.keptBeside(LakehouseTable.Kept.STATE);
  }

  /**
   * Brings the table to the sources' versions in {@code now}; returns the rows written.
   *
   * @param last the versions of its last commit, if it recorded them
   * @param atNow each source at that version
   * @param restart why it cannot continue from {@code last} by reading the changes since; empty when it can
   */
  long refresh(SparkSession spark, Optional<SourceVersions> last, SourceVersions now, Map<TableName, Dataset<Row>> atNow,
      Optional<SourceVersions.Restart> restart, BatchContext context) {
    SourceVersions.Restart whyNot = restart.orElse(null);
    if (whyNot == null && !(states.exists(spark) && states.lastCommitNote(spark).equals(target.lastCommitNote(spark)))) {
      whyNot = new SourceVersions.Restart("its aggregate states do not match its last commit", false);
    }
    if (whyNot == null) {
      Optional<Long> written = merge(spark, last.orElseThrow(), atNow, now, context);
      if (written.isPresent()) {
        return written.get();
      }
      whyNot = new SourceVersions.Restart(
          "its aggregate states disagree with its sources' changes (a group would have fewer than no rows)", true);
    }
    GoldRefresh.logFullRefresh(LOG, spec.name(), ", keeping its aggregate states", whyNot);
    Dataset<Row> all = LakehouseSpark.materialize(aggregate.partial(spark, atNow));
    GoldRefresh.checkKeysNotNull(spec.name(), target, all);
    Dataset<Row> rows = LakehouseSpark.materialize(context.checked(ranked(aggregate.result(spark, all, atNow))));
    long n = LakehouseSpark.count(rows);
    // The states first: a crash before the table's commit leaves notes that differ, and the next refresh rebuilds them.
    states.overwrite(all, Optional.of(now.encode()));
    target.overwrite(rows, Optional.of(now.encode()));
    return n;
  }

  /** The merge of the changes since {@code last}; empty when the stored states cannot take them. */
  private Optional<Long> merge(SparkSession spark, SourceVersions last, Map<TableName, Dataset<Row>> atNow,
      SourceVersions now, BatchContext context) {
    Map<TableName, MergeableAggregate.Images> changes = new LinkedHashMap<>();
    LogicalPlan analysed = aggregate.analysed(spark, atNow);
    for (LakehouseTable source : sources) {
      TableVersion from = last.sources().get(source.name()).version();
      TableVersion to = now.sources().get(source.name()).version();
      if (!from.equals(to)) {
        // Cut to the columns the query reads, equal old and new images cancelled: an update of a
        // column it does not read makes no term, so no scan of the other sources for it.
        MergeableAggregate.Images images = NetChanges.split(source.readChanges(spark, from, to), analysed, source.name());
        if (images.after() != null || images.before() != null) {
          changes.put(source.name(), images);
        }
      }
    }
    if (changes.isEmpty()) {
      // The signal came from changes an earlier refresh covered, or every change cancelled.
      return noGroupTouched(spark, now);
    }
    Dataset<Row> delta = aggregate.delta(spark, atNow, changes,
        name -> sources.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow()
            .readAt(spark, last.sources().get(name).version()));
    Dataset<Row> merged = LakehouseSpark.materialize(aggregate.merge(delta, states.read(spark)));
    Column negative = col(MergeableAggregate.ROWS).lt(0);
    for (String c : merged.columns()) {
      if (c.startsWith(MergeableAggregate.COUNT_PREFIX)) {
        negative = negative.or(col(c).lt(0));
      }
    }
    if (!merged.where(negative).isEmpty()) {
      return Optional.empty();
    }
    GoldRefresh.checkKeysNotNull(spec.name(), target, merged);
    long groups = LakehouseSpark.count(merged);
    if (groups == 0) {
      return noGroupTouched(spark, now); // changes the query's filter keeps out (both images)
    }
    Column[] keys = target.keys().stream().map(k -> col("`" + k + "`")).toArray(Column[]::new);
    Dataset<Row> touched = merged.select(keys);
    Dataset<Row> live = merged.where(col(MergeableAggregate.ROWS).gt(0));
    if (topN != null) {
      // Every group's state is read to rank them; the table is only the top n.
      Dataset<Row> keptStates = keptStates(spark, touched, live);
      Dataset<Row> top = LakehouseSpark.materialize(context.checked(ranked(aggregate.result(spark, keptStates, atNow))));
      long written = LakehouseSpark.count(top);
      long kept = LakehouseSpark.count(keptStates);
      LOG.info("Refreshing {} by merging partial aggregates: {} groups touched, {} kept, its top {} ranked again",
          spec.name(), groups, kept, written);
      if (groups > kept * REWRITE) {
        states.overwrite(keptStates, Optional.of(now.encode()));
      } else {
        states.replaceKeys(live, touched, now.encode());
      }
      target.overwrite(top, Optional.of(now.encode()));
      return Optional.of(written);
    }
    long stored = states.read(spark).count();
    Dataset<Row> rows = LakehouseSpark.materialize(context.checked(aggregate.result(spark, merged, atNow),
        kept -> target.readWithoutKeys(spark, touched).unionByName(kept)));
    long written = LakehouseSpark.count(rows);
    if (groups > stored * REWRITE) {
      // Most groups change (a small table, such as TPC-H Q1's four): rewriting both tables costs
      // less than two MERGEs, which each find and rewrite the files of the touched groups.
      LOG.info("Refreshing {} by merging partial aggregates: {} of its {} groups touched, {} rows written;"
          + " rewriting it and its states", spec.name(), groups, stored, written);
      Dataset<Row> keptStates = keptStates(spark, touched, live);
      Dataset<Row> keptRows = LakehouseSpark.materialize(target.readWithoutKeys(spark, touched).unionByName(rows));
      states.overwrite(keptStates, Optional.of(now.encode()));
      target.overwrite(keptRows, Optional.of(now.encode()));
      return Optional.of(written);
    }
    LOG.info("Refreshing {} by merging partial aggregates: {} of its {} groups touched, {} rows written", spec.name(),
        groups, stored, written);
    states.replaceKeys(live, touched, now.encode());
    target.replaceKeys(rows, touched, now.encode());
    return Optional.of(written);
  }

  /**
   * A refresh whose changes touch no group: both tables commit no rows with the versions now
   * (states first, as after a merge), so the next refresh starts from here instead of reading
   * these changes again; a MERGE of no rows would commit nothing.
   */
  private Optional<Long> noGroupTouched(SparkSession spark, SourceVersions now) {
    states.commitNote(spark, now.encode());
    target.commitNote(spark, now.encode());
    LOG.info("Refreshing {} by merging partial aggregates: its sources' changes touch no group", spec.name());
    return Optional.of(0L);
  }

  /** Every group's state after a merge: the stored ones of the untouched groups and {@code live}, materialised. */
  private Dataset<Row> keptStates(SparkSession spark, Dataset<Row> touched, Dataset<Row> live) {
    return LakehouseSpark.materialize(states.readWithoutKeys(spark, touched).unionByName(live));
  }

  /** The share of the stored groups beyond which a merge rewrites both tables instead of merging into them. */
  private static final double REWRITE = 0.5;

  private Dataset<Row> ranked(Dataset<Row> rows) {
    return topN == null ? rows : topN.apply(rows);
  }
}
