package dev.lakehouse.gold;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys of a gold table (or of the rows its top n ranks) that the sources' changes since its
 * last refresh reach: every key whose row differs, and maybe a few more, which recomputing leaves
 * as they were. A source whose change rows carry the keys gives them directly ({@link
 * KeyLineage}); the keys of any other source's changes are found by running the query over them
 * ({@link AffectedKeys}). Read off, the keys are those of every change row, also of rows that the
 * query's joins leave out; when they are most of the table's, the query over the changes finds
 * them instead (most of TPC-H Q3's new orders reach no row: another segment, no line shipped
 * later), unless nothing in the query can leave out more of those changes than their own
 * conditions, which they already meet: then the refresh goes full at once. Either way a source's
 * change rows are first cut to those the query can see ({@link SourceConditions}) and to the
 * columns it reads, where an update that leaves those as they were cancels out ({@link NetChanges}).
 */
final class TouchedKeys {
  private static final Logger LOG = LoggerFactory.getLogger(TouchedKeys.class);
  /** The share of a table's keys beyond which an incremental refresh by key recomputes everything instead. */
  private static final double MOST = 0.5;

  private final TableName table;
  private final List<LakehouseTable> sources;
  private final GoldQuery query;
  private final List<String> keyColumns;
  private final LakehouseTable keyed;
  private final LogicalPlan analysed;

  /**
   * @param keyed where the keys' rows are kept: the table, or the rows its top n ranks
   * @param analysed the query's analysed plan over the sources as they are now
   */
  TouchedKeys(TableName table, List<LakehouseTable> sources, GoldQuery query, List<String> keyColumns, LakehouseTable keyed,
      LogicalPlan analysed) {
    this.table = table;
    this.sources = sources;
    this.query = query;
    this.keyColumns = keyColumns;
    this.keyed = keyed;
    this.analysed = analysed;
  }

  /**
   * The keys found.
   *
   * @param keys the distinct keys, stored; null when there are none
   * @param count how many
   * @param stored the rows of the keyed table, when they were counted on the way; -1 otherwise
   * @param readOff the sources whose keys were read off their change rows
   * @param whyFull why the keys cannot be found and the refresh must be full (then the rest is empty); null otherwise
   */
  record Found(Dataset<Row> keys, long count, long stored, List<String> readOff, String whyFull) {
    Found(Dataset<Row> keys, long count, long stored, List<String> readOff) {
      this(keys, count, stored, readOff, null);
    }

    static Found full(String why) {
      return new Found(null, 0, -1, List.of(), why);
    }
  }

