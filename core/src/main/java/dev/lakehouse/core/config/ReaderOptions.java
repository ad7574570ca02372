package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.FileFormat;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.text.similarity.LevenshteinDistance;
import org.apache.spark.sql.catalyst.DataSourceOptions;

/**
 * Checks the {@code options} of a {@code files} source against the options Spark's reader of that
 * format knows: Spark ignores an option it does not know, so a misspelt {@code heder} or
 * {@code maxFilesPerTriger} would change nothing and say nothing. The names come from Spark's own
 * lists ({@link DataSourceOptions}: CSV, JSON, Parquet, text, Avro, and the file index's), plus the
 * file stream source's, which Spark keeps in code only ({@code FileStreamOptions}).
 */
final class ReaderOptions {
  /** Spark's {@code FileStreamOptions} and {@code FileSourceOptions}, which have no list of their own. */
  private static final Set<String> FILE_STREAM = Set.of("maxFilesPerTrigger", "latestFirst", "fileNameOnly", "maxFileAge",
      "cleanSource", "sourceArchiveDir", "maxCachedFiles", "discardCachedInputRatio", "ignoreCorruptFiles", "path");
  private static final String FILE_INDEX = "org.apache.spark.sql.execution.datasources.FileIndexOptions$";

  private ReaderOptions() {}

  /** Reports each option of {@code options} that the reader of {@code format} does not know, at its line in {@code options}. */
  static void check(SpecReader options, FileFormat format, Map<String, String> values) {
    Optional<Set<String>> known = known(format);
    if (known.isEmpty()) {
      return; // the format's reader is not on the class path (Avro outside the bronze module): Spark reports it at the run
    }
    Map<String, String> byLowerCase = new java.util.HashMap<>();
    known.get().forEach(k -> byLowerCase.put(k.toLowerCase(Locale.ROOT), k));
    for (String key : values.keySet()) {
      if (!byLowerCase.containsKey(key.toLowerCase(Locale.ROOT))) { // Spark reads options case-insensitively
        String closest = known.get().stream()
            .min(Comparator.comparingInt(k -> LevenshteinDistance.getDefaultInstance().apply(k.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT))))
            .orElseThrow();
        boolean near = LevenshteinDistance.getDefaultInstance().apply(closest.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT)) <= 3;
        options.problem(key, "Cannot use the option '" + key + "' with " + format.id() + " files: Spark's " + format.id()
            + " reader does not know it and would ignore it; " + (near ? "did you mean '" + closest + "'?"
                : "the options it knows are " + new TreeSet<>(known.get())));
      }
    }
  }

  /** Every option the file reader of {@code format} takes, in Spark's spelling. */
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
      return Optional.empty();
    }
    Set<String> all = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    all.addAll(own.get());
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
}
