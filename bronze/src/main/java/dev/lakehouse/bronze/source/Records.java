package dev.lakehouse.bronze.source;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One micro-batch, read by a source.
 *
 * @param rows the records that parsed: data columns (the pinned schema, plus any columns the
 *     records carry beyond it), source metadata, and {@code _source}
 * @param bad the records that did not parse, as {@code _raw}, {@code _source}, {@code _reason}
 *     plus the source's metadata columns; empty for sources whose records are always typed
 */
public record Records(Dataset<Row> rows, Dataset<Row> bad) {}
