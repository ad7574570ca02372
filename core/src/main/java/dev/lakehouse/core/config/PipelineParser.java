package dev.lakehouse.core.config;

import com.typesafe.config.Config;
import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.Aggregate;
import dev.lakehouse.core.spec.BadRecords;
import dev.lakehouse.core.spec.BronzeLineage;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.ColumnSpec;
import dev.lakehouse.core.spec.Companion;
import dev.lakehouse.core.spec.FileFormat;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.LakehouseSettings;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.Maintenance;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.Refresh;
import dev.lakehouse.core.spec.ScheduleSpec;
import dev.lakehouse.core.spec.SchemaDrift;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.SparkSettings;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.core.spec.WriteMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.text.similarity.LevenshteinDistance;

/**
 * Turns loaded configuration into a validated {@link PipelineSpec}. The only class that reads
 * {@link Config}; everything downstream sees typed, immutable records. Every problem is collected
 * and reported at once, before anything runs.
 */
public final class PipelineParser {
  static final List<String> TOP_LEVEL_KEYS = List.of("lakehouse", "pipeline", "vars");
  static final List<String> LAKEHOUSE_KEYS = List.of("root", "format", "spark", "run", "stream", "maintenance");
  static final List<String> RUN_KEYS = List.of("parallelism", "lease-expiry");
  static final List<String> SPARK_KEYS = List.of("master", "app-name", "conf");
  static final List<String> STREAM_KEYS = List.of("trigger-interval");
  static final List<String> MAINTENANCE_DEFAULT_KEYS = List.of("keep-history", "optimize", "every", "keep-reports");
  static final List<String> MAINTENANCE_KEYS = List.of("keep-history", "optimize", "every", "z-order-by");
  static final List<String> PIPELINE_KEYS = List.of("name", "description", "owner", "format", "tables", "schedule");
  static final List<String> SCHEDULE_KEYS = List.of("cron", "retries", "retry-delay", "start-date", "tasks", "maintenance");
  static final List<String> COMMON_TABLE_KEYS =
      List.of("description", "owner", "format", "location", "keys", "partition-by", "columns", "maintenance");
  static final List<String> BRONZE_KEYS = with(COMMON_TABLE_KEYS, "source", "bad-records", "schema-drift", "schema-drift-structs", "retention",
      "expectations");
  static final List<String> SILVER_KEYS = with(with(COMMON_TABLE_KEYS, "source", "select", "filter", "sequence-by", "write", "cdc", "expectations"),
      SilverParser.KEYS.toArray(String[]::new));
  static final List<String> GOLD_KEYS = with(COMMON_TABLE_KEYS, "sql", "sql-file", "aggregate", "refresh", "expectations");
  static final List<String> AGGREGATE_KEYS = List.of("from", "filter", "time-grain", "group-by", "measures");
  static final List<String> TIME_GRAIN_KEYS = List.of("column", "grain", "as");
  static final List<String> FILES_SOURCE_KEYS = List.of("type", "format", "path", "schema", "options");
  static final List<String> TABLE_SOURCE_KEYS = List.of("type", "table");
  static final List<String> BRONZE_TABLE_SOURCE_KEYS = List.of("type", "table", "path", "format");
  static final List<String> KAFKA_SOURCE_KEYS = List.of("type", "bootstrap-servers", "topics", "topic-pattern",
      "starting-offsets", "value", "schema", "options");
  static final List<String> JDBC_SOURCE_KEYS = List.of("type", "url", "table", "query", "watermark-column",
      "partition", "options");
  static final List<String> JDBC_PARTITION_KEYS = List.of("column", "lower-bound", "upper-bound", "partitions");
  static final String SOURCE_TYPES = "files, kafka, jdbc, table";
  static final List<String> COLUMN_KEYS = List.of("description", "classification", "mask");

  private final List<ConfigProblem> problems = new ArrayList<>();
  private final Path pipelineFile;
  /** The sql-file values, as written (relative to the pipeline file): what must ship with it. */
  private final List<String> sqlFiles = new ArrayList<>();
  /** Each gold table's key that holds its query (sql, sql-file or aggregate.from), for problems with what it reads. */
  private final Map<TableName, String> queryKeys = new HashMap<>();

