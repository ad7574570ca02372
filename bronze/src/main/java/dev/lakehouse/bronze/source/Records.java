package dev.lakehouse.bronze.source;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;

import dev.lakehouse.bronze.BronzeColumns;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One micro-batch, read by a source: the records that parsed ({@link #rows}) and those that did
 * not ({@link #bad}).
 *
 * <p>A source whose good and bad records are one parsed dataset told apart by a condition builds
 * them with {@link #split}; the ingest can then count both kinds in the pass that writes the good
 * ones ({@link #counted}), instead of reading the batch once more to count.
 */
public final class Records {
  private final Dataset<Row> rows;
  private final Dataset<Row> bad;
  private final Optional<Split> split;
  private final Optional<Counts> counts;

  /**
   * How many records parsed and how many did not, when the pass that parsed them counted them
   * (see {@link #withCounts}).
   */
  public record Counts(long good, long bad) {}

  /** How {@link #rows} and {@link #bad} derive from one parsed dataset. */
  private record Split(Dataset<Row> parsed, Column isBad, UnaryOperator<Dataset<Row>> asRows, UnaryOperator<Dataset<Row>> asBad) {
    Records records() {
      return new Records(asRows.apply(parsed.where(not(isBad))), asBad.apply(parsed.where(isBad)), Optional.of(this),
          Optional.empty());
    }
  }

  private Records(Dataset<Row> rows, Dataset<Row> bad, Optional<Split> split, Optional<Counts> counts) {
    this.rows = rows;
    this.bad = bad;
    this.split = split;
    this.counts = counts;
  }

  /**
   * @param rows the records that parsed: data columns (the pinned schema, plus any columns the
   *     records carry beyond it), source metadata, and {@code _source}
   * @param bad the records that did not parse, as {@code _raw}, {@code _source}, {@code _reason}
   *     plus the source's metadata columns; empty for sources whose records are always typed
   */
  public static Records of(Dataset<Row> rows, Dataset<Row> bad) {
    return new Records(rows, bad, Optional.empty(), Optional.empty());
  }

  /**
   * Records that are {@code parsed} split by {@code isBad} (never null), each kind then projected.
   */
  public static Records split(Dataset<Row> parsed, Column isBad, UnaryOperator<Dataset<Row>> asRows,
      UnaryOperator<Dataset<Row>> asBad) {
    return new Split(parsed, isBad, asRows, asBad).records();
  }

  /** Records of a source whose rows always parse (typed sources, text, parquet, avro). */
  public static Records allGood(Dataset<Row> rows) {
    return split(rows, lit(false), r -> r, r -> r.sparkSession().createDataFrame(List.of(), new StructType()
        .add(BronzeColumns.RAW, DataTypes.StringType).add(BronzeColumns.SOURCE, DataTypes.StringType)
        .add(BronzeColumns.REASON, DataTypes.StringType)));
  }

  public Dataset<Row> rows() {
    return rows;
  }

  public Dataset<Row> bad() {
    return bad;
  }

  /**
   * These records, with their counts as the pass that parsed and stored them observed them: the
   * ingest then needs no job of its own to count them.
   */
  Records withCounts(long good, long bad) {
    return new Records(rows, this.bad, split, Optional.of(new Counts(good, bad)));
  }

  /** The records' counts, when the pass that parsed them counted them; else count {@link #rows} and {@link #bad}. */
  public Optional<Counts> counts() {
    return counts;
  }

  /**
   * These records with every parsed record counted into {@code tally} when a pass reads them, or
   * empty when the source does not build them by {@link #split}.
   */
  public Optional<Records> counted(RecordTally tally) {
    return split.map(s -> new Split(s.parsed().withColumn(RecordTally.COLUMN, tally.count(s.isBad())),
        org.apache.spark.sql.functions.col(RecordTally.COLUMN), d -> s.asRows().apply(d.drop(RecordTally.COLUMN)),
        d -> s.asBad().apply(d.drop(RecordTally.COLUMN))).records());
  }
}
