package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.TableName;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkThrowable;
import org.apache.spark.sql.streaming.StreamingQueryException;

/**
 * What a failed table run reports (its {@code error} in the run log and on the console): the
 * framework's own message when it gave one, else the engine's first line, with what to do for the
 * engine's errors a user can act on.
 */
final class FailureMessage {
  private static final String SCHEMA_CHANGED = "The source table's columns changed in a way a stream cannot read"
      + " past (a column dropped, renamed or retyped). Run %s with --full-refresh to read the source anew as it is now";

  /**
   * What to do after the engine's errors, by error class; {@code %s} is the table. Delta's own
   * advice for these (a stream option, a fresh checkpoint) is not the framework's way out.
   */
  private static final Map<String, String> ADVICE = Map.of(
      // The plain Delta source (a table without its change data feed) meets a commit that changed rows.
      "DELTA_SOURCE_TABLE_IGNORE_CHANGES", "The source table does not record its change data feed, so only rows"
          + " appended to it can be read. Turn it on where the table is written (ALTER TABLE delta.`<path>` SET"
          + " TBLPROPERTIES (delta.enableChangeDataFeed = true)), then run %s with --full-refresh to read the table"
          + " anew, its changes from then on included",
      // The feed is read from a version that did not record it.
      "DELTA_MISSING_CHANGE_DATA", "The source table's change data feed was turned on after %s began reading it, or"
          + " was turned off; run %1$s with --full-refresh to read the table anew from its current version",
      // A column dropped, renamed or retyped at the source (an added one meets bronze's schema-drift
      // policy; in stream mode the stream starts again with it): every DELTA_SCHEMA_CHANGED* class.
      "DELTA_SCHEMA_CHANGED", SCHEMA_CHANGED);

  /** The advice for an error class, its variants included (DELTA_SCHEMA_CHANGED_WITH_VERSION, ...); null when none. */
  private static String adviceFor(String errorClass) {
    return ADVICE.entrySet().stream().filter(e -> errorClass.startsWith(e.getKey())).map(Map.Entry::getValue)
        .findFirst().orElse(null);
  }

  /** Where Delta's message names the source table. */
  private static final Pattern SOURCE_PATH = Pattern.compile("found at path (\\S+?)\\.?$");

  private FailureMessage() {}

  static String of(TableName table, Throwable e) {
    Throwable t = e;
    while (t instanceof StreamingQueryException && t.getCause() != null) {
      t = t.getCause();
    }
    // Spark wraps errors of foreachBatch functions; the first LakehouseException says it best.
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof LakehouseException) {
        return c.getMessage();
      }
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.io.FileNotFoundException) {
        return missingFile(c.getMessage());
      }
      String advice = c instanceof SparkThrowable st && st.getErrorClass() != null ? adviceFor(st.getErrorClass()) : null;
      if (advice != null) {
        return advised(c.getMessage(), advice.formatted(table));
      }
      if (String.valueOf(c.getMessage()).contains("\"failOnDataLoss\"")) {
        Throwable deepest = c; // Spark's "Job aborted" quotes its task's error, which says it plainly
        for (Throwable d = c.getCause(); d != null; d = d.getCause()) {
          deepest = String.valueOf(d.getMessage()).contains("\"failOnDataLoss\"") ? d : deepest;
        }
        return kafkaDataLoss(table, deepest.getMessage());
      }
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
  }

  /**
   * Delta's first sentence (the version) on one line, where the source table is, and the advice,
   * with the table's path in its statement when Delta named it.
   */
  private static String advised(String message, String advice) {
    String raw = String.valueOf(message);
    int schemas = raw.indexOf(":\n"); // a schema change's message goes on with both schemas, column by column
    String m = raw.replaceAll("\\s+", " ").trim();
    int end = m.indexOf(". ");
    String lead = schemas > 0 ? raw.substring(0, schemas).replaceAll("\\s+", " ").trim() + "."
        : end < 0 ? m : m.substring(0, end + 1);
    Matcher path = SOURCE_PATH.matcher(m);
    boolean named = path.find();
    return lead + (named ? " The source table is at " + path.group(1) + "." : "")
        + " " + advice.replace("<path>", named ? path.group(1) : "<its path>");
  }

  /**
   * Spark's Kafka source found offsets the checkpoint points to gone from Kafka (no error class in
   * Spark 3.5; its text names the option). Its own advice, the option, is one way on; a rebuild the other.
   */
  private static String kafkaDataLoss(TableName table, String message) {
    String m = String.valueOf(message).replaceAll("\\s+", " ").trim();
    int end = m.indexOf(". ");
    return (end < 0 ? m : m.substring(0, end + 1)) + " Kafka no longer holds messages " + table + " had yet to read:"
        + " the topic's retention deleted them, or the topic was deleted or re-created, before this table read them."
        + " To go on from the oldest message Kafka holds, accepting the loss, run it once with"
        + " options { failOnDataLoss = \"false\" } in its source block (then remove it); or run it with --full-refresh"
        + " to read the topic anew from its starting-offsets";
  }

  /**
   * A file the run needed is gone. Most often a source's own cleanup (Delta {@code VACUUM}, Hudi's
   * cleaner, after bronze's {@code retention} deleted rows) removed files of commits this table had
   * yet to read, because it fell behind by more than the cleanup keeps: its stream cannot go on from
   * where it stopped, and a rebuild from what the sources hold now can.
   */
  private static String missingFile(String message) {
    String m = message == null ? "" : message.lines().findFirst().orElse("");
    int end = m.indexOf(". ");
    String what = end > 0 ? m.substring(0, end + 1) : m.isEmpty() ? "A file is missing." : m;
    return what + " A source's cleanup (Delta VACUUM, Hudi's cleaner) removed files this table had yet to read,"
        + " or the file was deleted by hand. If the source's current version is intact, run this table with"
        + " --full-refresh to rebuild it from what its sources hold now; to avoid it, run it more often than the"
        + " sources are cleaned, or keep their history longer";
  }
}
