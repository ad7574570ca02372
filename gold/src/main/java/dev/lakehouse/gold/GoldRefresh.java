package dev.lakehouse.gold;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.RefreshJob;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.Refresh;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gold table: its query over the sources' content, refreshed whenever a source changed. In batch
 * mode the sources' versions are compared with those its last commit records; in stream mode a
 * micro-batch of the sources' change feeds signals the change. No change means no refresh and no
 * new version.
 *
 * <p>{@code refresh = full} recomputes everything and replaces the table. {@code refresh =
 * incremental} merges the changed rows into partial aggregates when the query allows it (see
 * {@link MergeableAggregate}, {@link AggregateStates}); otherwise it recomputes only the keys the
 * sources' changes since the last refresh reach ({@link TouchedKeys}) and replaces those rows, or
 * everything when they reach most keys. Every refresh reads each source at one version, and its
 * commit records those versions, so the next refresh knows where it left off.
 */
public final class GoldRefresh implements RefreshJob {
  private static final Logger LOG = LoggerFactory.getLogger(GoldRefresh.class);

  private final TableSpec spec;
  private final LayerSpec.Gold gold;
  private final GoldQuery query;
  private final LakehouseTable target;
  private final List<LakehouseTable> sources;

  public GoldRefresh(TableSpec spec, List<TableSpec> sourceSpecs) {
    this.spec = spec;
    this.gold = (LayerSpec.Gold) spec.layer();
    this.query = new GoldQuery(gold.sql());
    this.target = LakehouseTable.of(spec);
    this.sources = sourceSpecs.stream().map(LakehouseTable::of).toList();
  }

  @Override
  public LakehouseTable target() {
    return target;
  }

  @Override
  public List<LakehouseTable> sources() {
    return sources;
  }

  @Override
  public Dataset<Row> input(SparkSession spark) {
    Dataset<Row> changes = null;
    for (LakehouseTable source : sources) {
      // Only the fact of a change matters here: one narrow column keeps the union's schemas equal.
      Dataset<Row> signal = source.readStream(spark).select(lit(source.name().toString()).as("_changed_table"));
      changes = changes == null ? signal : changes.union(signal);
    }
    return changes;
  }

  /** The batch is only a signal: it is counted (the source rows that changed) and not stored. */
  @Override
  public boolean rereadsBatch() {
    return false;
  }

  @Override
  public long processBatch(Dataset<Row> batch, BatchContext context) {
    SparkSession spark = batch.sparkSession();
    context.read(batch.count());
    SourceVersions now = currentVersions(spark);
    // A signal of changes the last refresh covered already: a stream that started afresh after a
    // batch run, whose first micro-batch is its sources' whole content.
    Optional<SourceVersions> last = last(spark);
    return last.filter(l -> l.sameDataAs(now, spark, sources)).isPresent() ? 0
        : refresh(spark, last, now, SourceVersions.restart(last, now, spark, sources), context);
  }

  /**
   * In batch mode: no stream, the sources' versions against those of the last refresh. The rows
   * read are the sources' change rows since then (all their rows on the first refresh, or when
   * their history no longer reaches back), what a stream's micro-batch would have held.
   */
  @Override
  public OptionalLong refreshOnce(SparkSession spark, BatchContext context) {
    SourceVersions now = currentVersions(spark);
    Optional<SourceVersions> last = last(spark);
    if (last.filter(l -> l.sameDataAs(now, spark, sources)).isPresent()) {
      return OptionalLong.empty(); // nothing changed, or only maintenance commits (VACUUM, OPTIMIZE)
    }
    Optional<SourceVersions.Restart> restart = SourceVersions.restart(last, now, spark, sources);
    boolean continued = restart.isEmpty();
    Dataset<Row> read = null; // one count for all sources: a job costs the same for 10 rows as for 10 000
    for (LakehouseTable source : sources) {
      TableVersion to = now.sources().get(source.name()).version();
      TableVersion from = continued ? last.get().sources().get(source.name()).version() : null;
      if (!to.equals(from)) {
        Dataset<Row> rows = (from == null ? source.readAt(spark, to) : source.readChanges(spark, from, to)).select(lit(1));
        read = read == null ? rows : read.union(rows);
      }
    }
    if (read != null) {
      context.read(read.count());
    }
    return OptionalLong.of(refresh(spark, last, now, restart, context));
  }

