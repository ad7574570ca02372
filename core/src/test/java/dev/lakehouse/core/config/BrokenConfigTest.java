package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.ConfigException;
import dev.lakehouse.core.errors.ConfigProblem;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Each file in src/test/resources/broken is wrong in one way; the message must say where and how to fix it. */
class BrokenConfigTest {
  private static final String DIR = "src/test/resources/broken/";

  private static List<ConfigProblem> problems(String file) {
    ConfigLayers.Request request = new ConfigLayers.Request(Path.of(DIR + file), Optional.empty(), List.of(),
        Map.of("LAKEHOUSE_ROOT", "/tmp/lakehouse-test-root"));
    try {
      PipelineParser.load(request);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError(file + " was accepted");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      typo-key.conf       | src/test/resources/broken/typo-key.conf:10: pipeline.tables.silver.orders.keyz: Unknown key 'keyz'; supported keys here are: description, owner, format, location, keys, partition-by, columns, maintenance, source, select, filter, sequence-by, write, cdc, expectations, rename, trim, case, cast, defaults, derive, delete-when, key-violations, history, pii
      wrong-type.conf     | src/test/resources/broken/wrong-type.conf:10: pipeline.tables.silver.orders.keys: Cannot read 'keys': expected a list such as [a, b] but found a string
      unknown-format.conf | src/test/resources/broken/unknown-format.conf:6: pipeline.tables.bronze.orders.format: Cannot use format = iceberg: supported values are delta, hudi
      missing-source.conf | src/test/resources/broken/missing-source.conf:5: pipeline.tables.bronze.orders.source: Cannot find required key 'source' of bronze.orders: a bronze table reads from a source, e.g. source { type = files, format = csv, path = landing/orders, schema = "..." }
      cycle.conf          | src/test/resources/broken/cycle.conf:5: pipeline.tables.silver.a: Cannot order the tables: they form a cycle silver.a -> silver.b -> silver.a; a table may not depend on itself, remove one of these reads
      silver-reads-gold.conf | src/test/resources/broken/silver-reads-gold.conf:5: pipeline.tables.silver.orders.source: Cannot let silver.orders read gold.revenue: a silver table may not read from the later layer gold; data flows bronze -> silver -> gold
      missing-table.conf  | src/test/resources/broken/missing-table.conf:5: pipeline.tables.silver.orders.source: Cannot find table bronze.orderz read by silver.orders: it is not declared in this pipeline; declared tables are [silver.orders]
      companion-name.conf | src/test/resources/broken/companion-name.conf:9: pipeline.tables.silver.customer_tombstones: Cannot name a table silver.customer_tombstones: silver.customer keeps its deleted keys in a table of that name, at /tmp/lakehouse-test-root/silver/customer_tombstones, which both would write; rename silver.customer_tombstones
      """)
  void reportsTheProblemWithPathAndLine(String file, String expected) {
    assertThat(problems(file)).extracting(ConfigProblem::toString).contains(expected);
  }

  @Test
  void reportsEveryProblemAtOnce() {
    List<String> all = problems("many-problems.conf").stream().map(ConfigProblem::toString).toList();
    assertThat(all).containsExactlyInAnyOrder(
        "src/test/resources/broken/many-problems.conf:3: pipeline.colour: Unknown key 'colour'; supported keys here are: name, description, owner, format, tables, schedule",
        "src/test/resources/broken/many-problems.conf:6: pipeline.tables.bronze.orders.source.type: Cannot use source type 'ftp': supported types are files, kafka, jdbc, table",
        "src/test/resources/broken/many-problems.conf:8: pipeline.tables.platinum: Unknown layer 'platinum'; tables are declared under bronze, silver or gold",
        "src/test/resources/broken/many-problems.conf:12: pipeline.tables.gold.revenue.sql: Cannot find table silver.nothing read by gold.revenue: it is not declared in this pipeline; declared tables are [bronze.orders, gold.monthly, gold.revenue]",
        "src/test/resources/broken/many-problems.conf:13: pipeline.tables.gold.monthly.aggregate.from: Cannot find table silver.gone read by gold.monthly: it is not declared in this pipeline; declared tables are [bronze.orders, gold.monthly, gold.revenue]");
  }

  @Test
  void bronzeSourcesAndPoliciesAreChecked() {
    String f = "src/test/resources/broken/bronze-sources.conf:";
    assertThat(problems("bronze-sources.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "5: pipeline.tables.bronze.clicks.source.topics: Cannot find the topics to read: set topics = [orders] or topic-pattern = \"orders-.*\"",
        f + "7: pipeline.tables.bronze.orders.source.url: Cannot use url = postgresql://db/shop: a JDBC URL starts with jdbc:, e.g. jdbc:postgresql://db:5432/shop",
        f + "7: pipeline.tables.bronze.orders.source.query: Cannot use both table and query: keep one",
        f + "5: pipeline.tables.bronze.clicks.source.options: Cannot set the Kafka option Subscribe in options: it is set from this source block (bootstrap-servers, topics or topic-pattern, starting-offsets); remove it from options",
        f + "5: pipeline.tables.bronze.clicks.source.options: Cannot set the Kafka option kafka.auto.offset.reset: Spark's Kafka source decides where to start; set starting-offsets = earliest or latest in the source block (the first run only: later runs go on from the table's checkpoint)",
        f + "7: pipeline.tables.bronze.orders.source.options: Cannot set the JDBC option DBTable in options: it is set from this source block (url, table, query, partition { ... }); remove it from options",
        f + "8: pipeline.tables.bronze.orders.bad-records: Cannot use bad-records = drop: supported values are quarantine, rescue",
        f + "9: pipeline.tables.bronze.orders.retention: Cannot keep rows for PT-24H: write a positive duration such as 90 days, or remove retention to keep every row",
        f + "11: pipeline.tables.bronze.events.schema-drift: Cannot use schema-drift = ignore: supported values are fail, add-new-columns, rescue",
        f + "11: pipeline.tables.bronze.events.retention: Cannot read 'retention' as a duration: forever; write e.g. 10s, 1 minute",
        f + "12: pipeline.tables.bronze.drops.source.options.heder: Cannot use the option 'heder' with csv files: Spark's csv reader "
            + "does not know it and would ignore it; did you mean 'header'?",
        f + "12: pipeline.tables.bronze.drops.source.options.maxFilesPerTriger: Cannot use the option 'maxFilesPerTriger' with csv "
            + "files: Spark's csv reader does not know it and would ignore it; did you mean 'maxFilesPerTrigger'?",
        f + "13: pipeline.tables.bronze.logs.source.options.delimiter: Cannot use the option 'delimiter' with text files: Spark's "
            + "text reader does not know it and would ignore it; the options it knows are [basePath, cleanSource, compression, "
            + "discardCachedInputRatio, encoding, fileNameOnly, ignoreCorruptFiles, ignoreMissingFiles, latestFirst, lineSep, "
            + "maxCachedFiles, maxFileAge, maxFilesPerTrigger, modifiedafter, modifiedbefore, path, pathglobfilter, "
            + "recursiveFileLookup, sourceArchiveDir, timeZone, wholetext]");
  }

  /**
   * Reader options bronze cannot honour are refused, not replaced without a word: it parses records
   * itself, PERMISSIVE (mode, columnNameOfCorruptRecord; bad-records says where bad ones go), and
   * fileNameOnly would make the file stream skip files of a name it has read.
   */
  @Test
  void readerOptionsBronzeWouldOverrideAreRefusedWithTheSettingToUse() {
    String f = "src/test/resources/broken/bronze-parsing-options.conf:";
    String mode = "bronze parses every record itself (PERMISSIVE) and never drops a record that does not parse (DROPMALFORMED)"
        + " nor stops the run at it (FAILFAST): it goes where the table's bad-records says. Set bad-records = quarantine (the"
        + " default: to the table's _quarantine table, its text in _raw) or bad-records = rescue (kept in the table, its text in"
        + " _rescued_data) on the table, and remove mode from options";
    assertThat(problems("bronze-parsing-options.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "5: pipeline.tables.bronze.orders.source.options.mode: Cannot use the option 'mode': " + mode,
        f + "6: pipeline.tables.bronze.events.source.options.MODE: Cannot use the option 'MODE': " + mode,
        f + "6: pipeline.tables.bronze.events.source.options.columnNameOfCorruptRecord: Cannot use the option"
            + " 'columnNameOfCorruptRecord': bronze keeps the text of a record that does not parse itself, in _raw of the"
            + " table's _quarantine table (bad-records = quarantine, the default) or in _rescued_data (bad-records = rescue);"
            + " set bad-records on the table, and remove columnNameOfCorruptRecord from options",
        f + "7: pipeline.tables.bronze.drops.source.options.fileNameOnly: Cannot use the option 'fileNameOnly': with it"
            + " Spark's file stream takes a file whose name it has read before, in any folder, as read and skips it without a"
            + " word (day=2/orders.csv after day=1/orders.csv), and bronze's check that stops a run when a file it read"
            + " changed compares full paths, so it would not see them either; remove fileNameOnly (a file stream then reads"
            + " each full path once)",
        f + "8: pipeline.tables.bronze.clicks.source.options.mode: Cannot use the option 'mode': " + mode);
  }

  @Test
  void scheduleProblemsNameTheKeyAndTheFix() {
    assertThat(problems("bad-schedule.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        "src/test/resources/broken/bad-schedule.conf:7: pipeline.schedule.timezone: Unknown key 'timezone'; supported keys here are: cron, retries, retry-delay, start-date, tasks, maintenance",
        "src/test/resources/broken/bad-schedule.conf:4: pipeline.schedule.retries: Cannot use retries = -1: expected a whole number of at least 0",
        "src/test/resources/broken/bad-schedule.conf:5: pipeline.schedule.tasks: Cannot use tasks = dag: supported values are table, layer",
        "src/test/resources/broken/bad-schedule.conf:6: pipeline.schedule.start-date: Cannot use start-date = 1 May 2025: write a date as yyyy-mm-dd, e.g. 2025-01-01",
        "src/test/resources/broken/bad-schedule.conf:8: pipeline.schedule.maintenance: Cannot use maintenance = weekly: supported values are after-each-run, none");
  }
  /** Keyed silver tables on Hudi may not be partitioned; a keyless one, or a keyed Delta one, may. */
  @Test
  void keyedHudiTablesWrittenByKeyAreNotPartitioned() {
    String f = "src/test/resources/broken/hudi-partitioned-keys.conf:";
    String why = ": it is a Hudi table with keys, and Hudi finds a key's stored row only in the partition of the row"
        + " written, so a delete would miss it and a key whose city changed would be stored twice; remove partition-by,"
        + " or set format = delta on this table";
    assertThat(problems("hudi-partitioned-keys.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "9: pipeline.tables.silver.customer.partition-by: Cannot partition silver.customer by [city]" + why,
        f + "10: pipeline.tables.silver.history.partition-by: Cannot partition silver.history by [city]" + why,
        f + "15: pipeline.tables.gold.by_city.partition-by: Cannot partition gold.by_city by [city]" + why);
  }

  @Test
  void maintenanceSettingsAreChecked() {
    String f = "src/test/resources/broken/bad-maintenance.conf:";
    assertThat(problems("bad-maintenance.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "2: lakehouse.maintenance.z-order-by: Unknown key 'z-order-by'; supported keys here are: keep-history, optimize, every, keep-reports",
        f + "9: pipeline.tables.bronze.orders.maintenance.vacuum: Unknown key 'vacuum'; supported keys here are: keep-history, optimize, every, z-order-by",
        f + "9: pipeline.tables.bronze.orders.maintenance.keep-history: Cannot keep PT-24H of history: write 0s or more, e.g. 7 days (the default)",
        f + "9: pipeline.tables.bronze.orders.maintenance.optimize: Cannot use optimize = sometimes: write true or false",
        f + "9: pipeline.tables.bronze.orders.maintenance.z-order-by: Cannot z-order by day: it is a partition column, whose values each file holds one of already; remove it from z-order-by",
        f + "11: pipeline.tables.bronze.events.maintenance.z-order-by: Cannot z-order a hudi table: z-order-by is Delta's OPTIMIZE ... ZORDER BY; remove it (Hudi lays out files with its clustering service)");
  }


  /**
   * Spark ignores a spark.* setting it does not know: a near miss of one it registers is refused; the
   * right names, families (spark.hadoop.*, a catalog's name) and other modules' settings are not.
   */
  @Test
  void misspeltSparkSettingsAreRefusedAtTheirLines() {
    String f = "src/test/resources/broken/spark-settings.conf:";
    String p = "lakehouse.spark.conf.";
    assertThat(problems("spark-settings.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "3: " + p + "spark.sql.shuffle.partition: Cannot use the Spark setting 'spark.sql.shuffle.partition': Spark has no"
            + " setting of that name and would ignore it; did you mean 'spark.sql.shuffle.partitions'?",
        f + "5: " + p + "spark.databricks.delta.snapshotPartition: Cannot use the Spark setting"
            + " 'spark.databricks.delta.snapshotPartition': Spark has no setting of that name and would ignore it; did you mean"
            + " 'spark.databricks.delta.snapshotPartitions'?",
        f + "11: " + p + "spark.sql.adaptive.enable: Cannot use the Spark setting 'spark.sql.adaptive.enable': Spark has no"
            + " setting of that name and would ignore it; did you mean 'spark.sql.adaptive.enabled'?");
  }

  @Test
  void sqlFragmentsAreParsedBeforeAnythingRuns() {
    List<String> all = problems("bad-sql.conf").stream().map(ConfigProblem::toString).toList();
    assertThat(all).hasSize(5);
    assertThat(all.get(0)).startsWith("src/test/resources/broken/bad-sql.conf:5: pipeline.tables.bronze.orders.source.schema: "
        + "Cannot parse schema \"id BIGINT, name STRNG(\": ").endsWith("; write Spark DDL such as \"id BIGINT, name STRING\"");
    assertThat(all.get(1)).startsWith("src/test/resources/broken/bad-sql.conf:10: pipeline.tables.silver.orders.select: "
        + "Cannot parse the expression \"CAST(id AS BIGINT AS id\": [PARSE_SYNTAX_ERROR]");
    assertThat(all.get(2)).startsWith("src/test/resources/broken/bad-sql.conf:11: pipeline.tables.silver.orders.filter: "
        + "Cannot parse the filter \"id >\": [PARSE_SYNTAX_ERROR]");
    assertThat(all.get(3)).isEqualTo("src/test/resources/broken/bad-sql.conf:15: pipeline.tables.gold.constant.sql: "
        + "Cannot refresh a gold table whose query reads no table of this pipeline: nothing would ever trigger it; "
        + "read at least one table, named layer.name");
    // A misspelt layer is no table of the pipeline: without the check it made no dependency and
    // the run failed on Spark's table-not-found.
    assertThat(all.get(4)).isEqualTo("src/test/resources/broken/bad-sql.conf:16: pipeline.tables.gold.misspelt.sql: "
        + "Cannot resolve table 'silvr.orders' in the query: silvr is no layer; did you mean silver.orders?");
  }

  @Test
  void wholeMessageListsEveryProblem() {
    ConfigLayers.Request request = new ConfigLayers.Request(Path.of(DIR + "many-problems.conf"), Optional.empty(),
        List.of(), Map.of());
    assertThatThrownBy(() -> PipelineParser.load(request))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("Cannot use the configuration: 5 problem(s)\n  - src/test/resources/broken/many-problems.conf:3: pipeline.colour");
  }

  @Test
  void silverCleansingAndHistoryAreChecked() {
    String f = "src/test/resources/broken/silver-cleansing.conf:";
    assertThat(problems("silver-cleansing.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "23: pipeline.tables.silver.log.delete-when: Cannot delete rows of silver.log, which is written as append: deletes apply to write = scd1 or scd2 (with keys); change write or remove delete-when",
        f + "24: pipeline.tables.silver.log.history: Cannot keep history for silver.log written as append: history applies to write = scd2; set write = scd2 or remove history",
        f + "28: pipeline.tables.silver.nokeys.write: Cannot write silver.nokeys as scd2 without keys: declare keys = [<column>, ...]",
        f + "28: pipeline.tables.silver.nokeys.write: Cannot write silver.nokeys as scd2 without sequence-by: versions are ordered and dated by it; declare sequence-by = <column>, e.g. an update time or a change sequence number",
        f + "15: pipeline.tables.silver.people.columns.phone.mask: Cannot use mask = scramble: supported values are keep, hash, redact, last4",
        f + "10: pipeline.tables.silver.people.case.name: Cannot use name = shout: supported values are upper, lower, initcap",
        f + "11: pipeline.tables.silver.people.cast.age.format: Cannot use a format or time-zone with type int: they apply to date and timestamp only; remove them or cast to date or timestamp",
        f + "11: pipeline.tables.silver.people.cast.age.format: Cannot use the datetime pattern \"##\": Pattern includes reserved character: '#'; write a pattern such as yyyy-MM-dd HH:mm:ss",
        f + "11: pipeline.tables.silver.people.cast.born: Cannot cast born to 'dat': [UNSUPPORTED_DATATYPE] Unsupported data type \"DAT\".(line 1, pos 0); write a Spark type such as bigint, decimal(12,2), date or timestamp",
        f + "11: pipeline.tables.silver.people.cast.seen.time-zone: Cannot use the time zone 'Mars/Olympus': Unknown time-zone ID: Mars/Olympus; write a region such as Europe/Paris or an offset such as +02:00",
        f + "12: pipeline.tables.silver.people.defaults: Cannot parse the default of city \"'unknown\": [PARSE_SYNTAX_ERROR] Syntax error at or near '''.(line 1, pos 0); write a Spark SQL expression such as 'unknown' or 0",
        f + "13: pipeline.tables.silver.people.derive: Cannot name the column that \"upper(name)\" makes: write it as \"<expression> AS <name>\"",
        f + "13: pipeline.tables.silver.people.derive: Cannot parse the derived column \"concat(name, ' ', city AS label\": [PARSE_SYNTAX_ERROR] Syntax error at or near 'AS': extra input 'AS'.(line 1, pos 23); write \"<Spark SQL expression> AS <name>\"",
        f + "14: pipeline.tables.silver.people.delete-when: Cannot parse delete-when \"op = = 'D'\": [PARSE_SYNTAX_ERROR] Syntax error at or near '='.(line 1, pos 5); write a Spark SQL boolean expression such as \"op = 'D'\"",
        f + "18: pipeline.tables.silver.people.history.except: Cannot use both track and except: track lists the columns whose change makes a new version, except the columns whose change does not; keep one",
        f + "18: pipeline.tables.silver.people.history.deletes: Cannot use deletes = hide: supported values are close, flag",
        f + "18: pipeline.tables.silver.people.history.valid-from: Cannot use one name for two history columns: [valid, valid, is_current]; give each its own name");
  }

  @Test
  void expectationsAreCheckedBeforeAnythingRuns() {
    String f = "src/test/resources/broken/bad-expectations.conf:";
    String p = "pipeline.tables.silver.orders.expectations";
    assertThat(problems("bad-expectations.conf")).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
        f + "6: pipeline.tables.bronze.orders.expectations[0].action: Cannot quarantine rows of bronze.orders by expectation"
            + " 'no_dupes': bronze.orders_quarantine holds the records that could not be parsed; use drop, warn or fail here,"
            + " or quarantine in the silver table that reads it",
        f + "13: " + p + "[0].action: Cannot use action = stop: supported values are warn, drop, quarantine, fail",
        f + "14: " + p + "[1].name: Cannot use the expectation name 'key_present' twice in silver.orders: names identify rules in results",
        f + "15: " + p + "[2].name: Cannot use 'Bad-Name' as an expectation name: use lower-case letters, digits and _",
        f + "15: " + p + "[2].rule: Cannot parse the rule \"id >\": [PARSE_SYNTAX_ERROR] Syntax error at or near end of input.(line 1, pos 4);"
            + " write a Spark SQL boolean expression such as \"o_totalprice >= 0\"",
        f + "16: " + p + "[3].unique: Cannot use more than one rule (not-null, unique) in expectation 'two_rules': give exactly one of "
            + String.join(", ", ExpectationParser.RULE_KEYS),
        f + "17: " + p + "[4].name: Cannot find the rule of expectation 'no_rule': give exactly one of "
            + String.join(", ", ExpectationParser.RULE_KEYS),
        f + "18: " + p + "[5].column: Cannot find required key 'column': in-set checks one column: add column = <name>",
        f + "19: " + p + "[6].action: Cannot drop rows for expectation 'enough': row-count judges the batch as a whole, not single rows;"
            + " use action = warn or fail",
        f + "21: " + p + "[8].pattern: Cannot use pattern \"([a-z\": Unclosed character class; write a Java regular expression",
        f + "22: " + p + "[9].anomaly.metric: Cannot watch metric 'median(id)': supported metrics are row-count and mean(<column>)",
        f + "23: " + p + "[10].severity: Unknown key 'severity'; supported keys here are: " + String.join(", ", ExpectationParser.KEYS),
        f + "23: " + p + "[10].completeness: Cannot use completeness = 1.5: it is the least share of non-NULL values, 0 to 1, e.g. 0.95",
        f + "10: pipeline.tables.silver.orders.expectations: Cannot find table silver.customer read by silver.orders: it is not declared"
            + " in this pipeline; declared tables are [bronze.orders, silver.orders]");
  }

  @Test
  void missingPipelineFileSaysWhatToPass() {
    assertThat(problems("does-not-exist.conf")).extracting(ConfigProblem::toString).containsExactly(
        "--conf: Cannot find pipeline file src/test/resources/broken/does-not-exist.conf; pass --conf with the path of a pipeline file such as conf/pipelines/tpch.conf");
  }
}
