package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.FileFormat;
import dev.lakehouse.core.spec.SourceSpec;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.apache.spark.sql.catalyst.DataSourceOptions;

/**
 * Checks a source's {@code options} against the options its reader knows: Spark ignores an option
 * it does not know, and so do a JDBC driver and the Kafka consumer, so a misspelt {@code heder},
 * {@code maxFilesPerTriger}, {@code fechsize} or {@code kafka.sesion.timeout.ms} would change
 * nothing and say nothing. The names come from the readers' own lists where they have one: Spark's
 * {@link DataSourceOptions} (CSV, JSON, Parquet, text, Avro, the file index) and its JDBC options,
 * the JDBC driver's {@link Driver#getPropertyInfo}, the Kafka consumer's {@code ConfigDef}. The file
 * stream source and the Kafka source keep theirs in code only, so they are listed: here, and in
 * {@link SourceSpec.Kafka#SPARK_OPTIONS}.
 */
final class ReaderOptions {
  /** Spark's {@code FileStreamOptions} and {@code FileSourceOptions}, which have no list of their own. */
  private static final Set<String> FILE_STREAM = Set.of("maxFilesPerTrigger", "latestFirst", "fileNameOnly", "maxFileAge",
      "cleanSource", "sourceArchiveDir", "maxCachedFiles", "discardCachedInputRatio", "ignoreCorruptFiles", "path");
  private static final String FILE_INDEX = "org.apache.spark.sql.execution.datasources.FileIndexOptions$";
  /**
   * Options Spark's readers know that bronze cannot honour: it parses records itself, PERMISSIVE,
   * and replaces these, so {@code mode = DROPMALFORMED} or {@code FAILFAST} would be read as
   * PERMISSIVE without a word. Each with why and what to set instead.
   */
  private static final Map<String, String> BAD_RECORD_OPTIONS = Map.of(
      "mode", "bronze parses every record itself (PERMISSIVE) and never drops a record that does not parse"
          + " (DROPMALFORMED) nor stops the run at it (FAILFAST): it goes where the table's bad-records says."
          + " Set bad-records = quarantine (the default: to the table's _quarantine table, its text in _raw) or"
          + " bad-records = rescue (kept in the table, its text in _rescued_data) on the table, and remove mode from options",
      "columnNameOfCorruptRecord", "bronze keeps the text of a record that does not parse itself, in _raw of the table's"
          + " _quarantine table (bad-records = quarantine, the default) or in _rescued_data (bad-records = rescue); set"
          + " bad-records on the table, and remove columnNameOfCorruptRecord from options");
  /** {@link #BAD_RECORD_OPTIONS} and the file stream's options that would skip files silently. */
  private static final Map<String, String> FILES_REFUSED = with(BAD_RECORD_OPTIONS, "fileNameOnly",
      "with it Spark's file stream takes a file whose name it has read before, in any folder, as read and skips it"
          + " without a word (day=2/orders.csv after day=1/orders.csv), and bronze's check that stops a run when a file it"
          + " read changed compares full paths, so it would not see them either; remove fileNameOnly (a file stream then"
          + " reads each full path once)");

  private ReaderOptions() {}

  /** Reports each option of {@code values} that the file reader of {@code format} does not know, at its line in {@code options}. */
  static void checkFiles(SpecReader options, FileFormat format, Map<String, String> values) {
    refuse(options, values, FILES_REFUSED);
    known(format).ifPresent(known -> values.keySet().stream().filter(k -> !known.contains(k) && refused(k, FILES_REFUSED).isEmpty()).forEach(k ->
        options.problem(k, unknown(k, "with " + format.id() + " files: Spark's " + format.id() + " reader does not know it and would ignore it",
            known))));
  }

