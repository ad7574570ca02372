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
 * What a gold commit was computed from: the spec's hash, the session time zone and, per source,
 * the version read and the commit id that proves the version still means the same data. Stored as
 * the commit's note, so it is committed atomically with the rows it describes.
 *
 * <p>The time zone is part of it because a query's answer depends on it (a day or month grain of a
 * timestamp, {@code date_format}, a cast of a timestamp to a date or a string), while its text and
 * its sources do not change with it: rows refreshed after a change of zone would bucket by the new
 * zone beside stored rows of the old.
 *
 * <p>Text form: {@code gold/1 spec=<hash> tz=<zone> silver.orders=<version>@<commitId> ...}; notes of
 * earlier versions have no {@code tz=}, and their zone is unknown.
 */
record SourceVersions(String specHash, Optional<String> timeZone, Map<TableName, Entry> sources) {
  private static final String HEADER = "gold/1";
  private static final String TIME_ZONE = "tz=";

  record Entry(TableVersion version, String commitId) {}

  String encode() {
    StringBuilder out = new StringBuilder(HEADER).append(" spec=").append(specHash);
    timeZone.ifPresent(zone -> out.append(' ').append(TIME_ZONE).append(zone));
    sources.forEach((name, e) -> out.append(' ').append(name).append('=').append(e.version().id())
        .append('@').append(e.commitId()));
    return out.toString();
  }

  /**
   * Why a refresh cannot continue from the last one by reading the sources' changes since.
   *
   * @param unexpected not the user's doing (an edited spec, a full refresh) nor a first refresh: a
   *     source's own cleanup removed what the changes needed, say; worth a warning, since it costs
   *     a full refresh and may recur (keep more history, or refresh more often)
   */
  record Restart(String reason, boolean unexpected) {
    static Optional<Restart> because(String reason) {
      return Optional.of(new Restart(reason, false));
    }
  }

  /**
   * Why a refresh at {@code now} cannot continue from {@code last} (the versions the last refresh
   * recorded, if any): there is none, the spec changed, or a source's recorded version is gone,
   * means other data now, or its files were cleaned. Empty when it can.
   */
  static Optional<Restart> restart(Optional<SourceVersions> last, SourceVersions now, SparkSession spark,
      List<LakehouseTable> tables) {
    if (last.isEmpty()) {
      return Restart.because("it has no recorded source versions yet");
    }
    if (!last.get().specHash().equals(now.specHash())) {
      return Restart.because("its spec changed since the last refresh");
    }
    if (!last.get().timeZone().equals(now.timeZone())) {
      return Restart.because(timeZoneChange(last.get(), now));
    }
    for (LakehouseTable source : tables) {
      Entry before = last.get().sources().get(source.name());
      if (before == null) {
        return Restart.because(source.name() + " was not read by the last refresh");
      }
      if (!stillHas(spark, source, before)) {
        return Restart.because(source.name() + " no longer has the version " + before.version()
            + " the last refresh read (it was re-created or its log cleaned)");
      }
      Optional<String> cleaned = source.historyCleanedAfter(spark, before.version());
      if (cleaned.isPresent()) {
        return Optional.of(new Restart(source.name() + "'s history since the last refresh was cleaned: " + cleaned.get()
            + ". To keep refreshing incrementally, refresh more often than the cleanup runs, or keep more history"
            + " (delta.deletedFileRetentionDuration, hoodie.clean.commits.retained)", true));
      }
    }
    return Optional.empty();
  }

  /**
   * Whether {@code now} holds the data this recorded: the same spec, and each source at the same
   * version or at a later one whose commits since changed no row (Delta's {@code VACUUM} and
   * {@code OPTIMIZE} commit too). A refresh then has nothing to do, and writes nothing.
   */
  boolean sameDataAs(SourceVersions now, SparkSession spark, List<LakehouseTable> tables) {
    if (equals(now)) {
      return true;
    }
    if (!specHash.equals(now.specHash()) || !timeZone.equals(now.timeZone())
        || !sources.keySet().equals(now.sources().keySet())) {
      return false;
    }
    for (LakehouseTable source : tables) {
      Entry before = sources.get(source.name());
      TableVersion after = now.sources().get(source.name()).version();
      if (!before.version().equals(after)
          && (!stillHas(spark, source, before) || source.changesData(spark, before.version(), after))) {
        return false;
      }
    }
    return true;
  }

  private static String timeZoneChange(SourceVersions last, SourceVersions now) {
    return "the session time zone (spark.sql.session.timeZone) is " + now.timeZone().orElse("unknown")
        + " and was " + last.timeZone().orElse("not recorded") + " at the last refresh, so stored rows of a"
        + " time grain or a formatted timestamp may be of the other zone";
  }

  /** Whether {@code source} still has the version {@code recorded} names, with the same data (not re-created). */
  private static boolean stillHas(SparkSession spark, LakehouseTable source, Entry recorded) {
    return source.commitId(spark, recorded.version()).equals(Optional.of(recorded.commitId()));
  }

  /** Empty for a note this class did not write (or an older layout): the refresh then starts over. */
  static Optional<SourceVersions> decode(String note) {
    String[] parts = note.trim().split(" ");
    if (parts.length < 2 || !parts[0].equals(HEADER) || !parts[1].startsWith("spec=")) {
      return Optional.empty();
    }
    int first = 2;
    Optional<String> timeZone = Optional.empty();
    if (parts.length > first && parts[first].startsWith(TIME_ZONE)) {
      timeZone = Optional.of(parts[first++].substring(TIME_ZONE.length()));
    }
    Map<TableName, Entry> sources = new LinkedHashMap<>();
    for (int i = first; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      int at = parts[i].indexOf('@', eq);
      TableName name = eq < 0 ? null : TableName.parse(parts[i].substring(0, eq));
      if (name == null || at < 0) {
        return Optional.empty();
      }
      sources.put(name, new Entry(new TableVersion(parts[i].substring(eq + 1, at)), parts[i].substring(at + 1)));
    }
    return Optional.of(new SourceVersions(parts[1].substring("spec=".length()), timeZone, sources));
  }
}
