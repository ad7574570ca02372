package dev.lakehouse.core.spec;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Locale;
import java.util.Optional;

/**
 * When and how an orchestrator (Airflow) runs the pipeline: {@code pipeline.schedule { ... }}.
 * The framework itself never schedules; {@code bin/lakehouse airflow-dag} turns this into a DAG.
 *
 * @param cron a cron expression or an Airflow preset such as {@code @daily}; empty: run only when triggered
 * @param retries how often a failed task is retried
 * @param retryDelay the wait before a retry
 * @param startDate the first date the schedule covers (runs before it are never made up: no catch-up)
 * @param tasks one orchestrator task per table or per layer
 * @param maintenance whether a scheduled run ends with {@code maintain --all}
 */
public record ScheduleSpec(Optional<String> cron, int retries, Duration retryDelay, LocalDate startDate, Tasks tasks,
    Maintenance maintenance) {
  /** What a pipeline without a {@code schedule} block gets. */
  public static final ScheduleSpec DEFAULT = new ScheduleSpec(Optional.empty(), 0, Duration.ofMinutes(5), LocalDate.of(2025, 1, 1),
      Tasks.TABLE, Maintenance.AFTER_EACH_RUN);

  /** The unit of an orchestrator task. */
  public enum Tasks {
    /** One task per table: a failure stops only what reads that table; retries redo one table. */
    TABLE,
    /** One task per layer: fewer Spark applications to start. */
    LAYER;

    public String id() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** When the orchestrator maintains the pipeline's tables (compaction, cleanup: {@code bin/lakehouse maintain}). */
  public enum Maintenance {
    /**
     * A last task, once every table's task has succeeded: the tables are maintained while no run
     * of the pipeline writes them (a table under a run's lease would be left for next time).
     */
    AFTER_EACH_RUN,
    /** None: the deployment runs {@code maintain} itself, or never. */
    NONE
  }
}
