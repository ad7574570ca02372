package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.ltrim;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.bronze.drift.ReservedColumns;
import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spec.FileFormat;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partition;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.FilePartition;
import org.apache.spark.sql.execution.datasources.PartitionedFile;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * New files of a landing folder; Spark's file stream source lists them and its checkpoint records
 * which were taken. JSON is read as text and parsed per record (see {@link JsonRecords}) so a bad
 * document keeps its raw text and unknown keys are seen; CSV uses Spark's parser with the corrupt
 * record column, and a file whose header differs from the pinned schema (new, missing or reordered
 * columns) is read again by its header: Spark's CSV reader matches fields by position.
 */
final class FileSource implements BronzeSource {
  private static final String TEXT = "value";
  /** What Hadoop's glob reads as a pattern in a path given to {@code load()}. */
  private static final java.util.regex.Pattern GLOB_CHARACTERS = java.util.regex.Pattern.compile("[\\\\{}\\[\\]*?]");
  private final TableName table;
  private final SourceSpec.Files spec;
  private final String checkpoint;
  private final List<String> driftStructs;

  /** @param driftStructs the STRUCT columns of JSON records whose fields the table's schema-drift policy covers */
  FileSource(TableName table, SourceSpec.Files spec, String checkpoint, List<String> driftStructs) {
    this.table = table;
    this.spec = spec;
    this.checkpoint = checkpoint;
    this.driftStructs = driftStructs;
  }

  private boolean multiLine() {
    return "true".equalsIgnoreCase(option("multiLine", "false"));
  }

  private String option(String key, String fallback) {
    for (Map.Entry<String, String> e : spec.options().entrySet()) {
      if (e.getKey().equalsIgnoreCase(key)) {
        return e.getValue();
      }
    }
    return fallback;
  }

  @Override
  public Dataset<Row> stream(SparkSession spark, StructType pinned) {
    RelandedFiles.check(spark, table, spec.path(), checkpoint, spec.options());
    Read r = read(pinned);
    Dataset<Row> rows = spark.readStream().format(r.format()).options(r.options()).schema(r.schema()).load(spec.path());
    return rows.select(col("*"), col("_metadata.file_path").as(BronzeColumns.SOURCE));
  }

  /** How the files are read, with {@code pinned} as the data schema: by the stream, and by a CSV file's re-read by header. */
  private record Read(String format, Map<String, String> options, StructType schema) {}

  private Read read(StructType pinned) {
    Map<String, String> options = new HashMap<>();
    return switch (spec.format()) {
      case JSON, TEXT -> {
        if (spec.format() == FileFormat.TEXT) {
          options.putAll(spec.options());
        } else if (multiLine()) {
          options.put("wholetext", "true"); // one document per file, split in parse
        }
        yield new Read("text", options, new StructType().add(TEXT, DataTypes.StringType));
      }
      case CSV -> {
        options.putAll(spec.options());
        options.putAll(csvParsing());
        yield new Read("csv", options, pinned.add(BronzeColumns.CORRUPT, DataTypes.StringType));
      }
      default -> new Read(spec.format().id(), spec.options(), pinned);
    };
  }

  /** Over the spec's options: the config refuses a mode or columnNameOfCorruptRecord of its own (ReaderOptions). */
  private static Map<String, String> csvParsing() {
    return Map.of("mode", "PERMISSIVE", "columnNameOfCorruptRecord", BronzeColumns.CORRUPT);
  }

  @Override
  public Records parse(Dataset<Row> batch, StructType pinned) {
    return switch (spec.format()) {
      case JSON -> JsonRecords.parse(documents(batch), TEXT, pinned, jsonOptions(), List.of(BronzeColumns.SOURCE), driftStructs);
      case CSV -> csv(batch, pinned);
      case PARQUET, AVRO -> Records.allGood(selfDescribing(batch, pinned));
      default -> Records.allGood(batch);
    };
  }