  private PipelineParser(Path pipelineFile) {
    this.pipelineFile = pipelineFile;
  }

  /** Loads every layer of configuration (see {@link ConfigLayers}) and parses it. */
  public static PipelineSpec load(ConfigLayers.Request request) {
    return parse(ConfigLayers.load(request));
  }

  /**
   * @throws ConfigException listing every problem, each with its config path and {@code file:line}
   */
  public static PipelineSpec parse(ConfigLayers.Loaded loaded) {
    return new PipelineParser(loaded.pipelineFile()).parseAll(loaded);
  }

  private PipelineSpec parseAll(ConfigLayers.Loaded loaded) {
    SpecReader.root(loaded.user(), problems).rejectUnknownKeys(TOP_LEVEL_KEYS);
    SpecReader root = SpecReader.root(loaded.resolved(), problems);
    LakehouseSettings settings = parseSettings(root.object("lakehouse").orElseThrow());

    Optional<SpecReader> pipelineBlock = root.object("pipeline");
    if (pipelineBlock.isEmpty()) {
      if (!root.has("pipeline")) {
        problems.add(new ConfigProblem("pipeline", pipelineFile.toString(),
            "Cannot find the 'pipeline' block: a pipeline file declares pipeline { name = ..., tables { bronze { ... } } }"));
      }
      throw new ConfigException(problems);
    }
    SpecReader pipeline = pipelineBlock.get();
    pipeline.rejectUnknownKeys(PIPELINE_KEYS);
    String name = pipeline.requiredString("name", "name the pipeline, e.g. name = tpch");
    FormatKind pipelineFormat = pipeline.enumValue("format", FormatKind.class).orElse(settings.format());

    Map<TableName, TableSpec> tables = new LinkedHashMap<>();
    Optional<SpecReader> tablesBlock = pipeline.object("tables");
    if (tablesBlock.isEmpty() && !pipeline.has("tables")) {
      pipeline.problem("tables", "Cannot find required key 'tables': declare tables { bronze { <name> { ... } } }");
    }
    tablesBlock.ifPresent(t -> {
      for (String layerId : sorted(t.keys())) {
        Layer layer = Layer.fromId(layerId);
        if (layer == null) {
          t.problem(layerId, "Unknown layer '" + layerId + "'; tables are declared under bronze, silver or gold");
          continue;
        }
        t.object(layerId).ifPresent(layerBlock -> {
          for (String tableId : sorted(layerBlock.keys())) {
            if (!TableName.isIdentifier(tableId)) {
              layerBlock.problem(tableId, "Cannot use '" + tableId + "' as a table name: use lower-case letters, digits and _");
              continue;
            }
            TableName tn = new TableName(layer, tableId);
            layerBlock.object(tableId).ifPresent(tb -> tables.put(tn, parseTable(tn, tb, settings, pipelineFormat)));
          }
        });
      }
    });

    ScheduleSpec schedule = pipeline.object("schedule").map(this::parseSchedule).orElse(ScheduleSpec.DEFAULT);

    new PipelineGraphCheck(tables, queryKeys, problems).check();
    DebeziumDriftCheck.check(tables, problems);
    checkCompanionNames(tables);
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new PipelineSpec(name, pipeline.optionalString("description"), pipeline.optionalString("owner"),
        settings, java.util.Collections.unmodifiableMap(tables), pipelineFile.toString(), schedule, List.copyOf(sqlFiles));
  }

  /** A declared table may not take the name, and so the location, of a table kept next to another one. */
  private void checkCompanionNames(Map<TableName, TableSpec> tables) {
    for (TableSpec t : tables.values()) {
      for (Companion c : Companion.values()) {
        TableSpec base = c.baseOf(t.name()).map(tables::get).orElse(null);
        if (base != null) {
          problems.add(new ConfigProblem("pipeline.tables." + t.name(), t.origin(), "Cannot name a table " + t.name()
              + ": " + base.name() + " keeps its " + c.holds() + " in a table of that name, at " + c.locationOf(base)
              + ", which both would write; rename " + t.name()));
        }
      }
    }
  }

