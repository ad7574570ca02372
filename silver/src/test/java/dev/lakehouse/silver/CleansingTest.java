package dev.lakehouse.silver;

import static dev.lakehouse.silver.SilverScenario.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lakehouse.core.errors.LakehouseException;
import dev.lakehouse.core.spark.LakehouseSpark;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Each cleansing operation on a small scenario: a spec, input rows, the rows expected. */
class CleansingTest {

  @Test
  void selectThenRename() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, full_name STRING, junk STRING", """
        keys = [id]
        select = ["id", "full_name"]
        rename { full_name = name }
        """);
    Dataset<Row> out = s.cleansed(List.<Object[]>of(new Object[] {1L, "Ann", "x"}));
    assertThat(out.columns()).containsExactly("id", "name");
    assertThat(lines(out, "id", "name")).containsExactly("1|Ann");
  }

  @Test
  void castsWithDatePatternsAndTimeZones() {
    SilverScenario s = SilverScenario.of("delta", "id STRING, born STRING, seen STRING, paid STRING, amount STRING", """
        keys = [id]
        cast {
          id = bigint
          amount = "decimal(10,2)"
          born { type = date, format = "dd/MM/yyyy" }
          seen { type = timestamp, format = "yyyy-MM-dd HH:mm", time-zone = "Europe/Paris" }
          paid { type = timestamp, time-zone = "America/New_York" }
        }
        """);
    Dataset<Row> out = s.cleansed(List.of(
        new Object[] {"1", "24/11/1990", "2024-03-31 01:30", "2024-01-15 09:00:00", "12.5"},
        new Object[] {"2", "01/07/2001", "2024-07-01 12:00", "2024-07-15T09:00", "not a number"}));
    assertThat(out.schema().simpleString())
        .isEqualTo("struct<id:bigint,born:date,seen:timestamp,paid:timestamp,amount:decimal(10,2)>");
    // The session runs in UTC: Paris is UTC+1 in March before the switch and UTC+2 in July; New York -5 / -4.
    assertThat(lines(out.orderBy("id"), "id", "born", "seen", "paid", "amount")).containsExactly(
        "1|1990-11-24|2024-03-31 00:30:00.0|2024-01-15 14:00:00.0|12.50",
        "2|2001-07-01|2024-07-01 10:00:00.0|2024-07-15 13:00:00.0|null");
  }

  @Test
  void trimAndCaseNormalisation() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, name STRING, email STRING, country STRING", """
        keys = [id]
        trim = ["*"]
        case { name = initcap, email = lower, country = upper }
        """);
    Dataset<Row> out = s.cleansed(List.<Object[]>of(new Object[] {1L, "  ann  LEE ", " Ann.Lee@Example.COM", "fr "}));
    assertThat(lines(out, "id", "concat('[', name, ']')", "concat('[', email, ']')", "concat('[', country, ']')"))
        .containsExactly("1|[Ann  Lee]|[ann.lee@example.com]|[FR]");
  }

  @Test
  void nullDefaults() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, city STRING, score INT", """
        keys = [id]
        defaults { city = "'unknown'", score = "0" }
        """);
    Dataset<Row> out = s.cleansed(List.of(new Object[] {1L, null, null}, new Object[] {2L, "Lyon", 7}));
    assertThat(lines(out.orderBy("id"), "id", "city", "score")).containsExactly("1|unknown|0", "2|Lyon|7");
  }

  @Test
  void derivedColumnsInOrderThenFilter() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, name STRING, qty INT, price DOUBLE", """
        keys = [id]
        derive = ["qty * price AS total", "total > 10 AS big", "upper(name) AS name"]
        filter = "big AND name <> 'SKIP'"
        """);
    Dataset<Row> out = s.cleansed(List.of(new Object[] {1L, "a", 3, 5.0}, new Object[] {2L, "b", 1, 5.0},
        new Object[] {3L, "skip", 9, 9.0}));
    assertThat(out.columns()).containsExactly("id", "name", "qty", "price", "total", "big");
    assertThat(lines(out, "id", "name", "total")).containsExactly("1|A|15.0");
  }

  @Test
  void piiColumnsAreHashedRedactedOrPartlyHidden() throws Exception {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, phone STRING, email STRING, card STRING, city STRING", """
        keys = [id]
        pii = hash
        columns {
          phone { classification = pii }
          email { classification = pii, mask = redact }
          card { classification = pii, mask = last4 }
          city { description = "not PII: left as is" }
        }
        """);
    Dataset<Row> out = s.cleansed(List.of(new Object[] {1L, "+33 1 23 45 67 89", "a@b.c", "4111111111111234", "Paris"},
        new Object[] {2L, null, null, "123", "Lyon"}));
    assertThat(lines(out.orderBy("id"), "id", "phone", "email", "card", "city")).containsExactly(
        "1|" + sha256("+33 1 23 45 67 89") + "|****|************1234|Paris",
        "2|null|null|123|Lyon");
  }

  @Test
  void deleteWhenMarksChangeRowsAsDeletes() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, op STRING", """
        keys = [id]
        delete-when = "op = 'D'"
        select = ["id"]
        """);
    Dataset<Row> out = s.cleansed(List.of(new Object[] {1L, "U"}, new Object[] {2L, "D"}, new Object[] {3L, null}));
    assertThat(out.columns()).containsExactly("id", ChangeRows.DELETED); // evaluated on the rows as read
    assertThat(lines(out.orderBy("id"), "id", ChangeRows.DELETED)).containsExactly("1|false", "2|true", "3|false");

    // The mark cannot be null, so the guard and the apply read the stored rows as they are, not a copy.
    Dataset<Row> stored = LakehouseSpark.materialize(out);
    assertThat(ChangeRows.withDeletedColumn(stored)).isSameAs(stored);
    // A mark that may be null (as a CDC decoder may give it) is made false where it is null.
    Dataset<Row> nullable = stored.withColumn(ChangeRows.DELETED,
        org.apache.spark.sql.functions.expr("CASE WHEN id = 3 THEN NULL ELSE " + ChangeRows.DELETED + " END"));
    Dataset<Row> marked = ChangeRows.withDeletedColumn(nullable);
    assertThat(marked).isNotSameAs(nullable);
    assertThat(lines(marked.orderBy("id"), "id", ChangeRows.DELETED)).containsExactly("1|false", "2|true", "3|false");
  }

  /** {@code select} with {@code *} keeps the delete mark once: it was added again, and the rows had it twice. */
  @Test
  void selectAllWithDeleteWhenKeepsOneDeleteMark() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, op STRING", """
        keys = [id]
        delete-when = "op = 'D'"
        select = ["*", "id * 10 AS tenfold"]
        """);
    Dataset<Row> out = s.cleansed(List.of(new Object[] {1L, "U"}, new Object[] {2L, "D"}));
    assertThat(out.columns()).containsExactly("id", "op", ChangeRows.DELETED, "tenfold");
    assertThat(lines(out.orderBy("id"), "id", ChangeRows.DELETED, "tenfold")).containsExactly("1|false|10", "2|true|20");
  }

  @Test
  void aColumnTheRowsLackIsNamedWithTheTableAndKey() {
    SilverScenario s = SilverScenario.of("delta", "id BIGINT, name STRING", """
        keys = [id]
        rename { nmae = full_name }
        """);
    assertThatThrownBy(() -> s.cleansed(List.<Object[]>of(new Object[] {1L, "a"})))
        .isInstanceOf(LakehouseException.class)
        .hasMessage("Cannot cleanse silver.t: rename names column 'nmae', which the rows do not have at that step;"
            + " columns there are id, name. Fix the column name in the spec (renames happen before trim, case, cast,"
            + " defaults and masking)");
  }

  private static String sha256(String s) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    return String.format("%064x", new BigInteger(1, d));
  }
}
