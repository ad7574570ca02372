package dev.lakehouse.core.spec;

import java.util.List;

/**
 * How a silver table's input carries changes (its {@code cdc} block): each input row is an insert,
 * update or delete of one key ({@link Debezium}, {@link OperationColumn}), or one row of a full
 * snapshot whose differences from the snapshot before are the changes ({@link Snapshot}); changes
 * are applied in the order of the table's sequence.
 */
public sealed interface CdcSpec {
  /** The column that marks a row as the delete of its key. */
  String DELETED = "_deleted";
  /** The Debezium operation ({@code c}, {@code r}, {@code u}, {@code d}) a row came from. */
  String OPERATION = "_cdc_op";
  /** The PostgreSQL log position of a Debezium change: the default sequence of such tables. */
  String LSN = "_cdc_lsn";
  /** When the source database committed a Debezium change. */
  String COMMITTED_AT = "_cdc_committed_at";

  /**
   * Debezium's change event envelope ({@code format = debezium}): {@code op} ({@code c}, {@code r},
   * {@code u}, {@code d}), {@code before}, {@code after} and {@code source.lsn}, as a bronze table
   * holds them when it parses the events with a declared schema. Tombstones are ignored; the
   * sequence defaults to the log position, which orders every change of a key as it was committed.
   */
  record Debezium() implements CdcSpec {}

  /**
   * Flat rows with an operation column ({@code format = operation-column}): a row whose operation
   * is one of {@code deleteValues} deletes its key, any other row inserts or updates it. The
   * operation column itself is not written to the table.
   */
  record OperationColumn(String column, List<String> deleteValues) implements CdcSpec {}

  /**
   * Full snapshots of the source table ({@code format = snapshot}): each value of the table's
   * {@code sequence-by} column names one whole snapshot, and a snapshot is compared with the one
   * before it: a key it lacks is deleted, a new or different row is an upsert, an unchanged row is
   * nothing. No snapshot may delete more than {@code maxDeletedFraction} of the keys the snapshot
   * before it held (a truncated extract must not empty the table); the snapshots whose value (as
   * text) is in {@code ignoreSnapshots} are left out, as if they had never landed.
   */
  record Snapshot(double maxDeletedFraction, List<String> ignoreSnapshots) implements CdcSpec {
    /** Half the keys: more looks like a partial extract rather than a business change. */
    public static final double DEFAULT_MAX_DELETED_FRACTION = 0.5;
  }
}
