package dev.lakehouse.core.spec;

import java.time.Duration;
import java.util.List;

/**
 * What {@code bin/lakehouse maintain} does to a table: compact its small files, then delete the
 * files no version it still keeps refers to.
 *
 * @param keepHistory how long a replaced file is kept at least (time travel, queries that started
 *     before the maintenance); files the pipeline's own readers still need are kept longer, however
 *     short this is
 * @param optimize whether to compact small files first (Delta {@code OPTIMIZE})
 * @param zOrderBy columns to cluster the compacted files by (Delta {@code OPTIMIZE ... ZORDER BY});
 *     empty for a plain compaction
 * @param every how long after its last maintenance (in the run log) {@code maintain} leaves a table
 *     alone; zero: each {@code maintain} maintains it. A pipeline scheduled every few minutes whose
 *     DAG maintains after each run compacts once a day with {@code 1 day}
 */
public record Maintenance(Duration keepHistory, boolean optimize, List<String> zOrderBy, Duration every) {
  /** Delta's own default retention: a week of history; maintained whenever asked. */
  public static final Maintenance DEFAULT = new Maintenance(Duration.ofDays(7), true, List.of(), Duration.ZERO);

  public Maintenance {
    zOrderBy = List.copyOf(zOrderBy);
  }
}
