package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.from_json;
import static org.apache.spark.sql.functions.json_object_keys;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.lakehouse.bronze.BronzeColumns;
import dev.lakehouse.core.spark.LakehouseSpark;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * JSON documents in a string column, parsed with the pinned schema. A document that is not a JSON
 * object, or whose values do not fit their columns' types, is a bad record with its raw text. Keys
 * the pinned schema lacks become extra columns (typed by inference over this batch only), so the
 * table's schema-drift policy can decide about them: they are never silently dropped.
 */
final class JsonRecords {
  private static final String KEYS = "_lakehouse_keys";
  private static final String PARSED = "_lakehouse_parsed";

  private JsonRecords() {}

  /**
   * @param batch rows with a string column {@code text} (null or blank rows are skipped) and the
   *     columns in {@code keep}, which every output row carries on
   * @param options JSON reader options (timestampFormat, allowComments, ...)
   */
  static Records parse(Dataset<Row> batch, String text, StructType pinned, Map<String, String> options, List<String> keep) {
    Map<String, String> parseOptions = new HashMap<>(options);
    parseOptions.put("mode", "PERMISSIVE");
    parseOptions.put("columnNameOfCorruptRecord", BronzeColumns.CORRUPT);
    // Keys and values in one pass, stored: the unknown keys, the bad records' count and the append
    // then read the parsed documents instead of parsing every document three times.
    Dataset<Row> docs = LakehouseSpark.materialize(batch
        .where(col(text).isNotNull().and(org.apache.spark.sql.functions.trim(col(text)).notEqual("")))
        .withColumn(KEYS, json_object_keys(col(text)))
        .withColumn(PARSED, document(text, pinned, parseOptions)));
    StructType schema = pinned;
    List<String> unknown = unknownKeys(docs, pinned);
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
      parsed = docs.withColumn(PARSED, document(text, schema, parseOptions));
    }
    Column good = col(PARSED).isNotNull().and(col(KEYS).isNotNull())
        .and(col(PARSED + "." + BronzeColumns.CORRUPT).isNull());

    List<Column> out = new ArrayList<>();
    for (StructField f : schema.fields()) {
      out.add(col(PARSED + ".`" + f.name() + "`").as(f.name()));
    }
    keep.forEach(k -> out.add(col(k)));
    Column reason = when(col(KEYS).isNull(), lit("Cannot parse the record as a JSON object: malformed JSON"))
        .otherwise(lit("Cannot read the record with schema \"" + pinned.toDDL()
            + "\": a value does not fit the type of its column"));
    List<Column> badColumns = new ArrayList<>(List.of(col(text).cast("string").as(BronzeColumns.RAW)));
    keep.forEach(k -> badColumns.add(col(k)));
    badColumns.add(reason.as(BronzeColumns.REASON));
    return Records.split(parsed, org.apache.spark.sql.functions.not(good), g -> g.select(out.toArray(Column[]::new)),
        b -> b.select(badColumns.toArray(Column[]::new)));
  }

  /** The document in {@code text} read with {@code schema}, plus the corrupt-record column. */
  private static Column document(String text, StructType schema, Map<String, String> parseOptions) {
    return from_json(col(text), schema.add(BronzeColumns.CORRUPT, DataTypes.StringType), parseOptions);
  }

  /** Top-level keys of this batch's documents that {@code pinned} does not have. */
  private static List<String> unknownKeys(Dataset<Row> docs, StructType pinned) {
    Set<String> known = new LinkedHashSet<>(List.of(pinned.fieldNames()));
    List<String> unknown = new ArrayList<>();
    for (Row r : docs.select(explode(col(KEYS)).as("k")).distinct().collectAsList()) {
      String k = r.getString(0);
      if (!known.contains(k) && !k.equals(BronzeColumns.CORRUPT)) {
        unknown.add(k);
      }
    }
    unknown.sort(String::compareTo);
    return unknown;
  }
}
