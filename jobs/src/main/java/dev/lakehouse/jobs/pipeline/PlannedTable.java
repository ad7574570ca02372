package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import java.util.List;

/**
 * One step of a plan: a table, what it reads and what a run would do to it.
 *
 * @param step 1-based position in run order
 */
public record PlannedTable(int step, TableName table, FormatKind format, List<TableName> reads, String action, String location) {}
