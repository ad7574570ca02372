package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableFormat;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incremental refresh of a gold table whose query is a {@link MergeableAggregate}: its groups'
 * partial states live in a table beside it (at its location plus {@code .state}),
 * committed with the same note as the table (the source versions they reflect). A refresh merges
 * the source's changes since that note into the states of the groups they touch and replaces
 * those groups' rows (or, when they are most of the groups, rewrites both tables). When the notes
 * differ (a crash between the two commits, a full refresh of the table alone) or the source's
 * history does not reach back, the states are rebuilt from the whole source, which is one pass
 * like a full refresh.
 */
final class AggregateStates {
  private static final Logger LOG = LoggerFactory.getLogger(AggregateStates.class);

  private final TableSpec spec;
  private final LakehouseTable target;
  private final LakehouseTable source;
  private final LakehouseTable states;
  private final MergeableAggregate aggregate;

  AggregateStates(TableSpec spec, LakehouseTable target, LakehouseTable source, MergeableAggregate aggregate) {
    this.spec = spec;
    this.target = target;
    this.source = source;
    this.aggregate = aggregate;
    this.states = target.keptBeside("state");
  }

  /**
   * Brings the table to the source's version in {@code now}; returns the rows written.
   *
   * @param atNow the source at that version
   */
  long refresh(SparkSession spark, SourceVersions now, Dataset<Row> atNow, BatchContext context) {
    Optional<String> note = target.lastCommitNote(spark);
    Optional<SourceVersions> last = note.flatMap(SourceVersions::decode);
    String whyNot = last.isEmpty() ? "it has no recorded source versions yet"
        : !states.exists(spark) || !states.lastCommitNote(spark).equals(note) ? "its aggregate states do not match its last commit"
        : last.get().whyNotContinuedBy(now, spark, List.of(source)).orElse(null);
    if (whyNot == null) {
      Optional<Long> written = merge(spark, version(last.get()), version(now), atNow, now, context);
      if (written.isPresent()) {
        return written.get();
      }
      whyNot = "its aggregate states disagree with its source's changes (a group would have fewer than no rows)";
    }
    LOG.info("Refreshing {} in full, keeping its aggregate states: {}", spec.name(), whyNot);
    Dataset<Row> all = LakehouseSpark.materialize(aggregate.partial(spark, atNow));
    Dataset<Row> rows = LakehouseSpark.materialize(context.checked(aggregate.result(spark, all, atNow)));
    long n = LakehouseSpark.count(rows);
    // The states first: a crash before the table's commit leaves notes that differ, and the next refresh rebuilds them.
    states.overwrite(all, Optional.of(now.encode()));
    target.overwrite(rows, Optional.of(now.encode()));
    return n;
  }

  /** The merge of the changes from {@code from} to {@code to}; empty when the stored states cannot take them. */
  private Optional<Long> merge(SparkSession spark, TableVersion from, TableVersion to, Dataset<Row> atNow,
      SourceVersions now, BatchContext context) {
    if (from.equals(to)) {
      return Optional.of(0L); // the signal came from changes an earlier refresh covered
    }
    Dataset<Row> changes = LakehouseSpark.materialize(source.readChanges(spark, from, to));
    Dataset<Row> after = changes.where(org.apache.spark.sql.functions.not(TableFormat.isBeforeImage()))
        .drop(TableFormat.CHANGE_TYPE);
    Dataset<Row> before = changes.where(TableFormat.isBeforeImage()).drop(TableFormat.CHANGE_TYPE);
    Dataset<Row> merged = LakehouseSpark.materialize(aggregate.merge(aggregate.partial(spark, after),
        aggregate.partial(spark, before), states.read(spark)));
    Column negative = col(MergeableAggregate.ROWS).lt(0);
    for (String c : merged.columns()) {
      if (c.startsWith(MergeableAggregate.COUNT_PREFIX)) {
        negative = negative.or(col(c).lt(0));
      }
    }
    if (!merged.where(negative).isEmpty()) {
      return Optional.empty();
    }
    long groups = LakehouseSpark.count(merged);
    if (groups == 0) {
      // Changes the query's filter keeps out (both images): no group is touched. The commits of no
      // rows record the versions now (states first, as below); a MERGE of no rows would commit nothing.
      states.commitNote(spark, now.encode());
      target.commitNote(spark, now.encode());
      LOG.info("Refreshing {} by merging partial aggregates: its source's changes touch no group", spec.name());
      return Optional.of(0L);
    }
    Column[] keys = target.keys().stream().map(k -> col("`" + k + "`")).toArray(Column[]::new);
    Dataset<Row> touched = merged.select(keys);
    Dataset<Row> rows = LakehouseSpark.materialize(context.checked(aggregate.result(spark, merged, atNow),
        kept -> target.readWithoutKeys(spark, touched).unionByName(kept)));
    long written = LakehouseSpark.count(rows);
    long stored = states.read(spark).count();
    Dataset<Row> live = merged.where(col(MergeableAggregate.ROWS).gt(0));
    if (groups > stored * REWRITE) {
      // Most groups change (a small table, such as TPC-H Q1's four): rewriting both tables costs
      // less than two MERGEs, which each find and rewrite the files of the touched groups.
      LOG.info("Refreshing {} by merging partial aggregates: {} of its {} groups touched, {} rows written;"
          + " rewriting it and its states", spec.name(), groups, stored, written);
      Dataset<Row> keptStates = LakehouseSpark.materialize(states.readWithoutKeys(spark, touched).unionByName(live));
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

  /** The share of the stored groups beyond which a merge rewrites both tables instead of merging into them. */
  private static final double REWRITE = 0.5;

  private TableVersion version(SourceVersions versions) {
    return versions.sources().get(source.name()).version();
  }
}
