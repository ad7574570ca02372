package dev.lakehouse.jobs.docs;

import dev.lakehouse.core.spec.TableSpec;
import java.util.List;
import java.util.Optional;

/**
 * What the catalog says about one table: its spec, its columns as stored (or as declared, before
 * the first run), its current version, and its latest run.
 *
 * @param columnsDeclared true when the table does not exist yet and the columns are the declared source schema
 */
record TableDoc(TableSpec spec, String owner, List<Column> columns, boolean columnsDeclared,
    Optional<String> version, Optional<LatestRun> latestRun, List<String> readBy) {

  /** A column: name and Spark SQL type from the table, description and classification from the spec. */
  record Column(String name, String type, boolean nullable, Optional<String> description, Optional<String> classification) {}

  /** The newest row of {@code _lakehouse.runs} for the table, and how many runs it has had. */
  record LatestRun(String runId, String status, String startedAt, double seconds, long rowsRead, long rowsWritten,
      long rowsQuarantined, Optional<String> targetVersion, Optional<String> error, long runs) {}
}