  private ScheduleSpec parseSchedule(SpecReader s) {
    s.rejectUnknownKeys(SCHEDULE_KEYS);
    ScheduleSpec d = ScheduleSpec.DEFAULT;
    LocalDate start = d.startDate();
    Optional<String> rawStart = s.optionalString("start-date");
    if (rawStart.isPresent()) {
      try {
        start = LocalDate.parse(rawStart.get().trim());
      } catch (DateTimeParseException e) {
        s.problem("start-date", "Cannot use start-date = " + rawStart.get() + ": write a date as yyyy-mm-dd, e.g. 2025-01-01");
      }
    }
    return new ScheduleSpec(s.optionalString("cron").map(String::trim).filter(c -> !c.isEmpty()),
        s.intAtLeast("retries", 0, d.retries()), s.duration("retry-delay", d.retryDelay()), start,
        s.enumValue("tasks", ScheduleSpec.Tasks.class).orElse(d.tasks()),
        s.enumValue("maintenance", ScheduleSpec.Maintenance.class).orElse(d.maintenance()));
  }

  private LakehouseSettings parseSettings(SpecReader lakehouse) {
    lakehouse.rejectUnknownKeys(LAKEHOUSE_KEYS);
    String root = Paths.root(lakehouse.requiredString("root", "set the storage root, e.g. root = /data/lakehouse"));
    FormatKind format = lakehouse.enumValue("format", FormatKind.class).orElse(FormatKind.DELTA);
    SpecReader spark = lakehouse.object("spark").orElseThrow();
    spark.rejectUnknownKeys(SPARK_KEYS);
    Map<String, String> sparkConf = Map.copyOf(spark.stringMap("conf"));
    spark.object("conf").ifPresent(c -> SparkSettingNames.check(c, sparkConf));
    SparkSettings sparkSettings = new SparkSettings(
        spark.requiredString("master", "e.g. master = \"local[*]\""),
        spark.requiredString("app-name", "e.g. app-name = lakehouse"),
        sparkConf);
    SpecReader run = lakehouse.object("run").orElseThrow();
    run.rejectUnknownKeys(RUN_KEYS);
    int parallelism = run.positiveInt("parallelism", 1);
    Duration leaseExpiry = run.duration("lease-expiry", LakehouseSettings.DEFAULT_LEASE_EXPIRY);
    if (leaseExpiry.compareTo(Duration.ofSeconds(1)) < 0) {
      run.problem("lease-expiry", "Cannot use a lease expiry of " + leaseExpiry + ": its holder renews it every quarter of it;"
          + " write 1s or more, e.g. 2m (the default)");
      leaseExpiry = LakehouseSettings.DEFAULT_LEASE_EXPIRY;
    }
    SpecReader stream = lakehouse.object("stream").orElseThrow();
    stream.rejectUnknownKeys(STREAM_KEYS);
    Duration trigger = stream.duration("trigger-interval", Duration.ofSeconds(10));
    // What a table's own maintenance block does not set.
    Optional<SpecReader> maintenanceBlock = lakehouse.object("maintenance");
    maintenanceBlock.ifPresent(m -> m.rejectUnknownKeys(MAINTENANCE_DEFAULT_KEYS));
    Maintenance maintenance = maintenanceBlock.map(m -> maintenance(m, Maintenance.DEFAULT)).orElse(Maintenance.DEFAULT);
    Duration keepReports = maintenanceBlock.map(m -> m.duration("keep-reports", LakehouseSettings.DEFAULT_KEEP_REPORTS))
        .orElse(LakehouseSettings.DEFAULT_KEEP_REPORTS);
    if (keepReports.isNegative()) {
      maintenanceBlock.orElseThrow().problem("keep-reports", "Cannot keep quality reports for " + keepReports
          + ": write 0s or more, e.g. 90 days (the default)");
      keepReports = LakehouseSettings.DEFAULT_KEEP_REPORTS;
    }
    return new LakehouseSettings(root, format, sparkSettings, parallelism, trigger, leaseExpiry, maintenance, keepReports);
  }