  /**
   * The formats but JSON find the batch's files from its plan, so parsing and writing read the
   * files once. JSON documents are read once too, into storage, where their keys (to see unknown
   * ones), their values and the append read them (see {@link #storesParsedBatch}).
   */
  @Override
  public boolean readsBatchOnce() {
    return spec.format() != FileFormat.JSON;
  }

  @Override
  public boolean storesParsedBatch() {
    return spec.format() == FileFormat.JSON;
  }

  /**
   * The files of a micro-batch, from the partitions of the scan it was planned as (no job runs);
   * else, for a batch that is no longer a file scan, from its rows. Spark hands foreachBatch the
   * batch as an RDD, so its plan no longer names the files, but the scan's partitions do. A file
   * found here may be spelt differently from {@code _source}; callers match it by {@link #sourcesOf}.
   */
  private static List<String> filesOf(Dataset<Row> batch) {
    Set<String> files = new TreeSet<>();
    java.util.Deque<RDD<?>> todo = new java.util.ArrayDeque<>(List.of(batch.queryExecution().toRdd()));
    while (!todo.isEmpty()) {
      RDD<?> rdd = todo.pop();
      boolean scan = false;
      for (Partition p : rdd.partitions()) {
        if (p instanceof FilePartition fp) {
          scan = true;
          for (PartitionedFile f : fp.files()) {
            files.add(f.filePath().toString());
          }
        }
      }
      if (!scan) {
        scala.collection.JavaConverters.seqAsJavaList(rdd.dependencies()).forEach(d -> todo.push(d.rdd()));
      }
    }
    return files.isEmpty() ? sourcesOf(batch) : new ArrayList<>(files);
  }

  /**
   * A batch reader of the landing files, as Spark's file stream source builds its batches: the
   * landing folder (unless a glob) is the partition base path, so {@code col=value} folder names
   * give the same partition columns.
   */
  private org.apache.spark.sql.DataFrameReader batchReader(SparkSession spark, Read r) {
    var reader = spark.read().format(r.format()).options(r.options()).schema(r.schema());
    Path base = new Path(spec.path());
    if (org.apache.spark.deploy.SparkHadoopUtil.get().isGlobPath(base)) {
      return reader;
    }
    try {
      return reader.option("basePath", base.getFileSystem(spark.sparkContext().hadoopConfiguration()).makeQualified(base).toString());
    } catch (IOException e) {
      throw new LakehouseException("Cannot open the landing folder " + spec.path() + " of " + table + ": " + e.getMessage(), e);
    }
  }

  /**
   * A file as {@code _source} and a scan name it (URL-encoded: {@code a%20b.csv}) in the form
   * {@code load()} takes as that one file: decoded, and with Hadoop's glob characters escaped, so
   * {@code b[1].csv} is not read as the pattern {@code b1.csv}.
   */
  static String loadable(String encoded) {
    String path = new Path(java.net.URI.create(encoded)).toString();
    return GLOB_CHARACTERS.matcher(path).replaceAll("\\\\$0");
  }

  /** The distinct {@code _source} values of a batch (one pass over it). */
  private static List<String> sourcesOf(Dataset<Row> batch) {
    List<String> files = new ArrayList<>();
    for (Row r : batch.select(BronzeColumns.SOURCE).distinct().collectAsList()) {
      files.add(r.getString(0));
    }
    return files;
  }

