package dev.lakehouse.core.config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.internal.config.ConfigEntry;
import org.apache.spark.internal.config.ConfigEntry$;

/**
 * Checks the names in {@code lakehouse.spark.conf}: Spark takes any {@code spark.*} name and ignores
 * one it does not know, so {@code spark.sql.shuffle.partition = 8} would change nothing and say
 * nothing. Every setting Spark, its SQL engine and Delta declare is registered, by its name, with
 * Spark's {@code ConfigEntry}; a name that is not, but is a letter or two from one that is, is
 * taken for a misspelling and refused. A name far from every registered one is let through:
 * families such as {@code spark.hadoop.*} or {@code spark.sql.catalog.<name>}, and the settings of
 * modules not on this class path (YARN, Kubernetes), are not registered either.
 */
final class SparkSettingNames {
  /** Where Spark and Delta declare their settings: each registers its own as it loads. */
  private static final String[] DECLARING = {
      "org.apache.spark.internal.config.package$", "org.apache.spark.internal.config.UI$",
      "org.apache.spark.internal.config.Network$", "org.apache.spark.internal.config.Kryo$",
      "org.apache.spark.internal.config.Python$", "org.apache.spark.internal.config.Status$",
      "org.apache.spark.internal.config.Streaming$", "org.apache.spark.internal.config.Deploy$",
      "org.apache.spark.internal.config.Worker$", "org.apache.spark.internal.config.History$",
      "org.apache.spark.sql.internal.SQLConf$", "org.apache.spark.sql.internal.StaticSQLConf$",
      "org.apache.spark.sql.delta.sources.DeltaSQLConf$"};
  /** At most this many edits from a registered name is a misspelling of it. */
  private static final int MISSPELT = 2;

  private SparkSettingNames() {}

  /** Reports each name of {@code values} that is a near miss of a registered setting, at its line in {@code conf}. */
  static void check(SpecReader conf, Map<String, String> values) {
    Set<String> registered = null;
    for (String name : values.keySet()) {
      if (!name.startsWith("spark.") || ConfigEntry$.MODULE$.findEntry(name) != null) {
        continue; // not Spark's (Spark passes on, with a warning, only spark.* names), or known
      }
      if (registered == null) {
        registered = registered();
      }
      if (registered.contains(name)) {
        continue;
      }
      Optional<String> near = ReaderOptions.suggestion(name, registered, MISSPELT);
      if (near.isPresent()) {
        conf.problem(name, "Cannot use the Spark setting '" + name + "': Spark has no setting of that name and would ignore it;"
            + " did you mean '" + near.get() + "'?");
      }
    }
  }

  /** Every registered setting's name and its older names. */
  private static Set<String> registered() {
    for (String declaring : DECLARING) {
      try {
        Class.forName(declaring).getField("MODULE$").get(null);
      } catch (ReflectiveOperationException | LinkageError absent) {
        // not on this class path (Delta outside the format modules): its names are not checked
      }
    }
    Set<String> names = new TreeSet<>();
    for (ConfigEntry<?> e : ConfigEntry$.MODULE$.knownConfigs().values()) {
      names.add(e.key());
      names.addAll(scala.collection.JavaConverters.seqAsJavaList(e.alternatives()));
    }
    return names;
  }
}
