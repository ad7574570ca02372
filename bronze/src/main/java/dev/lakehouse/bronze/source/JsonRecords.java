package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_except;
import static org.apache.spark.sql.functions.array_intersect;
import static org.apache.spark.sql.functions.array_join;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.json_object_keys;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.spark.LakehouseSpark;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * JSON documents in a string column, parsed with the pinned schema. A document that is not a JSON
 * object, or whose values do not fit their columns' types, is a bad record with its raw text. Keys
 * the pinned schema lacks become extra columns (typed by inference over this batch only), so the
 * table's schema-drift policy can decide about them: they are never silently dropped. So do the
 * fields of the STRUCT columns the table watches ({@code schema-drift-structs}), added to their struct.
 */
final class JsonRecords {
  /** A document's top-level keys that the pinned schema lacks; NULL when it is not a JSON object. */
  private static final String UNKNOWN_KEYS = "_lakehouse_unknown_keys";
  /**
   * A document's top-level keys that name a column bronze writes into every row: the source's
   * {@code keep} (a Kafka message's {@code _offset}, a file's {@code _source}) and bronze's lineage.
   */
  private static final String CLASHES = "_lakehouse_clashing_keys";
  private static final String PARSED = "_lakehouse_parsed";
  /** True when more follows a document's first JSON value, which Spark's parser reads alone. */
  private static final String MORE = "_lakehouse_more";
  private static final JsonFactory JSON = new JsonFactory();
  /** The name under which the storing pass observes the documents' counts. */
  private static final String OBSERVED = "lakehouse_json_records";

  private JsonRecords() {}

  /**
   * @param batch rows with a string column {@code text} (null or blank rows are skipped) and the
   *     columns in {@code keep}, which every output row carries on
   * @param options JSON reader options (timestampFormat, allowComments, ...)
   * @param driftStructs STRUCT columns of {@code pinned} whose unknown fields count as unknown keys
   *     too, named {@code struct.field} (Debezium's {@code before} and {@code after}); the fields of
   *     other STRUCT columns are read as declared
   */
  static Records parse(Dataset<Row> batch, String text, StructType pinned, Map<String, String> options, List<String> keep,
      List<String> driftStructs) {
    Map<String, String> parseOptions = new HashMap<>(options);
    // Bad records go where bad-records says; the config refuses these two in a source's options (ReaderOptions).
    parseOptions.put("mode", "PERMISSIVE");
    parseOptions.put("columnNameOfCorruptRecord", BronzeColumns.CORRUPT);
    // Keys and values in one pass, stored: the unknown keys, the bad records' count and the append
    // then read the parsed documents instead of parsing every document three times. The same pass
    // counts the documents, the bad ones and those with unknown keys, so a batch with none (most
    // batches) needs no job to look for unknown keys or to count its records.
    // Only the unknown keys are stored, not every key of every document.
    // A document with such a key is a bad record (kept raw, with its reason), not drift: the row
    // could not hold both values, and a run stopped on it would stop on it again, a Kafka topic's
    // for good.
    List<String> taken = java.util.stream.Stream.concat(keep.stream(), BronzeColumns.RESERVED.stream()).distinct().toList();
    Dataset<Row> observed = batch
        .where(col(text).isNotNull().and(org.apache.spark.sql.functions.trim(col(text)).notEqual("")))
        .withColumn(UNKNOWN_KEYS, unknownKeyColumn(text, pinned, taken, driftStructs))
        .withColumn(CLASHES, array_intersect(json_object_keys(col(text)), names(taken)))
        .withColumn(MORE, udf((UDF1<String, Boolean>) JsonRecords::moreAfterFirstValue, DataTypes.BooleanType).apply(col(text)))
        .withColumn(PARSED, document(text, pinned, parseOptions));
    observed = observed.observe(OBSERVED, count(lit(1)), count(when(not(good()), true)),
        count(when(size(col(UNKNOWN_KEYS)).gt(0), true)));
    Dataset<Row> docs = LakehouseSpark.materialize(observed);
    scala.Option<Row> seen = observed.queryExecution().observedMetrics().get(OBSERVED);
    StructType schema = pinned;
    List<String> unknown = seen.isDefined() && seen.get().getLong(2) == 0 ? List.of() : unknownKeys(docs);
    Dataset<Row> parsed = docs;
    if (!unknown.isEmpty()) {
      // Only this batch's documents are inferred, and only for the keys nobody declared.
      StructType inferred = docs.sparkSession().read().options(options)
          .json(docs.select(col(text)).as(Encoders.STRING())).schema();
      for (StructField f : inferred.fields()) {
        if (unknown.contains(f.name())) {
          schema = schema.add(f);
        }
      }
      schema = withNestedKeys(schema, inferred, unknown, driftStructs);
      parsed = docs.withColumn(PARSED, document(text, schema, parseOptions));
    }

    List<Column> out = new ArrayList<>();
    for (StructField f : schema.fields()) {
      out.add(col(PARSED + ".`" + f.name() + "`").as(f.name()));
    }
    keep.forEach(k -> out.add(col(k)));
    Column reason = when(col(MORE), lit("Cannot parse the record as one JSON object: more follows its first document;"
            + " land one document per line (JSON Lines), or one per file with the option multiLine = true"))
        .when(col(UNKNOWN_KEYS).isNull(), lit("Cannot parse the record as a JSON object: malformed JSON"))
        .when(clashes(), concat(lit("Cannot read the record: its keys "), array_join(col(CLASHES), ", "),
            lit(" name columns bronze writes into every row (" + String.join(", ", taken) + "); rename them where the records are made")))
        .otherwise(lit("Cannot read the record with schema \"" + pinned.toDDL()
            + "\": a value does not fit the type of its column"));
    List<Column> badColumns = new ArrayList<>(List.of(col(text).cast("string").as(BronzeColumns.RAW)));
    keep.forEach(k -> badColumns.add(col(k)));
    badColumns.add(reason.as(BronzeColumns.REASON));
    Records records = Records.split(parsed, not(good()), g -> g.select(out.toArray(Column[]::new)),
        b -> b.select(badColumns.toArray(Column[]::new)));
    // Counted with the pinned schema: they hold for the records only when no key widened it.
    if (seen.isDefined() && unknown.isEmpty()) {
      long bad = seen.get().getLong(1);
      return records.withCounts(seen.get().getLong(0) - bad, bad);
    }
    return records;
  }

