package dev.lakehouse.gold;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.spec.TableName;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;

/**
 * What a gold commit was computed from: the spec's hash and, per source, the version read and the
 * commit id that proves the version still means the same data. Stored as the commit's note, so it
 * is committed atomically with the rows it describes.
 *
 * <p>Text form: {@code gold/1 spec=<hash> silver.orders=<version>@<commitId> ...}.
 */
record SourceVersions(String specHash, Map<TableName, Entry> sources) {
  private static final String HEADER = "gold/1";

  record Entry(TableVersion version, String commitId) {}

  String encode() {
    StringBuilder out = new StringBuilder(HEADER).append(" spec=").append(specHash);
    sources.forEach((name, e) -> out.append(' ').append(name).append('=').append(e.version().id())
        .append('@').append(e.commitId()));
    return out.toString();
  }

  /**
   * Why a refresh at {@code now} cannot continue from this one by reading the sources' changes
   * since: the spec changed, or a source's recorded version is gone or means other data now.
   * Empty when it can.
   */
  Optional<String> whyNotContinuedBy(SourceVersions now, SparkSession spark, List<LakehouseTable> tables) {
    if (!specHash.equals(now.specHash())) {
      return Optional.of("its spec changed since the last refresh");
    }
    for (LakehouseTable source : tables) {
      Entry before = sources.get(source.name());
      if (before == null) {
        return Optional.of(source.name() + " was not read by the last refresh");
      }
      if (!source.commitId(spark, before.version()).equals(Optional.of(before.commitId()))) {
        return Optional.of(source.name() + " no longer has the version " + before.version()
            + " the last refresh read (it was re-created or its history cleaned)");
      }
    }
    return Optional.empty();
  }

  /** Empty for a note this class did not write (or an older layout): the refresh then starts over. */
  static Optional<SourceVersions> decode(String note) {
    String[] parts = note.trim().split(" ");
    if (parts.length < 2 || !parts[0].equals(HEADER) || !parts[1].startsWith("spec=")) {
      return Optional.empty();
    }
    Map<TableName, Entry> sources = new LinkedHashMap<>();
    for (int i = 2; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      int at = parts[i].indexOf('@', eq);
      TableName name = eq < 0 ? null : TableName.parse(parts[i].substring(0, eq));
      if (name == null || at < 0) {
        return Optional.empty();
      }
      sources.put(name, new Entry(new TableVersion(parts[i].substring(eq + 1, at)), parts[i].substring(at + 1)));
    }
    return Optional.of(new SourceVersions(parts[1].substring("spec=".length()), sources));
  }
}