  private TableSpec parseTable(TableName name, SpecReader t, LakehouseSettings settings, FormatKind pipelineFormat) {
    Layer layer = name.layer();
    t.rejectUnknownKeys(switch (layer) {
      case BRONZE -> BRONZE_KEYS;
      case SILVER -> SILVER_KEYS;
      case GOLD -> GOLD_KEYS;
    });
    FormatKind format = t.enumValue("format", FormatKind.class).orElse(pipelineFormat);
    String location = t.optionalString("location")
        .map(l -> Paths.under(settings.root(), l))
        .orElse(settings.root() + "/" + layer.id() + "/" + name.name());
    String checkpoint = settings.root() + "/_checkpoints/" + layer.id() + "/" + name.name();
    List<String> declaredKeys = t.stringList("keys");
    List<String> partitionBy = t.stringList("partition-by");
    // Silver and an incremental gold table write by key (a gold table refreshed in full is replaced whole).
    boolean writesByKey = layer == Layer.SILVER
        || layer == Layer.GOLD && t.optionalString("refresh").filter(r -> r.equalsIgnoreCase("incremental")).isPresent();
    if (writesByKey && format == FormatKind.HUDI && !declaredKeys.isEmpty() && !partitionBy.isEmpty()) {
      // Hudi's default index finds a key's stored record only in the partition of the record
      // written: a delete marker (null in the partition columns) never reached it, and a key whose
      // partition value changed was stored twice, once in each partition.
      t.problem("partition-by", "Cannot partition " + name + " by " + partitionBy + ": it is a Hudi table with keys, and"
          + " Hudi finds a key's stored row only in the partition of the row written, so a delete would miss it and a key"
          + " whose " + String.join(", ", partitionBy) + " changed would be stored twice; remove partition-by, or set"
          + " format = delta on this table");
    }
    List<ColumnSpec> columns = parseColumns(t);

    LayerSpec layerSpec = switch (layer) {
      case BRONZE -> {
        SourceSpec source = parseSource(name, t, settings);
        yield new LayerSpec.Bronze(source, t.enumValue("bad-records", BadRecords.class).orElse(BadRecords.QUARANTINE),
            t.enumValue("schema-drift", SchemaDrift.class).orElse(SchemaDrift.FAIL), retention(t), driftStructs(t, source));
      }
      case SILVER -> parseSilver(name, t, settings, declaredKeys, columns);
      case GOLD -> parseGold(name, t, declaredKeys);
    };
    // A declarative aggregate's rows are identified by its groups, unless the spec says otherwise.
    List<String> keys = declaredKeys.isEmpty() && layerSpec instanceof LayerSpec.Gold g && g.aggregate().isPresent()
        ? g.aggregate().get().keys() : declaredKeys;
    String specHash = SpecHash.of(t.renderWithout("maintenance") + "|" + format.id() + "|" + location
        + (layerSpec instanceof LayerSpec.Gold g ? "|" + g.sql() : ""));
    return new TableSpec(name, t.optionalString("description"), t.optionalString("owner"), format, location,
        checkpoint, keys, partitionBy, columns, layerSpec, t.origin(), specHash, ExpectationParser.parse(name, t),
        tableMaintenance(t, format, partitionBy, settings.maintenance()));
  }

  private Maintenance tableMaintenance(SpecReader t, FormatKind format, List<String> partitionBy, Maintenance defaults) {
    Optional<SpecReader> block = t.object("maintenance");
    if (block.isEmpty()) {
      return defaults;
    }
    SpecReader m = block.get();
    m.rejectUnknownKeys(MAINTENANCE_KEYS);
    Maintenance parsed = maintenance(m, defaults);
    List<String> zOrderBy = m.stringList("z-order-by");
    if (!zOrderBy.isEmpty() && format != FormatKind.DELTA) {
      m.problem("z-order-by", "Cannot z-order a " + format.id() + " table: z-order-by is Delta's OPTIMIZE ... ZORDER BY;"
          + " remove it (Hudi lays out files with its clustering service)");
    }
    for (String c : zOrderBy) {
      if (partitionBy.contains(c)) {
        m.problem("z-order-by", "Cannot z-order by " + c + ": it is a partition column, whose values each file holds one of"
            + " already; remove it from z-order-by");
      }
    }
    return new Maintenance(parsed.keepHistory(), parsed.optimize(), zOrderBy, parsed.every());
  }

