package dev.lakehouse.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.Expectation.Action;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every rule kind of the expectation syntax parses into its typed rule. */
class ExpectationSpecTest {
  @Test
  void everyRuleKindParses(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("p.conf");
    Files.writeString(file, """
        pipeline {
          name = q
          tables {
            bronze { raw { source { type = files, format = json, path = landing/raw } } }
            silver {
              customer { source { type = table, table = bronze.raw } }
              orders {
                source { type = table, table = bronze.raw }
                expectations = [
                  { name = a, not-null = [id, name], action = fail }
                  { name = b, column = status, in-set = [O, F], action = quarantine }
                  { name = c, column = price, range { at-least = 0, at-most = 10 }, action = drop }
                  { name = d, column = name, pattern = "^[A-Z]+$" }
                  { name = e, rule = "price < 100 OR status = 'F'" }
                  { name = f, unique = id, action = quarantine }
                  { name = g, column = cust, references { table = silver.customer, column = id }, action = quarantine }
                  { name = h, column = name, completeness = 0.95 }
                  { name = i, row-count { at-least = 1 }, action = fail }
                  { name = j, column = status, distinct-count { at-most = 3 } }
                  { name = k, column = price, mean { at-least = 1, at-most = 5 } }
                  { name = l, column = price, min { at-least = 0 } }
                  { name = m, column = price, max { at-most = 99 } }
                  { name = n, column = updated_at, freshness = 2 days }
                  { name = o, anomaly { metric = "mean(price)", min-ratio = 0.5, max-ratio = 2 } }
                ]
              }
            }
          }
        }
        """);
    PipelineSpec spec = PipelineParser.load(new ConfigLayers.Request(file, Optional.empty(), List.of(), Map.of()));
    List<Expectation> e = spec.table(TableName.parse("silver.orders")).expectations();
    assertThat(e).extracting(Expectation::rule).containsExactly(
        new Expectation.NotNull(List.of("id", "name")),
        new Expectation.InSet("status", List.of("O", "F")),
        new Expectation.Range("price", Optional.of(0.0), Optional.of(10.0)),
        new Expectation.Pattern("name", "^[A-Z]+$"),
        new Expectation.Sql("price < 100 OR status = 'F'"),
        new Expectation.Unique(List.of("id")),
        new Expectation.References(List.of("cust"), TableName.parse("silver.customer"), List.of("id")),
        new Expectation.Completeness("name", 0.95),
        new Expectation.RowCount(Optional.of(1L), Optional.empty()),
        new Expectation.DistinctCount("status", Optional.empty(), Optional.of(3L)),
        new Expectation.Statistic(Expectation.Stat.MEAN, "price", Optional.of(1.0), Optional.of(5.0)),
        new Expectation.Statistic(Expectation.Stat.MIN, "price", Optional.of(0.0), Optional.empty()),
        new Expectation.Statistic(Expectation.Stat.MAX, "price", Optional.empty(), Optional.of(99.0)),
        new Expectation.Freshness("updated_at", Duration.ofDays(2)),
        new Expectation.Anomaly(Optional.of("price"), Optional.of(0.5), Optional.of(2.0)));
    assertThat(e).extracting(Expectation::action).containsExactly(Action.FAIL, Action.QUARANTINE, Action.DROP,
        Action.WARN, Action.WARN, Action.QUARANTINE, Action.QUARANTINE, Action.WARN, Action.FAIL, Action.WARN,
        Action.WARN, Action.WARN, Action.WARN, Action.WARN, Action.WARN);
    assertThat(e.get(0).origin()).endsWith("p.conf:10");
    assertThat(spec.table(TableName.parse("silver.orders")).upstream())
        .containsExactly(TableName.parse("bronze.raw"), TableName.parse("silver.customer"));
  }
}