  /**
   * The version of each source the last refresh of an incremental gold table read (recorded with
   * its commit): the next refresh reads the sources' changes since, so their cleanup must keep what
   * those need. Empty for a full refresh, which reads only the sources' newest versions.
   */
  public static Map<TableName, TableVersion> sourceVersionsRead(SparkSession spark, TableSpec spec) {
    if (((LayerSpec.Gold) spec.layer()).refresh() != Refresh.INCREMENTAL) {
      return Map.of();
    }
    Map<TableName, TableVersion> read = new LinkedHashMap<>();
    LakehouseTable.of(spec).lastCommitNote(spark).flatMap(SourceVersions::decode)
        .ifPresent(v -> v.sources().forEach((name, entry) -> read.put(name, entry.version())));
    return read;
  }

  private Optional<SourceVersions> last(SparkSession spark) {
    return target.lastCommitNote(spark).flatMap(SourceVersions::decode);
  }

  /**
   * Brings the table to the sources' versions {@code now}; returns the rows written.
   *
   * @param last the versions its last refresh read, if it recorded them
   * @param restart why it cannot continue from {@code last} by reading the changes since; empty when it can
   */
  private long refresh(SparkSession spark, Optional<SourceVersions> last, SourceVersions now,
      Optional<SourceVersions.Restart> restart, BatchContext context) {
    Map<TableName, Dataset<Row>> atNow = at(spark, now); // every path reads the sources at these versions
    if (gold.refresh() == Refresh.INCREMENTAL) {
      // A top n merges the states of all the groups it ranks, then ranks them again.
      Optional<GoldQuery> unranked = query.unranked(spark);
      MergeableAggregate.Analysis m = MergeableAggregate.of(spark, unranked.orElse(query), atNow, target.keys());
      if (m.aggregate() != null) {
        return keeping(spark, new AggregateStates(spec, target, sources, m.aggregate(),
            unranked.isEmpty() ? null : rows -> ranked(spark, rows)).refresh(spark, last, now, atNow, restart, context),
            LakehouseTable.Kept.STATE);
      }
      LOG.info("{} refreshes by key, not by merging partial aggregates: {}", spec.name(), m.whyNot());
    }
    if (gold.refresh() == Refresh.INCREMENTAL) {
      ByKey byKey = query.unranked(spark).map(u -> new ByKey(u, target.keptBeside(LakehouseTable.Kept.UNRANKED), true))
          .orElse(new ByKey(query, target, false));
      LakehouseTable.Kept[] kept = byKey.ranked() ? new LakehouseTable.Kept[] {LakehouseTable.Kept.UNRANKED}
          : new LakehouseTable.Kept[0];
      Incremental outcome = restart.isPresent() ? new Incremental(0, restart.get())
          : refreshIncrementally(spark, last.get(), now, atNow, context, byKey);
      if (outcome.fullRefresh() == null) {
        return keeping(spark, outcome.rowsWritten(), kept);
      }
      logFullRefresh(LOG, spec.name(), "", outcome.fullRefresh());
      if (byKey.ranked()) {
        Dataset<Row> all = LakehouseSpark.materialize(byKey.query().evaluate(spark, atNow));
        checkKeysUnique(all);
        checkKeysNotNull(spec.name(), target, all);
        Dataset<Row> top = ranked(spark, all); // an ORDER BY that cannot rank them fails here, before any write
        // The rows it ranks first: a crash before the table's commit leaves notes that differ,
        // and the next refresh writes both again.
        byKey.table().overwrite(all, Optional.of(now.encode()));
        return keeping(spark, writeRanked(top, now, context), kept);
      }
    }
    Dataset<Row> result = LakehouseSpark.materialize(context.checked(query.evaluate(spark, atNow)));
    checkKeysNotNull(spec.name(), target, result);
    long n = LakehouseSpark.count(result);
    target.overwrite(result, Optional.of(now.encode()));
    return keeping(spark, n);
  }