  /**
   * A document's keys that {@code pinned} lacks: top-level keys, then the fields of each watched
   * STRUCT as {@code struct.field}; NULL when the document is not a JSON object (a watched value
   * that is not an object, or null, has no fields to report).
   */
  private static Column unknownKeyColumn(String text, StructType pinned, List<String> taken, List<String> driftStructs) {
    Column keys = array_except(json_object_keys(col(text)), known(pinned, taken));
    for (String s : driftStructs) {
      StructType declared = (StructType) pinned.apply(s).dataType();
      String fields = java.util.Arrays.stream(declared.fieldNames()).map(JsonRecords::sqlString)
          .collect(java.util.stream.Collectors.joining(", "));
      Column nested = expr("coalesce(transform(array_except(json_object_keys(get_json_object(`" + text.replace("`", "``")
          + "`, " + sqlString("$['" + s + "']") + ")), cast(array(" + fields + ") AS array<string>)), k -> concat("
          + sqlString(s + ".") + ", k)), cast(array() AS array<string>))");
      keys = concat(keys, nested);
    }
    return keys;
  }

  /** {@code schema} with the unknown {@code struct.field} keys added to their watched STRUCT, typed as {@code inferred} reads them. */
  private static StructType withNestedKeys(StructType schema, StructType inferred, List<String> unknown, List<String> driftStructs) {
    StructType out = schema;
    for (String s : driftStructs) {
      if (!java.util.Arrays.asList(inferred.fieldNames()).contains(s) || !(inferred.apply(s).dataType() instanceof StructType seen)) {
        continue;
      }
      StructField declared = out.apply(s);
      StructType widened = (StructType) declared.dataType();
      for (StructField f : seen.fields()) {
        if (unknown.contains(s + "." + f.name())) {
          widened = widened.add(f);
        }
      }
      StructField[] fields = out.fields().clone();
      fields[out.fieldIndex(s)] = new StructField(s, widened, declared.nullable(), declared.metadata());
      out = new StructType(fields);
    }
    return out;
  }

  private static String sqlString(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * True for a document that is one JSON object whose values fit their columns' types, and none of
   * whose keys is a column bronze writes into every row: the row could not hold both.
   */
  private static Column good() {
    return col(PARSED).isNotNull().and(col(UNKNOWN_KEYS).isNotNull()).and(col(PARSED + "." + BronzeColumns.CORRUPT).isNull())
        .and(not(col(MORE))).and(not(clashes()));
  }

  /** True for a document with a key that names a column bronze writes into every row (a Kafka message's {@code _offset}...). */
  private static Column clashes() {
    return coalesce(size(col(CLASHES)).gt(0), lit(false));
  }

  /**
   * Whether {@code text} holds more after its first JSON value: Spark's {@code from_json} reads the
   * first and ignores the rest, so {@code {"id":1} {"id":2}} on one line, or a JSON Lines file read
   * with {@code multiLine = true}, would keep one document and lose the others without a word.
   * Text that does not parse is left to {@code from_json}'s verdict (false here).
   */
  static boolean moreAfterFirstValue(String text) {
    if (text == null) {
      return false;
    }
    try (JsonParser p = JSON.createParser(text)) {
      if (p.nextToken() == null) {
        return false;
      }
      p.skipChildren();
      return p.nextToken() != null;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The keys a document may have without widening the schema: the pinned columns, the corrupt-record
   * column, and the columns bronze writes into every row (a document with one of those is bad: {@link #clashes}).
   */
  private static Column known(StructType pinned, List<String> taken) {
    List<String> known = new ArrayList<>(List.of(pinned.fieldNames()));
    known.add(BronzeColumns.CORRUPT);
    known.addAll(taken);
    return names(known);
  }

  private static Column names(List<String> names) {
    return array(names.stream().map(n -> lit(n)).toArray(Column[]::new)).cast("array<string>");
  }

  /** The document in {@code text} read with {@code schema}, plus the corrupt-record column. */
  private static Column document(String text, StructType schema, Map<String, String> parseOptions) {
    return from_json(col(text), schema.add(BronzeColumns.CORRUPT, DataTypes.StringType), parseOptions);
  }

  /** The distinct unknown keys of this batch's documents, sorted. */
  private static List<String> unknownKeys(Dataset<Row> docs) {
    List<String> unknown = new ArrayList<>();
    for (Row r : docs.select(explode(col(UNKNOWN_KEYS)).as("k")).distinct().collectAsList()) {
      unknown.add(r.getString(0));
    }
    unknown.sort(String::compareTo);
    return unknown;
  }
}