  /**
   * Kafka source options: Spark's, the consumer's ({@code kafka.*}), and with JSON values, the
   * JSON reader's (they parse the values).
   */
  static void checkKafka(SpecReader options, boolean jsonValues, Map<String, String> values) {
    if (jsonValues) {
      refuse(options, values, BAD_RECORD_OPTIONS); // the JSON reader's: bronze parses the values itself
    }
    Optional<Set<String>> consumer = kafkaConsumerSettings();
    Optional<Set<String>> json = jsonValues ? known(FileFormat.JSON) : Optional.of(Set.of());
    if (consumer.isEmpty() || json.isEmpty()) {
      return; // Spark's Kafka source is not on the class path (outside the bronze module): nothing to compare with
    }
    for (String key : values.keySet()) {
      Optional<String> setting = SourceSpec.Kafka.consumerSetting(key);
      if (setting.isPresent()) {
        if (!consumer.get().contains(setting.get())) {
          options.problem(key, "Cannot use the option '" + key + "': the Kafka consumer has no setting '" + setting.get()
              + "' and would ignore it" + suggestion(setting.get(), consumer.get())
                  .map(s -> "; did you mean '" + SourceSpec.Kafka.CONSUMER_PREFIX + s + "'?")
                  .orElse("; see the consumer settings of Kafka's documentation"));
        }
      } else if (!SourceSpec.Kafka.SPARK_OPTIONS.contains(key) && !json.get().contains(key)
          && !(jsonValues && refused(key, BAD_RECORD_OPTIONS).isPresent())) {
        Set<String> all = caseInsensitive(SourceSpec.Kafka.SPARK_OPTIONS);
        all.addAll(json.get());
        options.problem(key, unknown(key, "with a Kafka source: Spark's Kafka source does not know it" + (jsonValues
            ? " (nor its JSON reader, which parses the values)" : "") + " and would ignore it", all));
      }
    }
  }

  /**
   * JDBC source options: Spark's JDBC options (case-insensitive), and the others, which Spark passes
   * to the driver as connection properties, by the names the driver gives ({@code getPropertyInfo};
   * PostgreSQL's list every property, and read them by their exact name).
   */
  static void checkJdbc(SpecReader options, String url, Map<String, String> values) {
    Optional<Set<String>> spark = sparkJdbcOptions();
    Optional<Driver> driver = driver(url);
    if (spark.isEmpty() || driver.isEmpty()) {
      return; // no driver for the URL here: Spark says so at the run
    }
    Set<String> properties = new TreeSet<>();
    try {
      for (DriverPropertyInfo p : driver.get().getPropertyInfo(url, new Properties())) {
        properties.add(p.name);
      }
    } catch (SQLException e) {
      return;
    }
    if (properties.isEmpty()) {
      return; // a driver that does not list its properties: nothing to compare with
    }
    String driverName = driver.get().getClass().getName();
    for (String key : values.keySet()) {
      if (!spark.get().contains(key) && !properties.contains(key)) {
        Set<String> all = caseInsensitive(spark.get());
        all.addAll(properties);
        options.problem(key, unknown(key, "with this JDBC source: neither Spark's JDBC reader nor the driver ("
            + driverName + ") knows it, and both would ignore it", all));
      }
    }
  }

  /** Reports each option of {@code values} that {@code refused} names (ignoring case, as Spark reads them), with why. */
  private static void refuse(SpecReader options, Map<String, String> values, Map<String, String> refused) {
    for (String key : values.keySet()) {
      refused(key, refused).ifPresent(why -> options.problem(key, "Cannot use the option '" + key + "': " + why));
    }
  }