  /** The keys that the changes from the versions {@code last} to {@code now} reach; {@code atNow} binds the sources at now. */
  Found find(SparkSession spark, SourceVersions last, SourceVersions now, Map<TableName, Dataset<Row>> atNow) {
    // First the sources whose change rows carry the keys themselves (no join with the others): they
    // cost little, and when they reach fewer than half the keys, no join of theirs is paid for.
    Dataset<Row> affected = null;
    List<LakehouseTable> joined = new ArrayList<>();
    List<String> readOff = new ArrayList<>();
    for (LakehouseTable source : sources) {
      TableVersion from = last.sources().get(source.name()).version();
      TableVersion to = now.sources().get(source.name()).version();
      if (from.equals(to)) {
        continue;
      }
      Optional<List<Column>> lineage = KeyLineage.of(analysed, source.name(), keyColumns);
      if (lineage.isEmpty()) {
        joined.add(source);
        continue;
      }
      readOff.add(source.name().toString());
      Dataset<Row> keys = NetChanges.of(seenChanges(spark, source, from, to), analysed, source.name())
          .select(lineage.get().toArray(Column[]::new));
      affected = affected == null ? keys : affected.union(keys);
    }
    long stored = -1;
    long touched = -1; // of the distinct keys in affected, when counted
    if (affected != null && sources.size() > 1) {
      affected = LakehouseSpark.materialize(affected.distinct());
      touched = LakehouseSpark.count(affected);
      // No key touched needs no count of the table's rows (the refresh writes nothing).
      stored = touched == 0 ? -1 : keyed.read(spark).count();
      if (touched > 0 && most(touched, stored).isPresent()) {
        List<TableName> readOffTables = sources.stream().map(LakehouseTable::name)
            .filter(n -> readOff.contains(n.toString())).toList();
        if (!SourceConditions.leavesOutMore(analysed, readOffTables)) {
          // The query over the changes would reach about as many keys, after joins with the other
          // sources that cost as much as the full refresh these keys already call for (revenue per
          // order date: 1 % more orders reach nearly every date). More keys from the other sources'
          // changes would not make them fewer.
          LOG.info("{}: the keys read off the changes of {} are {} of its {} rows, more than half, and its query"
              + " leaves out no more of those changes than their own conditions do", table, readOff, touched, stored);
          return new Found(affected, touched, stored, readOff);
        }
        // Read off a source's rows, the keys are those of all its changes, also of those that join
        // with nothing in the other sources (a new order of another segment, or whose line items the
        // query's conditions leave out). The query over the changes gives only the keys they reach.
        LOG.info("{}: the keys read off the changes of {} are {} of its {} rows, more than half; finding those its"
            + " query reaches instead", table, readOff, touched, stored);
        sources.stream().filter(s -> readOff.contains(s.name().toString())).forEach(joined::add);
        readOff.clear();
        affected = null;
        touched = -1;
      }
    }
    if (!joined.isEmpty()) {
      for (LakehouseTable source : joined) {
        // Before any change is read: a query the changes cannot be run through needs a full refresh.
        Optional<String> why = AffectedKeys.whyNot(spark, query, analysed, source.name());
        if (why.isPresent()) {
          return Found.full("the keys the changes of " + source.name() + " reach cannot be found from them: " + why.get());
        }
      }
      Map<TableName, Dataset<Row>> atLast = new LinkedHashMap<>();
      for (LakehouseTable source : sources) {
        atLast.put(source.name(), source.readAt(spark, last.sources().get(source.name()).version()));
      }
      AffectedKeys byQuery = new AffectedKeys(query, keyColumns, analysed);
      for (int i = 0; i < joined.size(); i++) {
        LakehouseTable source = joined.get(i);
        Dataset<Row> changes = LakehouseSpark.materialize(NetChanges.of(seenChanges(spark, source,
            last.sources().get(source.name()).version(), now.sources().get(source.name()).version()),
            analysed, source.name()));
        Dataset<Row> keys = byQuery.of(spark, source.name(), changes, atNow, atLast);
        if (keys != null) {
          affected = affected == null ? keys : affected.union(keys);
          touched = -1;
        }
        if (affected != null && touched < 0 && i < joined.size() - 1) {
          // Before the next source's join is paid for: once most keys are reached, it changes nothing.
          affected = LakehouseSpark.materialize(affected.distinct());
          touched = LakehouseSpark.count(affected);
          stored = stored >= 0 ? stored : keyed.read(spark).count();
          if (most(touched, stored).isPresent()) {
            break;
          }
        }
      }
    }
    Dataset<Row> keys = affected == null || touched >= 0 ? affected : LakehouseSpark.materialize(affected.distinct());
    if (touched < 0) {
      touched = keys == null ? 0 : LakehouseSpark.count(keys);
    }
    return new Found(keys, touched, stored, readOff);
  }

  /** Why a refresh by key would cost more than a full one, if {@code touched} keys are most of the {@code stored}. */
  static Optional<String> most(long touched, long stored) {
    // Recomputing most keys reads everything a full refresh reads, then merges instead of replacing.
    return touched > stored * MOST ? Optional.of("the changes reach " + touched + " keys of its " + stored
        + " rows, more than half; a full refresh costs less") : Optional.empty();
  }

  /** The source's change rows from {@code from} to {@code to} that meet the query's conditions on its own rows. */
  private Dataset<Row> seenChanges(SparkSession spark, LakehouseTable source, TableVersion from, TableVersion to) {
    return source.readChanges(spark, from, to).where(SourceConditions.of(analysed, source.name()));
  }
}
