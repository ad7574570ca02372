package dev.lakehouse.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.Expectation;
import dev.lakehouse.core.spec.TableName;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Deequ's suggestions come out in this project's syntax, and that text parses and validates. */
class RuleSuggestionsTest {
  @Test
  void suggestedRulesParseAndValidate() {
    QualityFixture seed = new QualityFixture("suggest-seed", ExpectationActionsTest.tables("delta", ""));
    Object[][] values = new Object[20][];
    for (int i = 0; i < values.length; i++) {
      values[i] = new Object[] {(long) i, i % 2 == 0 ? "O" : "F", (double) i, i % 4 == 0 ? null : "N" + i};
    }
    String block = RuleSuggestions.suggest(TableName.parse("silver.checked"), ExpectationActionsTest.rows(seed, values));

    assertThat(block).contains("{ name = id_not_null, not-null = \"id\", action = warn }")
        .contains("{ name = id_unique, unique = [\"id\"], action = warn }")
        .contains("{ name = price_not_negative, column = \"price\", range { at-least = 0 }, action = warn }");
    String pasted = block.substring(block.indexOf("expectations = [") + "expectations = [".length(), block.lastIndexOf(']'));
    QualityFixture parsed = new QualityFixture("suggest-parse", ExpectationActionsTest.tables("delta", pasted));
    List<Expectation> rules = parsed.spec.table(TableName.parse("silver.checked")).expectations();
    assertThat(rules).extracting(Expectation::name).contains("id_not_null", "status_in_set", "price_not_negative",
        "name_completeness");
    assertThat(rules).filteredOn(e -> e.name().equals("name_completeness")).extracting(e -> e.rule().kind())
        .containsExactly("completeness");
    assertThat(rules).filteredOn(e -> e.name().equals("status_in_set"))
        .extracting(e -> ((Expectation.InSet) e.rule()).values()).singleElement()
        .satisfies(v -> assertThat(v).containsExactlyInAnyOrder("O", "F"));
  }
}
