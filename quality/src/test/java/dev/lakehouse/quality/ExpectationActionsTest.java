package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.FormatKind;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each action on Delta and Hudi, in batch and stream mode: the same rows must land in the same
 * places. Rows: 1 is clean; 2 has an unknown status and no name (two quarantine rules); 3 has a
 * negative price (drop); 4 has a lower-case name (warn only).
 */
class ExpectationActionsTest {
  static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType).add("status", DataTypes.StringType)
      .add("price", DataTypes.DoubleType).add("name", DataTypes.StringType);

  static String tables(String format, String expectations) {
    return """
        bronze { src { format = delta, source { type = files, format = json, path = landing/src } } }
        silver { checked {
          format = %s
          source { type = table, table = bronze.src }
          expectations = [
        %s
          ]
        } }
        """.formatted(format, expectations);
  }

  static Dataset<Row> rows(QualityFixture f, Object[]... values) {
    return f.spark.createDataFrame(java.util.Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  private static TableRunResult run(QualityFixture f, String runId, RunMode mode) {
    TableRunner runner = f.runner(runId);
    if (mode == RunMode.BATCH) {
      return runner.runBatch(f.job("bronze.src", "silver.checked"), f.checkpoint("silver.checked"), false);
    }
    TableRunner.RunningTable running = runner.start(f.job("bronze.src", "silver.checked"), f.checkpoint("silver.checked"),
        RunMode.STREAM, false);
    try {
      running.processAllAvailable();
    } catch (Exception e) { // StreamingQueryException, thrown undeclared by Scala
      // a failed micro-batch ends the query; stop() reports it
    }
    return running.stop();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"delta, BATCH", "hudi, BATCH", "delta, STREAM", "hudi, STREAM"})
  void quarantineDropAndWarnPutEachRowInItsPlace(String format, RunMode mode) {
    QualityFixture f = new QualityFixture("actions-" + format + "-" + mode.id(), tables(format, """
            { name = status_known, column = status, in-set = [O, F], action = quarantine }
            { name = name_present, not-null = name, action = quarantine }
            { name = price_not_negative, column = price, range { at-least = 0 }, action = drop }
            { name = name_upper_case, column = name, pattern = "^[A-Z]+$", action = warn }
        """));
    f.table("bronze.src").append(rows(f, new Object[] {1L, "O", 10.0, "ANN"}, new Object[] {2L, "X", 20.0, null},
        new Object[] {3L, "F", -1.0, "BOB"}, new Object[] {4L, "F", 5.0, "cy"}), Optional.empty());

    TableRunResult r = run(f, "run-a", mode);

    assertThat(r.status()).as(r.error().orElse("")).isEqualTo(TableRunResult.Status.SUCCEEDED);
    assertThat(r.rowsQuarantined()).isEqualTo(1);
    assertThat(r.rowsWritten()).isEqualTo(2);
    assertThat(ids(f.table("silver.checked").read(f.spark))).containsExactly(1L, 4L);
    LakehouseTable q = new ExpectationQuarantine(f.spec.table(dev.lakehouse.core.spec.TableName.parse("silver.checked"))).table();
    assertThat(q.formatKind()).isEqualTo(FormatKind.valueOf(format.toUpperCase()));
    List<Row> bad = q.read(f.spark).select("id", "_failed_rules", "_batch_id", "_run_id").collectAsList();
    assertThat(bad).hasSize(1);
    assertThat(bad.get(0).getLong(0)).isEqualTo(2L);
    assertThat(bad.get(0).<String>getList(1)).containsExactly("status_known", "name_present");
    assertThat(bad.get(0).getString(3)).isEqualTo("run-a");
    assertThat(f.spark.sql("SELECT * FROM silver.checked_quarantine").count()).isEqualTo(1);

    List<String> outcomes = f.results("run-a").orderBy("rule")
        .selectExpr("concat_ws(':', rule, action, cast(passed as string), cast(failing_rows as string))")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
    assertThat(outcomes).containsExactly("name_present:quarantine:false:1", "name_upper_case:warn:false:1",
        "price_not_negative:drop:false:1", "status_known:quarantine:false:1");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"delta, BATCH", "hudi, BATCH", "delta, STREAM", "hudi, STREAM"})
  void failStopsBeforeTheWriteAndNamesRuleTableAndCount(String format, RunMode mode) {
    QualityFixture f = new QualityFixture("fail-" + format + "-" + mode.id(), tables(format, """
            { name = price_not_negative, column = price, range { at-least = 0 }, action = fail }
        """));
    LakehouseTable src = f.table("bronze.src");
    src.append(rows(f, new Object[] {1L, "O", 10.0, "ANN"}), Optional.empty());
    assertThat(run(f, "run-ok", mode).status()).isEqualTo(TableRunResult.Status.SUCCEEDED);
    TableVersion before = f.table("silver.checked").currentVersion(f.spark).orElseThrow();

    src.append(rows(f, new Object[] {2L, "O", -5.0, "BO"}, new Object[] {3L, "F", -1.0, "CY"},
        new Object[] {4L, "F", 1.0, "DI"}), Optional.empty());
    TableRunResult r = run(f, "run-bad", mode);

    assertThat(r.status()).isEqualTo(TableRunResult.Status.FAILED);
    assertThat(r.error().orElseThrow()).contains("Expectation 'price_not_negative' failed on silver.checked: 2 of 3 rows break");
    assertThat(f.table("silver.checked").currentVersion(f.spark)).contains(before);
    assertThat(ids(f.table("silver.checked").read(f.spark))).containsExactly(1L);
    assertThat(f.results("run-bad").where("rule = 'price_not_negative' AND NOT passed AND failing_rows = 2").count())
        .isEqualTo(1);
  }

  static List<Long> ids(Dataset<Row> df) {
    return df.select("id").orderBy("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
  }
}