  private static Optional<String> refused(String key, Map<String, String> refused) {
    return refused.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key)).map(Map.Entry::getValue).findFirst();
  }

  private static Map<String, String> with(Map<String, String> map, String key, String value) {
    Map<String, String> all = new java.util.HashMap<>(map);
    all.put(key, value);
    return Map.copyOf(all);
  }

  private static String unknown(String key, String why, Set<String> known) {
    return "Cannot use the option '" + key + "' " + why + suggestion(key, known).map(s -> "; did you mean '" + s + "'?")
        .orElse("; the options it knows are " + new TreeSet<>(known));
  }

  /** The known name nearest to {@code key}, when it is near enough to be a misspelling of it. */
  private static Optional<String> suggestion(String key, Set<String> known) {
    return suggestion(key, known, 3);
  }

  /** The known name nearest to {@code key} (ignoring case), when at most {@code edits} edits from it. */
  static Optional<String> suggestion(String key, Set<String> known, int edits) {
    LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
    String lower = key.toLowerCase(Locale.ROOT);
    return known.stream().min(Comparator.comparingInt(k -> distance.apply(k.toLowerCase(Locale.ROOT), lower)))
        .filter(k -> distance.apply(k.toLowerCase(Locale.ROOT), lower) <= edits);
  }

  /** Every option the file reader of {@code format} takes, in Spark's spelling, looked up case-insensitively as Spark does. */
  static Optional<Set<String>> known(FileFormat format) {
    String list = switch (format) {
      case CSV -> "org.apache.spark.sql.catalyst.csv.CSVOptions$";
      case JSON -> "org.apache.spark.sql.catalyst.json.JSONOptions$";
      case PARQUET -> "org.apache.spark.sql.execution.datasources.parquet.ParquetOptions$";
      case TEXT -> "org.apache.spark.sql.execution.datasources.text.TextOptions$";
      case AVRO -> "org.apache.spark.sql.avro.AvroOptions$";
    };
    Optional<Set<String>> own = options(list);
    Optional<Set<String>> index = options(FILE_INDEX);
    if (own.isEmpty() || index.isEmpty()) {
      return Optional.empty(); // the format's reader is not on the class path (Avro outside the bronze module)
    }
    Set<String> all = caseInsensitive(own.get());
    all.addAll(index.get());
    all.addAll(FILE_STREAM);
    return Optional.of(all);
  }

  private static Optional<Set<String>> options(String companion) {
    try {
      DataSourceOptions o = (DataSourceOptions) Class.forName(companion).getField("MODULE$").get(null);
      return Optional.of(scala.collection.JavaConverters.setAsJavaSet(o.getAllOptions()));
    } catch (ReflectiveOperationException | LinkageError e) {
      return Optional.empty();
    }
  }

  /** Spark's JDBC option names ({@code JDBCOptions.jdbcOptionNames}, filled as each option is declared). */
  private static Optional<Set<String>> sparkJdbcOptions() {
    try {
      Class<?> c = Class.forName("org.apache.spark.sql.execution.datasources.jdbc.JDBCOptions$");
      Object names = c.getMethod("org$apache$spark$sql$execution$datasources$jdbc$JDBCOptions$$jdbcOptionNames")
          .invoke(c.getField("MODULE$").get(null));
      @SuppressWarnings("unchecked")
      scala.collection.Set<String> set = (scala.collection.Set<String>) names;
      return Optional.of(caseInsensitive(scala.collection.JavaConverters.setAsJavaSet(set)));
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return Optional.empty();
    }
  }

  /** The Kafka consumer's setting names ({@code ConsumerConfig.configNames()}), when Kafka's client is on the class path. */
  private static Optional<Set<String>> kafkaConsumerSettings() {
    try {
      @SuppressWarnings("unchecked")
      Set<String> names = (Set<String>) Class.forName("org.apache.kafka.clients.consumer.ConsumerConfig")
          .getMethod("configNames").invoke(null);
      return Optional.of(names);
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return Optional.empty();
    }
  }

  private static Optional<Driver> driver(String url) {
    try {
      return Optional.of(DriverManager.getDriver(url));
    } catch (SQLException e) {
      return Optional.empty();
    }
  }

  private static Set<String> caseInsensitive(Set<String> names) {
    Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    set.addAll(names);
    return set;
  }
}