  /**
   * Deletes what earlier refreshes kept beside the table for a path this one no longer takes (a
   * top n that now merges partial aggregates, a merge whose query gained a {@code max}, an
   * incremental table made full): unused, and stale if the path came back. Returns {@code written}.
   */
  private long keeping(SparkSession spark, long written, LakehouseTable.Kept... used) {
    for (LakehouseTable.Kept k : LakehouseTable.Kept.values()) {
      LakehouseTable kept = target.keptBeside(k);
      if (!List.of(used).contains(k) && kept.exists(spark)) {
        LOG.info("Deleting {}: {} no longer refreshes through it", kept, spec.name());
        kept.delete(spark);
      }
    }
    return written;
  }

  /**
   * Where a refresh by key replaces rows, and the query that gives them: the table itself, or for a
   * query that ends in ORDER BY ... LIMIT (a {@link dev.lakehouse.core.spec.TopN}) the rows it
   * ranks, kept in a table beside it and ranked again after each refresh.
   */
  private record ByKey(GoldQuery query, LakehouseTable table, boolean ranked) {}

  /** The top n of {@code unranked}, every row the query ranks. */
  private Dataset<Row> ranked(SparkSession spark, Dataset<Row> unranked) {
    try {
      return query.rank(spark, unranked);
    } catch (LakehouseException e) {
      throw new TableRunException(spec.name(), "Cannot refresh " + spec.name() + " incrementally: " + e.getMessage(), e);
    }
  }

  /** Replaces the table with {@code top}, its top n as of {@code now}. */
  private long writeRanked(Dataset<Row> top, SourceVersions now, BatchContext context) {
    Dataset<Row> rows = LakehouseSpark.materialize(context.checked(top));
    long n = LakehouseSpark.count(rows);
    target.overwrite(rows, Optional.of(now.encode()));
    return n;
  }

  /** The rows an incremental refresh wrote, or why it could not run (then the refresh is full). */
  private record Incremental(long rowsWritten, SourceVersions.Restart fullRefresh) {
    static Incremental impossible(String why) {
      return new Incremental(0, new SourceVersions.Restart(why, false));
    }
  }

  /** At WARN when the restart is {@link SourceVersions.Restart#unexpected}, else at INFO. */
  static void logFullRefresh(Logger log, TableName table, String how, SourceVersions.Restart restart) {
    log.atLevel(restart.unexpected() ? org.slf4j.event.Level.WARN : org.slf4j.event.Level.INFO)
        .log("Refreshing {} in full{}: {}", table, how, restart.reason());
  }

  /**
   * Replaces the rows of the keys that the sources' changes since {@code last} reach, in the table
   * or, for a top n, in the rows it ranks (then ranks them again).
   *
   * @param atNow each source at its version in {@code now}
   */
  private Incremental refreshIncrementally(SparkSession spark, SourceVersions last, SourceVersions now,
      Map<TableName, Dataset<Row>> atNow, BatchContext context, ByKey byKey) {
    if (byKey.ranked() && !(byKey.table().exists(spark)
        && byKey.table().lastCommitNote(spark).equals(target.lastCommitNote(spark)))) {
      return Incremental.impossible("the rows its ORDER BY ... LIMIT ranks, kept beside it, do not match its last commit");
    }
    LakehouseTable keyed = byKey.table();
    Dataset<Row> recomputed = byKey.query().evaluate(spark, atNow);
    checkKeysAreColumns(recomputed);
    LogicalPlan analysed = recomputed.queryExecution().analyzed();
    TouchedKeys.Found found = new TouchedKeys(spec.name(), sources, byKey.query(), target.keys(), keyed, analysed)
        .find(spark, last, now, atNow);
    if (found.whyFull() != null) {
      return Incremental.impossible(found.whyFull());
    }
    Dataset<Row> keys = found.keys();
    long touched = found.count();
    if (touched == 0) {
      // No key reached: the changes cancelled out (NetChanges), the query's filters or joins keep
      // them out of every row (the keys found by the query are none), or (a stream's signal) an
      // earlier refresh covered them. The commit of no rows still records the versions now, so the
      // next refresh starts from here instead of reading these changes again; a MERGE of no rows
      // would commit nothing.
      if (byKey.ranked()) {
        keyed.commitNote(spark, now.encode());
      }
      target.commitNote(spark, now.encode());
      LOG.info("Refreshing {} incrementally: its sources' changes reach no key", spec.name());
      return new Incremental(0, null);
    }
    Optional<String> most = TouchedKeys.most(touched, found.stored() >= 0 ? found.stored() : keyed.read(spark).count());
    if (most.isPresent()) {
      return Incremental.impossible(most.get());
    }
    Dataset<Row> rows = LakehouseSpark.materialize(KeyRestriction.of(recomputed, keys, target.keys()));
    checkKeysUnique(rows);
    checkKeysNotNull(spec.name(), target, rows);
    if (byKey.ranked()) {
      LOG.info("Refreshing {} incrementally: {} keys touched, {} of the rows it ranks recomputed", spec.name(), touched,
          LakehouseSpark.count(rows));
      keyed.replaceKeys(rows, keys, now.encode());
      return new Incremental(writeRanked(ranked(spark, keyed.read(spark)), now, context), null);
    }
    // The rules on the whole table judge it as the MERGE below leaves it, as a full refresh's would.
    rows = LakehouseSpark.materialize(context.checked(rows,
        kept -> target.readWithoutKeys(spark, keys).unionByName(kept)));
    long written = LakehouseSpark.count(rows);
    LOG.info("Refreshing {} incrementally: {} keys touched, {} rows recomputed{}", spec.name(), touched, written,
        found.readOff().isEmpty() ? "" : "; the keys of the changes of " + String.join(", ", found.readOff()) + " read off their rows");
    target.replaceKeys(rows, keys, now.encode());
    return new Incremental(written, null);
  }

