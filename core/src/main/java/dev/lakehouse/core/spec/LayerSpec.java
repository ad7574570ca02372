package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Optional;

/** The part of a table spec that only its layer understands. */
public sealed interface LayerSpec {

  /** The pipeline tables this table reads. */
  List<TableName> upstream();

  /**
   * A bronze table: raw records from a source, appended as they arrived.
   *
   * @param badRecords where records that cannot be parsed go
   * @param schemaDrift what happens when records carry columns the table does not have
   * @param retention how long rows are kept (by {@code _ingested_at}); empty: for ever
   * @param driftStructs declared {@code STRUCT} columns of JSON records whose fields {@code schemaDrift}
   *     covers too, as it covers top-level columns (Debezium's {@code before} and {@code after}: a column
   *     the source database gains arrives as a new field in them); the fields of other structs are read
   *     as declared and the rest left out
   */
  record Bronze(SourceSpec source, BadRecords badRecords, SchemaDrift schemaDrift, Optional<java.time.Duration> retention,
      List<String> driftStructs) implements LayerSpec {
    public Bronze(SourceSpec source) {
      this(source, BadRecords.QUARANTINE, SchemaDrift.FAIL, Optional.empty(), List.of());
    }

    @Override
    public List<TableName> upstream() {
      return source == null ? List.of() : source.tables(); // null only while a broken spec is reported
    }
  }

  /**
   * A silver table: one upstream table, cleansed, deduplicated and written by {@code write}.
   *
   * @param select Spark SQL expressions that make the output columns (all columns when empty)
   * @param filter a Spark SQL boolean expression; rows where it is not true are left out
   * @param sequenceBy the column that orders versions of a key: the newest wins
   * @param cdc how the input carries change events (inserts, updates and deletes), if it does
   * @param cleansing everything done to a row before it is written (select and filter included)
   * @param keyViolations what happens to rows with null or ambiguous keys
   * @param history how {@code write = scd2} keeps versions ({@link Scd2Spec#DEFAULT} otherwise)
   */
  record Silver(
      SourceSpec.Table source,
      List<String> select,
      Optional<String> filter,
      Optional<String> sequenceBy,
      WriteMode write,
      Optional<CdcSpec> cdc,
      Cleansing cleansing,
      KeyViolations keyViolations,
      Scd2Spec history)
      implements LayerSpec {

    @Override
    public List<TableName> upstream() {
      return source == null ? List.of() : source.tables();
    }
  }

  /**
   * A gold table: the result of a Spark SQL query over silver and gold tables.
   *
   * @param sql the query; tables are named {@code layer.name} (compiled from {@code aggregate} when given)
   * @param sources the pipeline tables the query names
   * @param aggregate the declarative aggregate the query was compiled from, if any
   */
  record Gold(String sql, List<TableName> sources, Refresh refresh, Optional<Aggregate> aggregate) implements LayerSpec {
    @Override
    public List<TableName> upstream() {
      return sources;
    }
  }
}