  /**
   * Parquet and Avro files carry their schema: when this batch's files have columns the pinned
   * schema lacks, the files are read again with them, for the schema-drift policy to decide.
   */
  private Dataset<Row> selfDescribing(Dataset<Row> batch, StructType pinned) {
    List<String> files = filesOf(batch);
    if (files.isEmpty()) {
      return batch;
    }
    SparkSession spark = batch.sparkSession();
    String[] paths = files.stream().map(FileSource::loadable).toArray(String[]::new);
    StructType found = spark.read().format(spec.format().id()).options(spec.options()).option("mergeSchema", "true")
        .load(paths).schema();
    Set<String> known = new TreeSet<>(List.of(pinned.fieldNames()));
    StructType wider = pinned;
    for (StructField f : found.fields()) {
      if (!known.contains(f.name())) {
        wider = wider.add(f);
      }
    }
    if (wider.length() == pinned.length()) {
      return batch;
    }
    return spark.read().format(spec.format().id()).options(spec.options()).schema(wider)
        .load(paths).select(col("*"), col("_metadata.file_path").as(BronzeColumns.SOURCE));
  }

  /** A multi-line file holds one document, or an array of them: one row per document. */
  private Dataset<Row> documents(Dataset<Row> batch) {
    if (!multiLine()) {
      return batch;
    }
    Column elements = from_json(col(TEXT), DataTypes.createArrayType(DataTypes.StringType), Map.of());
    Column docs = when(ltrim(col(TEXT)).startsWith("["), coalesce(elements, array(col(TEXT)))).otherwise(array(col(TEXT)));
    return batch.select(explode(docs).as(TEXT), col(BronzeColumns.SOURCE));
  }

  private Map<String, String> jsonOptions() {
    Map<String, String> o = new HashMap<>(spec.options());
    o.keySet().removeIf(k -> k.equalsIgnoreCase("multiLine"));
    return o;
  }

  private Records csv(Dataset<Row> batch, StructType pinned) {
    Dataset<Row> rows = batch;
    if ("true".equalsIgnoreCase(option("header", "false"))) {
      Map<String, StructType> drifted = driftedFiles(batch, filesOf(batch), pinned);
      if (!drifted.isEmpty()) {
        drifted = driftedFiles(batch, sourcesOf(batch), pinned); // named exactly as in _source
        // Spark matched those files' fields by position against the pinned schema: read them again by their header.
        Dataset<Row> reread = null;
        for (Map.Entry<String, StructType> e : drifted.entrySet()) {
          Dataset<Row> one = batchReader(batch.sparkSession(), read(e.getValue())).load(loadable(e.getKey()))
              .withColumn(BronzeColumns.SOURCE, lit(e.getKey()));
          reread = reread == null ? one : reread.unionByName(one, true);
        }
        rows = batch.where(org.apache.spark.sql.functions.not(col(BronzeColumns.SOURCE).isin(drifted.keySet().toArray())))
            .unionByName(reread, true);
      }
    }
    Column reason = lit("Cannot read the CSV line with schema \"" + pinned.toDDL()
        + "\": wrong number of fields, or a value that does not fit its column's type");
    return Records.split(rows, col(BronzeColumns.CORRUPT).isNotNull(), good -> good.drop(BronzeColumns.CORRUPT),
        bad -> bad.select(col(BronzeColumns.CORRUPT).as(BronzeColumns.RAW), col(BronzeColumns.SOURCE), reason.as(BronzeColumns.REASON)));
  }

  /**
   * Those of {@code files} whose header is not {@code pinned}'s columns in order, with their schema
   * by header; read by position, their values would land in other columns without an error.
   */
  private Map<String, StructType> driftedFiles(Dataset<Row> batch, List<String> files, StructType pinned) {
    Map<String, StructType> out = new java.util.TreeMap<>();
    Set<String> known = new TreeSet<>(List.of(pinned.fieldNames()));
    for (String file : files) {
      List<String> header = header(batch.sparkSession(), file);
      refuseReserved(header, file); // read by its header, such a column would be overwritten by the file's name
      List<String> fromFolders = partitionColumns(file, known);
      List<String> inFile = new ArrayList<>(List.of(pinned.fieldNames()));
      inFile.removeAll(fromFolders);
      if (!header.equals(inFile)) {
        StructType byHeader = new StructType();
        for (String name : header) {
          byHeader = byHeader.add(known.contains(name) ? pinned.apply(name) : new StructField(name, DataTypes.StringType, true,
              org.apache.spark.sql.types.Metadata.empty()));
        }
        for (String name : fromFolders) {
          byHeader = byHeader.add(pinned.apply(name));
        }
        out.put(file, byHeader);
      }
    }
    return out;
  }

