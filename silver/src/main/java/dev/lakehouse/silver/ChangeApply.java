package dev.lakehouse.silver;

import dev.lakehouse.core.run.BatchContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Writes one micro-batch of {@link ChangeRows change rows} into a silver table as its
 * {@code write} mode says (append, SCD type 1, SCD type 2). Implementations dedupe by key and
 * sequence (within the batch and against what the table holds), guard key integrity, and commit
 * atomically; applying the same change rows again changes nothing.
 */
public interface ChangeApply {
  /**
   * @param changes the table's columns, the sequence column and optionally {@link ChangeRows#DELETED}
   * @return the number of rows written to the table
   * @throws dev.lakehouse.core.errors.LakehouseException when keys are null or ambiguous and the
   *     table does not quarantine them; nothing is written then
   */
  long apply(Dataset<Row> changes, BatchContext context);
}