  private static Maintenance maintenance(SpecReader m, Maintenance defaults) {
    Duration keep = m.duration("keep-history", defaults.keepHistory());
    if (keep.isNegative()) {
      m.problem("keep-history", "Cannot keep " + keep + " of history: write 0s or more, e.g. 7 days (the default)");
      keep = defaults.keepHistory();
    }
    Duration every = m.duration("every", defaults.every());
    if (every.isNegative()) {
      m.problem("every", "Cannot maintain every " + every + ": write 0s (whenever maintain runs, the default) or more,"
          + " e.g. 1 day");
      every = defaults.every();
    }
    return new Maintenance(keep, m.bool("optimize", defaults.optimize()), defaults.zOrderBy(), every);
  }

  private List<ColumnSpec> parseColumns(SpecReader t) {
    List<ColumnSpec> out = new ArrayList<>();
    t.object("columns").ifPresent(cols -> {
      for (String col : cols.keys()) {
        cols.object(col).ifPresent(c -> {
          c.rejectUnknownKeys(COLUMN_KEYS);
          out.add(new ColumnSpec(col, c.optionalString("description"), c.optionalString("classification"),
              c.enumValue("mask", dev.lakehouse.core.spec.Cleansing.Mask.class)));
        });
      }
    });
    return List.copyOf(out);
  }

  private SourceSpec parseSource(TableName table, SpecReader t, LakehouseSettings settings) {
    Optional<SpecReader> block = t.object("source");
    if (block.isEmpty()) {
      if (!t.has("source")) {
        t.problem("source", "Cannot find required key 'source' of " + table + ": a " + table.layer().id()
            + " table reads from a source, e.g. source { type = " + (table.layer() == Layer.BRONZE
                ? "files, format = csv, path = landing/orders, schema = \"...\" }" : "table, table = bronze.orders }"));
      }
      return null;
    }
    SpecReader s = block.get();
    String type = s.requiredString("type", "say what the source is: type = files | kafka | jdbc | table");
    switch (type) {
      case "files" -> {
        s.rejectUnknownKeys(FILES_SOURCE_KEYS);
        FileFormat format = s.enumValue("format", FileFormat.class).orElse(null);
        if (format == null && !s.has("format")) {
          s.problem("format", "Cannot find required key 'format': csv, json, parquet, avro or text");
        }
        String path = Paths.under(settings.root(), s.requiredString("path", "the landing folder, e.g. path = landing/orders"));
        Optional<String> schema = schema(s, BronzeLineage.RESERVED);
        if (format == FileFormat.TEXT && schema.isPresent()) {
          s.problem("schema", "Cannot use a schema with text files: each line is one row with the column value; remove schema");
        }
        Map<String, String> options = Map.copyOf(s.stringMap("options"));
        if (format != null) {
          s.object("options").ifPresent(o -> ReaderOptions.checkFiles(o, format, options));
        }
        return new SourceSpec.Files(format, path, schema, options);
      }
      case "kafka", "jdbc" -> {
        if (table.layer() != Layer.BRONZE) {
          s.problem("type", "Cannot read a " + type + " source into " + table + ": only bronze tables read "
              + type + "; ingest it into a bronze table and use source { type = table, table = bronze.<name> }");
          return null;
        }
        return type.equals("kafka") ? SourceParsers.kafka(s) : SourceParsers.jdbc(s);
      }
      case "table" -> {
        if (table.layer() == Layer.BRONZE && s.has("path")) {
          return SourceParsers.tablePath(s, settings);
        }
        s.rejectUnknownKeys(table.layer() == Layer.BRONZE ? BRONZE_TABLE_SOURCE_KEYS : TABLE_SOURCE_KEYS);
        String ref = s.requiredString("table", "name the table to read, e.g. table = bronze.orders");
        TableName upstream = TableName.parse(ref);
        if (upstream == null && !ref.isEmpty()) {
          s.problem("table", "Cannot read table '" + ref + "': name it as layer.name, e.g. bronze.orders");
        }
        return upstream == null ? null : new SourceSpec.Table(upstream);
      }
      case "" -> {
        return null;
      }
      default -> {
        s.problem("type", "Cannot use source type '" + type + "': supported types are " + SOURCE_TYPES);
        return null;
      }
    }
  }