  private void refuseReserved(List<String> header, String file) {
    List<String> carried = ReservedColumns.among(header);
    if (!carried.isEmpty()) {
      throw ReservedColumns.refused(table, carried, file, howToRename());
    }
  }

  @Override
  public String howToRename() {
    return "where the files are written, and land them again under new names (move these out of " + spec.path()
        + ": the run stops on them until then)" + (spec.format() == FileFormat.CSV
            ? "; a CSV read without a header (header = false) can name its columns otherwise in schema" : "");
  }

  /** The pinned columns a file's folders name ({@code day=2024-01-01/}): partition values, not in its header. */
  private static List<String> partitionColumns(String file, Set<String> pinned) {
    List<String> names = new ArrayList<>();
    String[] segments = file.split("/");
    for (int i = 0; i < segments.length - 1; i++) {
      int eq = segments[i].indexOf('=');
      if (eq > 0 && pinned.contains(segments[i].substring(0, eq))) {
        names.add(segments[i].substring(0, eq));
      }
    }
    return names;
  }

  /**
   * The column names of a CSV file's first line, read as Spark's CSV reader reads the file: through
   * the codec its name says ({@code .gz}, {@code .bz2}, ...) and in its {@code encoding} (the raw
   * bytes of a {@code .csv.gz} read as text are no header, and would fail the batch as drift).
   */
  private List<String> header(SparkSession spark, String file) {
    String sep = option("sep", option("delimiter", ","));
    java.nio.charset.Charset charset = java.nio.charset.Charset.forName(option("encoding", option("charset", "UTF-8")));
    try {
      Path p = new Path(new java.net.URI(file));
      org.apache.hadoop.conf.Configuration conf = spark.sparkContext().hadoopConfiguration();
      FileSystem fs = p.getFileSystem(conf);
      org.apache.hadoop.io.compress.CompressionCodec codec = new org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(p);
      java.io.InputStream raw = fs.open(p);
      try (BufferedReader in = new BufferedReader(new InputStreamReader(codec == null ? raw : codec.createInputStream(raw), charset))) {
        String line = in.readLine();
        List<String> names = new ArrayList<>();
        if (line != null) {
          for (String n : line.split(java.util.regex.Pattern.quote(sep), -1)) {
            names.add(n.trim().replaceAll("^\"|\"$", ""));
          }
        }
        return names;
      }
    } catch (IOException | java.net.URISyntaxException e) {
      throw new LakehouseException("Cannot read the header of " + file + " for " + table + ": " + e.getMessage(), e);
    }
  }

  @Override
  public StructType inferSchema(SparkSession spark) {
    if (spec.format() == FileFormat.TEXT) {
      return new StructType().add(TEXT, DataTypes.StringType);
    }
    try {
      StructType inferred = spark.read().format(spec.format().id()).options(spec.options()).load(spec.path()).schema();
      // A JSON document with a key bronze writes into every row is a bad record of its own
      // (JsonRecords), as in later files: not a column, which would stop the first run.
      StructType columns = BronzeSource.withoutCorrupt(inferred);
      return spec.format() == FileFormat.JSON ? BronzeSource.without(columns, BronzeColumns.RESERVED) : columns;
    } catch (Exception e) { // Spark's AnalysisException is checked in Java's eyes
      throw new LakehouseException("Cannot infer the schema of " + table + " from the files in " + spec.path() + ": "
          + (e.getMessage() == null ? e : e.getMessage().lines().findFirst().orElse("")) + "; land a first file there, or declare "
          + "schema = \"col TYPE, ...\" in its source block", e);
    }
  }
}
