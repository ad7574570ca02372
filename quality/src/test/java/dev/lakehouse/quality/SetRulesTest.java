package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.format.BatchMark;
import dev.lakehouse.core.run.BatchContext;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Set rules (Deequ), referential integrity against another table, freshness and anomaly detection. */
class SetRulesTest {
  private static Dataset<Row> rows(QualityFixture f, Object[]... values) {
    return ExpectationActionsTest.rows(f, values);
  }

  private static BatchContext batch(String runId, long id) {
    return new BatchContext(runId, id, new BatchMark("test", id));
  }

  private static Map<String, String> outcomes(QualityFixture f, String runId) {
    return f.results(runId).collectAsList().stream().collect(Collectors.toMap(r -> r.<String>getAs("rule"),
        r -> r.getAs("passed") + ":" + r.getAs("metric_value")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"delta", "hudi"})
  void referencesQuarantineOrphansAndUniqueQuarantinesEveryDuplicate(String format) {
    QualityFixture f = new QualityFixture("references-" + format, """
        bronze { src { format = %1$s, source { type = files, format = json, path = landing/src } } }
        silver {
          customers { format = %1$s, source { type = table, table = bronze.src } }
          orders {
            format = %1$s
            source { type = table, table = bronze.src }
            expectations = [
              { name = order_pk, unique = [id], action = quarantine }
              { name = known_customer, column = name, references { table = silver.customers, column = name }, action = quarantine }
            ]
          }
        }
        """.formatted(format));
    assertThat(f.spec.table(TableName.parse("silver.orders")).upstream())
        .containsExactly(TableName.parse("bronze.src"), TableName.parse("silver.customers"));
    // CAT is named by no order: a referenced key the batch does not name changes no outcome.
    f.table("silver.customers").append(rows(f, new Object[] {1L, "O", 1.0, "ANN"}, new Object[] {2L, "O", 1.0, "BOB"},
        new Object[] {3L, "O", 1.0, "CAT"}), Optional.empty());
    f.table("bronze.src").append(rows(f, new Object[] {10L, "O", 1.0, "ANN"}, new Object[] {11L, "O", 1.0, "ZED"},
        new Object[] {12L, "O", 1.0, null}, new Object[] {13L, "O", 1.0, "BOB"}, new Object[] {13L, "F", 2.0, "ZED"}),
        Optional.empty());

    TableRunResult r = f.runner("run-ri").runBatch(f.job("bronze.src", "silver.orders"), f.checkpoint("silver.orders"), false);

    assertThat(r.status()).as(r.error().orElse("")).isEqualTo(TableRunResult.Status.SUCCEEDED);
    assertThat(ExpectationActionsTest.ids(f.table("silver.orders").read(f.spark))).containsExactly(10L, 12L);
    Map<String, List<String>> failed = new ExpectationQuarantine(f.spec.table(TableName.parse("silver.orders"))).table()
        .read(f.spark).collectAsList().stream().collect(Collectors.toMap(
            x -> x.getAs("id") + ":" + x.getAs("name"), x -> x.<String>getList(x.fieldIndex("_failed_rules"))));
    assertThat(failed).isEqualTo(Map.of("11:ZED", List.of("known_customer"), "13:BOB", List.of("order_pk"),
        "13:ZED", List.of("order_pk", "known_customer")));
    assertThat(f.results("run-ri").where("rule = 'known_customer'").first().<Long>getAs("failing_rows")).isEqualTo(2L);
    // Deequ's uniqueness, the share of rows whose key occurs once: 3 of 5.
    assertThat(outcomes(f, "run-ri")).containsEntry("order_pk", "false:0.6");

    // What the rule stores: the customers' names the orders name (ANN, BOB), not CAT, nor ZED or NULL.
    Expectation.References known = (Expectation.References) f.spec.table(TableName.parse("silver.orders"))
        .expectations().get(1).rule();
    assertThat(RowRules.referencedKeys(f.table("bronze.src").read(f.spark), known, f.table("silver.customers").read(f.spark),
        "k").collectAsList().stream().map(x -> x.<String>getAs("name")).toList()).containsExactlyInAnyOrder("ANN", "BOB");
  }

  @Test
  void uniqueComparesNullKeysAsEqualAndPassesABatchWithoutRepeats() {
    QualityFixture f = new QualityFixture("unique", ExpectationActionsTest.tables("delta", """
            { name = pk, unique = [id, name], action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    Object[][] repeats = {{1L, "O", 1.0, "A"}, {1L, "F", 2.0, "A"}, {null, "O", 1.0, null}, {null, "F", 1.0, null},
        {1L, "O", 1.0, null}, {2L, "O", 1.0, "A"}};

    assertThat(rules.check(rows(f, repeats), batch("run-repeats", 0)).count()).isEqualTo(6);
    assertThat(rules.check(rows(f, repeats[0], repeats[2], repeats[4], repeats[5]), batch("run-once", 0)).count())
        .isEqualTo(4);

    assertThat(f.results("run-repeats").first().<Long>getAs("failing_rows")).isEqualTo(4L);
    assertThat(outcomes(f, "run-repeats")).isEqualTo(Map.of("pk", "false:" + (2.0 / 6)));
    assertThat(outcomes(f, "run-once")).isEqualTo(Map.of("pk", "true:1.0"));
  }

  @Test
  void setRulesRecordTheirMetricAndFailStopsTheBatch() {
    QualityFixture f = new QualityFixture("set-rules", ExpectationActionsTest.tables("delta", """
            { name = names_mostly_set, column = name, completeness = 0.9, action = warn }
            { name = enough_rows, row-count { at-least = 2, at-most = 10 }, action = warn }
            { name = two_statuses, column = status, distinct-count { at-most = 2 }, action = warn }
            { name = cheap_on_average, column = price, mean { at-most = 5 }, action = warn }
            { name = price_cap, column = price, max { at-most = 100 }, action = warn }
            { name = recent, column = name, freshness = 1 day, action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    Dataset<Row> in = rows(f, new Object[] {1L, "O", 2.0, "2020-01-01 00:00:00"}, new Object[] {2L, "F", 12.0, null},
        new Object[] {3L, "P", 4.0, "2020-01-02 00:00:00"});

    assertThat(rules.check(in, batch("run-set", 0)).count()).isEqualTo(3);

    assertThat(outcomes(f, "run-set")).isEqualTo(Map.of(
        "names_mostly_set", "false:" + (2.0 / 3), "enough_rows", "true:3.0", "two_statuses", "false:3.0",
        "cheap_on_average", "false:6.0", "price_cap", "true:12.0",
        "recent", "false:" + java.sql.Timestamp.valueOf("2020-01-02 00:00:00").getTime() / 1000.0));

    QualityFixture strict = new QualityFixture("set-fail", ExpectationActionsTest.tables("delta", """
            { name = enough_rows, row-count { at-least = 5 }, action = fail }
        """));
    assertThatThrownBy(() -> strict.expectations("silver.checked").check(in, batch("run-set-fail", 0)))
        .isInstanceOf(TableRunException.class)
        .hasMessageStartingWith("Expectation 'enough_rows' failed on silver.checked: row-count (Value: 3 does not meet");
  }

  /**
   * A write that replaces part of a table (an incremental gold refresh): row rules judge the rows
   * written, the rules on a whole batch the table they leave, the rows a rule drops left out, so
   * they say what a full refresh's check would say.
   */
  @Test
  void setRulesOfAPartialWriteJudgeTheTableItLeaves() {
    QualityFixture f = new QualityFixture("set-rules-after", ExpectationActionsTest.tables("delta", """
            { name = enough_rows, row-count { at-least = 4 }, action = fail }
            { name = cheap_on_average, column = price, mean { at-most = 5 }, action = warn }
            { name = price_not_negative, column = price, range { at-least = 0 }, action = drop }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    Dataset<Row> written = rows(f, new Object[] {1L, "O", 2.0, "a"}, new Object[] {2L, "F", -1.0, "b"},
        new Object[] {3L, "P", 4.0, "c"});
    Dataset<Row> untouched = rows(f, new Object[] {10L, "O", 6.0, "d"}, new Object[] {11L, "O", 8.0, "e"});

    Dataset<Row> kept = rules.check(written, rows -> untouched.unionByName(rows), batch("run-after", 0));

    assertThat(ExpectationActionsTest.ids(kept)).containsExactly(1L, 3L);
    // The table left: ids 1, 3, 10 and 11 (2 dropped); the batch alone would have 3 rows and a mean of 5/3.
    assertThat(outcomes(f, "run-after")).isEqualTo(Map.of(
        "enough_rows", "true:4.0", "cheap_on_average", "true:5.0", "price_not_negative", "false:" + (2.0 / 3)));
    assertThat(f.results("run-after").where("rule = 'price_not_negative'").first().<Long>getAs("failing_rows")).isEqualTo(1L);

    assertThatThrownBy(() -> rules.check(written, rows -> untouched.limit(1).unionByName(rows), batch("run-after-fail", 1)))
        .isInstanceOf(TableRunException.class)
        .hasMessageStartingWith("Expectation 'enough_rows' failed on silver.checked as this refresh would leave it:"
            + " row-count (Value: 3 does not meet");
  }

  /**
   * Deequ's metrics and the row rules' counts come from the pass that stores the flagged rows: no
   * other job aggregates the stored batch (Deequ's own pass and a count of the flags did, before).
   */
  @Test
  void setRulesAndRowRulesAreMeasuredByThePassThatStoresTheBatch() throws Exception {
    QualityFixture f = new QualityFixture("one-pass", ExpectationActionsTest.tables("delta", """
            { name = id_set, not-null = id, action = quarantine }
            { name = price_sane, column = price, range { at-least = 0 }, action = drop }
            { name = names_mostly_set, column = name, completeness = 0.9, action = warn }
            { name = enough_rows, row-count { at-least = 2, at-most = 10 }, action = warn }
            { name = cheap_on_average, column = price, mean { at-most = 5 }, action = warn }
            { name = price_cap, column = price, max { at-most = 100 }, action = warn }
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 2.0 }, action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    Dataset<Row> in = rows(f, new Object[] {1L, "O", 2.0, "a"}, new Object[] {2L, "F", 12.0, null},
        new Object[] {null, "P", 4.0, "c"}, new Object[] {4L, "P", -2.0, "d"});
    List<String> aggregatesOfStoredRows = new java.util.concurrent.CopyOnWriteArrayList<>();
    org.apache.spark.sql.util.QueryExecutionListener listener = new org.apache.spark.sql.util.QueryExecutionListener() {
      @Override
      public void onSuccess(String funcName, org.apache.spark.sql.execution.QueryExecution qe, long durationNs) {
        boolean aggregates = qe.analyzed().find(p -> p instanceof org.apache.spark.sql.catalyst.plans.logical.Aggregate)
            .isDefined();
        boolean readsStored = scala.collection.JavaConverters.seqAsJavaList(qe.analyzed().collectLeaves()).stream()
            .anyMatch(l -> l instanceof org.apache.spark.sql.execution.LogicalRDD r && r.rdd().isCheckpointed());
        if (aggregates && readsStored) {
          aggregatesOfStoredRows.add(funcName);
        }
      }

      @Override
      public void onFailure(String funcName, org.apache.spark.sql.execution.QueryExecution qe, Exception e) {}
    };
    f.spark.listenerManager().register(listener);
    List<String> kept;
    try {
      kept = rules.check(in, batch("run-one-pass", 0)).selectExpr("cast(id as string)").as(Encoders.STRING()).collectAsList();
      f.spark.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      f.spark.listenerManager().unregister(listener);
    }

    assertThat(kept).containsExactlyInAnyOrder("1", "2");
    assertThat(outcomes(f, "run-one-pass")).isEqualTo(Map.of(
        "id_set", "false:0.75", "price_sane", "false:0.75", "names_mostly_set", "false:0.75",
        "enough_rows", "true:4.0", "cheap_on_average", "true:4.0", "price_cap", "true:12.0", "steady_volume", "true:null"));
    assertThat(aggregatesOfStoredRows).as("queries that aggregated the stored batch again").isEmpty();
    // The metrics went to the history the next batch's anomaly check compares with.
    rules.check(rows(f, new Object[] {5L, "O", 1.0, "e"}), batch("run-one-pass", 1));
    assertThat(f.results("run-one-pass").where("rule = 'steady_volume' AND batch_id = 1")
        .selectExpr("concat(cast(passed as string), ':', cast(metric_value as string))").as(Encoders.STRING()).first())
        .isEqualTo("false:1.0");
  }

  @Test
  void anomalyCheckFiresOnASuddenDropInRowCount() {
    QualityFixture f = new QualityFixture("anomaly", ExpectationActionsTest.tables("delta", """
            { name = steady_volume, anomaly { metric = row-count, min-ratio = 0.5, max-ratio = 2.0 }, action = warn }
        """));
    TableExpectations rules = f.expectations("silver.checked");
    int[] sizes = {10, 11, 10, 2};
    for (int b = 0; b < sizes.length; b++) {
      Object[][] values = new Object[sizes[b]][];
      for (int i = 0; i < sizes[b]; i++) {
        values[i] = new Object[] {(long) i, "O", 1.0, "A"};
      }
      rules.check(rows(f, values), batch("run-anomaly", b));
    }
    List<String> verdicts = f.results("run-anomaly").orderBy("batch_id")
        .selectExpr("concat(cast(passed as string), ':', coalesce(message, ''))").as(Encoders.STRING()).collectAsList();
    assertThat(verdicts).hasSize(4);
    assertThat(verdicts.get(0)).isEqualTo("true:not evaluated: no earlier batch to compare with");
    assertThat(verdicts.subList(1, 3)).containsOnly("true:");
    assertThat(verdicts.get(3)).startsWith("false:");
    assertThat(Deequ.historyDates(f.spark, TableExpectations.metricsLocation(f.spec.settings(),
        TableName.parse("silver.checked")))).hasSize(4);
  }
}