  private void checkKeysAreColumns(Dataset<Row> rows) {
    List<String> columns = List.of(rows.columns());
    for (String k : target.keys()) {
      if (!columns.contains(k)) {
        throw new TableRunException(spec.name(), "Cannot refresh " + spec.name() + " incrementally: key column '" + k
            + "' is not a column of its query's result " + columns + "; set keys = [...] to the result's GROUP BY columns", null);
      }
    }
  }

  /**
   * Fails before anything is written when a key column of {@code rows}, to be written to the Hudi
   * table {@code target} by key, holds NULL: Hudi's record key must not be null, and its own error
   * ("Record key has to be non-null!") names neither the column nor the table. Delta matches keys
   * null-safely and needs no check.
   */
  static void checkKeysNotNull(TableName table, LakehouseTable target, Dataset<Row> rows) {
    if (target.formatKind() != FormatKind.HUDI) {
      return;
    }
    for (String k : target.keys()) {
      if (!rows.where(col("`" + k + "`").isNull()).isEmpty()) {
        throw new TableRunException(table, "Cannot refresh " + table + ": its key column '" + k + "' is NULL in a row of"
            + " its query's result, and a Hudi table keeps its rows by a non-null record key; give the NULL group a value"
            + " in the query (coalesce(" + k + ", '<none>') AS " + k + "), or make it refresh = full without keys", null);
      }
    }
  }

  private void checkKeysUnique(Dataset<Row> rows) {
    Column[] keys = target.keys().stream().map(k -> col("`" + k + "`")).toArray(Column[]::new);
    List<Row> dup = rows.groupBy(keys).count().where(col("count").gt(1)).limit(1).collectAsList();
    if (!dup.isEmpty()) {
      throw new TableRunException(spec.name(), "Cannot refresh " + spec.name() + " incrementally: its keys "
          + target.keys() + " are not unique in the query's result (" + dup.get(0) + " more than once);"
          + " set keys = [...] to the result's GROUP BY columns", null);
    }
  }

  private SourceVersions currentVersions(SparkSession spark) {
    Map<TableName, SourceVersions.Entry> versions = new LinkedHashMap<>();
    for (LakehouseTable source : sources) {
      TableVersion v = source.currentVersion(spark).orElseThrow(() -> new TableRunException(spec.name(),
          "Cannot refresh " + spec.name() + ": its source " + source.name() + " has no data yet; run it first", null));
      versions.put(source.name(), new SourceVersions.Entry(v, source.commitId(spark, v).orElse(v.id())));
    }
    return new SourceVersions(spec.specHash(), Optional.of(spark.sessionState().conf().sessionLocalTimeZone()), versions);
  }

  private Map<TableName, Dataset<Row>> at(SparkSession spark, SourceVersions versions) {
    Map<TableName, Dataset<Row>> bound = new LinkedHashMap<>();
    for (LakehouseTable source : sources) {
      bound.put(source.name(), source.readAt(spark, versions.sources().get(source.name()).version()));
    }
    return bound;
  }
}