  /** A bronze table's {@code retention}: a positive duration, e.g. {@code 90 days}. */
  private static Optional<java.time.Duration> retention(SpecReader t) {
    java.time.Duration d = t.duration("retention", null);
    if (d != null && (d.isNegative() || d.isZero())) {
      t.problem("retention", "Cannot keep rows for " + d + ": write a positive duration such as 90 days, or remove retention to keep every row");
      return Optional.empty();
    }
    return Optional.ofNullable(d);
  }

  /**
   * {@code schema-drift-structs}: each must be a {@code STRUCT} column of the JSON records' declared
   * schema, the only records whose nested fields the framework reads by name (other formats and
   * inferred schemas carry every field as it comes).
   */
  private static List<String> driftStructs(SpecReader t, SourceSpec source) {
    List<String> names = t.stringList("schema-drift-structs");
    if (names.isEmpty() || source == null) {
      return names;
    }
    if (source.declaredJsonSchema().isEmpty()) {
      t.problem("schema-drift-structs", "Cannot watch the fields of " + names + ": schema-drift-structs applies to JSON "
          + "records read with a declared schema (files with format = json, or Kafka values), whose STRUCT columns are read "
          + "field by field; remove it, or declare the source's schema");
      return List.of();
    }
    Optional<List<String>> structs = source.declaredJsonStructs();
    if (structs.isEmpty()) {
      return names; // the schema does not parse: reported at the schema already
    }
    for (String n : names) {
      if (!structs.get().contains(n)) {
        t.problem("schema-drift-structs", "Cannot watch the fields of '" + n + "': it is not a STRUCT column of the source's "
            + "schema (" + structs.get() + " are); name STRUCT columns such as [before, after]");
      }
    }
    return names;
  }

  /**
   * The optional {@code schema} of a source block, checked with Spark's DDL parser. It may name none
   * of {@code reserved}, the columns bronze writes into each row itself: it would overwrite the
   * records' values.
   */
  static Optional<String> schema(SpecReader s, List<String> reserved) {
    Optional<String> schema = s.optionalString("schema");
    schema.ifPresent(ddl -> SqlChecks.schema(ddl).ifPresentOrElse(err -> s.problem("schema",
        "Cannot parse schema \"" + ddl + "\": " + err + "; write Spark DDL such as \"id BIGINT, name STRING\""),
        () -> refuseReserved(s, ddl, reserved)));
    return schema;
  }

  private static void refuseReserved(SpecReader s, String ddl, List<String> reserved) {
    List<String> named = java.util.Arrays.stream(org.apache.spark.sql.types.StructType.fromDDL(ddl).fieldNames())
        .filter(reserved::contains).toList();
    if (!named.isEmpty()) {
      s.problem("schema", "Cannot use " + String.join(", ", named) + " in schema: bronze writes "
          + (named.size() == 1 ? "it" : "them") + " into every row itself (" + String.join(", ", reserved)
          + ") and would overwrite the records' values; rename the column where the records are written, or here when"
          + " columns are read by position (a CSV without a header)");
    }
  }

  private LayerSpec parseSilver(TableName name, SpecReader t, LakehouseSettings settings, List<String> keys,
      List<ColumnSpec> columns) {
    SourceSpec source = parseSource(name, t, settings);
    if (source != null && !(source instanceof SourceSpec.Table)) {
      t.problem("source", "Cannot read files into " + name + ": a silver table reads another table; "
          + "land files in a bronze table and use source { type = table, table = bronze.<name> }");
    }
    WriteMode write = t.enumValue("write", WriteMode.class).orElse(keys.isEmpty() ? WriteMode.APPEND : WriteMode.SCD1);
    if (write == WriteMode.SCD1 && keys.isEmpty()) {
      t.problem("write", "Cannot write " + name + " as scd1 without keys: declare keys = [<column>, ...]");
    }
    List<String> select = t.stringList("select");
    for (String expr : select) {
      SqlChecks.expression(expr).ifPresent(err -> t.problem("select",
          "Cannot parse the expression \"" + expr + "\": " + err + "; write a Spark SQL expression such as \"CAST(id AS BIGINT) AS id\""));
    }
    Optional<String> filter = t.optionalString("filter");
    filter.ifPresent(f -> SqlChecks.expression(f).ifPresent(err -> t.problem("filter",
        "Cannot parse the filter \"" + f + "\": " + err + "; write a Spark SQL boolean expression such as \"id IS NOT NULL\"")));
    Optional<String> sequenceBy = t.optionalString("sequence-by");
    Optional<CdcSpec> cdc = CdcParser.parse(name, t, keys, sequenceBy, write);
    if (cdc.orElse(null) instanceof CdcSpec.Debezium && sequenceBy.isEmpty()) {
      sequenceBy = Optional.of(CdcSpec.LSN);
    }
    return new LayerSpec.Silver(source instanceof SourceSpec.Table tbl ? tbl : null, select,
        filter, sequenceBy, write, cdc, SilverParser.cleansing(t, select, filter, columns), SilverParser.keyViolations(t),
        SilverParser.history(name, t, write, keys, sequenceBy));
  }

  private LayerSpec parseGold(TableName name, SpecReader t, List<String> declaredKeys) {
    int problemsBefore = problems.size();
    Optional<String> inline = t.optionalString("sql");
    Optional<String> file = t.optionalString("sql-file");
    Optional<Aggregate> aggregate = Optional.empty();
    String key = inline.isPresent() ? "sql" : file.isPresent() ? "sql-file" : "aggregate";
    queryKeys.put(name, key.equals("aggregate") ? "aggregate.from" : key);
    String sql = "";
    if ((inline.isPresent() ? 1 : 0) + (file.isPresent() ? 1 : 0) + (t.has("aggregate") ? 1 : 0) > 1) {
      t.problem(key, "Cannot use more than one of sql, sql-file and aggregate: keep one");
    } else if (inline.isPresent()) {
      sql = inline.get();
    } else if (file.isPresent()) {
      sqlFiles.add(file.get());
      Path dir = pipelineFile.toAbsolutePath().getParent();
      Path sqlPath = ConfigLayers.shipped(dir.resolve(file.get()), dir);
      try {
        sql = Files.readString(sqlPath);
      } catch (IOException e) {
        t.problem("sql-file", "Cannot read sql-file " + sqlPath + ": " + e.getMessage());
      }
    } else if (t.has("aggregate")) {
      aggregate = t.object("aggregate").flatMap(this::parseAggregate);
      sql = aggregate.map(Aggregate::toSql).orElse("");
    } else {
      t.problem("sql", "Cannot find the query of this gold table: set sql = \"\"\"SELECT ...\"\"\", sql-file = <file>.sql"
          + " or aggregate { from = silver.<table>, group-by = [...], measures = [\"sum(x) AS total_x\"] }");
    }
    List<TableName> sources = new ArrayList<>();
    if (!sql.isEmpty()) {
      try {
        for (List<String> ref : SqlTableReferences.of(sql)) {
          TableName tn = SqlTableReferences.tableName(ref);
          if (tn != null) {
            if (!sources.contains(tn)) {
              sources.add(tn);
            }
          } else if (ref.size() == 1) {
            t.problem(key, "Cannot resolve table '" + ref.get(0) + "' in the query: name pipeline tables as layer.name, e.g. silver."
                + ref.get(0));
          } else {
            // A database of the catalog is read as it is, but one a letter or two from a layer is
            // a typo: it would make no dependency, and the run would fail on Spark's table-not-found.
            String database = ref.get(ref.size() - 2);
            for (Layer layer : Layer.values()) {
              if (LevenshteinDistance.getDefaultInstance().apply(database.toLowerCase(Locale.ROOT), layer.id()) <= 2) {
                t.problem(key, "Cannot resolve table '" + String.join(".", ref) + "' in the query: " + database
                    + " is no layer; did you mean " + layer.id() + "." + ref.get(ref.size() - 1) + "?");
              }
            }
          }
        }
      } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
        t.problem(key, "Cannot parse the query: " + SqlChecks.firstLine(e));
      }
    }
    if (!sql.isEmpty() && sources.isEmpty() && problemsBefore == problems.size()) {
      t.problem(key, "Cannot refresh a gold table whose query reads no table of"
          + " this pipeline: nothing would ever trigger it; read at least one table, named layer.name");
    }
    Refresh refresh = t.enumValue("refresh", Refresh.class).orElse(Refresh.FULL);
    if (refresh == Refresh.INCREMENTAL && problemsBefore == problems.size()) {
      List<String> keys = declaredKeys.isEmpty() ? aggregate.map(Aggregate::keys).orElse(List.of()) : declaredKeys;
      if (keys.isEmpty()) {
        t.problem("refresh", "Cannot refresh " + name + " incrementally without keys: declare keys = [<output column>, ...],"
            + " the columns that identify a row of the result (its GROUP BY columns)");
      }
      SqlChecks.incrementalProblem(sql).ifPresent(why -> t.problem("refresh", "Cannot refresh " + name
          + " incrementally: its query uses " + why + ", so a change can alter rows it does not reach;"
          + " use refresh = full"));
    }
    return new LayerSpec.Gold(sql, List.copyOf(sources), refresh, aggregate);
  }

  private Optional<Aggregate> parseAggregate(SpecReader a) {
    int problemsBefore = problems.size();
    a.rejectUnknownKeys(AGGREGATE_KEYS);
    String fromRef = a.requiredString("from", "name the table to aggregate, e.g. from = silver.orders");
    TableName from = TableName.parse(fromRef);
    if (from == null && !fromRef.isEmpty()) {
      a.problem("from", "Cannot aggregate table '" + fromRef + "': name it as layer.name, e.g. silver.orders");
    }
    Optional<String> filter = a.optionalString("filter");
    filter.ifPresent(f -> SqlChecks.expression(f).ifPresent(err -> a.problem("filter",
        "Cannot parse the filter \"" + f + "\": " + err + "; write a Spark SQL boolean expression")));
    List<String> keys = new ArrayList<>();
    Optional<Aggregate.TimeGrain> timeGrain = a.object("time-grain").map(g -> {
      g.rejectUnknownKeys(TIME_GRAIN_KEYS);
      String column = g.requiredString("column", "the date or timestamp column to bucket, e.g. column = o_orderdate");
      Aggregate.Grain grain = g.enumValue("grain", Aggregate.Grain.class).orElse(null);
      if (grain == null && !g.has("grain")) {
        g.problem("grain", "Cannot find required key 'grain': hour, day, week, month, quarter or year");
      }
      String as = g.optionalString("as").orElse(column + "_" + (grain == null ? "" : grain.id()));
      keys.add(as);
      return new Aggregate.TimeGrain(column, grain == null ? Aggregate.Grain.DAY : grain, as);
    });
    List<String> groupBy = a.stringList("group-by");
    for (String g : groupBy) {
      Optional<String> err = SqlChecks.expression(g);
      if (err.isPresent()) {
        a.problem("group-by", "Cannot parse the group-by expression \"" + g + "\": " + err.get());
      } else {
        SqlChecks.outputName(g).ifPresentOrElse(keys::add, () -> a.problem("group-by",
            "Cannot name the column that \"" + g + "\" makes: add an alias, e.g. \"" + g + " AS <name>\""));
      }
    }
    List<String> measures = a.stringList("measures");
    if (measures.isEmpty() && !a.has("measures")) {
      a.problem("measures", "Cannot find required key 'measures': list aggregate expressions, e.g. measures = [\"count(*) AS orders\"]");
    }
    for (String m : measures) {
      Optional<String> err = SqlChecks.expression(m);
      if (err.isPresent()) {
        a.problem("measures", "Cannot parse the measure \"" + m + "\": " + err.get());
      } else if (SqlChecks.aliasName(m).isEmpty()) {
        a.problem("measures", "Cannot name the column that the measure \"" + m + "\" makes: write it as \"<aggregate> AS <name>\"");
      }
    }
    if (problems.size() > problemsBefore) {
      return Optional.empty();
    }
    return Optional.of(new Aggregate(from, filter, timeGrain, groupBy, measures, List.copyOf(keys)));
  }

  /** Config objects keep no order; sorting makes reports and plans stable. Layers go in flow order. */
  private static List<String> sorted(java.util.Set<String> keys) {
    return keys.stream().sorted(java.util.Comparator
        .comparing((String k) -> Layer.fromId(k) == null ? Integer.MAX_VALUE : Layer.fromId(k).ordinal())
        .thenComparing(k -> k)).toList();
  }

  private static List<String> with(List<String> base, String... more) {
    List<String> out = new ArrayList<>(base);
    out.addAll(List.of(more));
    return List.copyOf(out);
  }
}
