package dev.lakehouse.quality;

import dev.lakehouse.core.spec.TableName;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Profiles a table with Deequ's constraint suggestion and writes the suggestions as this project's
 * {@code expectations = [ ... ]} block, every action {@code warn} (review, then tighten). Suggestions
 * without an equivalent rule (data types: the schema enforces them; fractional category ranges) are
 * left out.
 */
public final class RuleSuggestions {
  private static final Pattern AT_LEAST = Pattern.compile("_ >= ([0-9.Ee+-]+)");
  private static final Pattern ARRAY = Pattern.compile("Array\\((.*)\\)");
  private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

  private RuleSuggestions() {}

  /** The expectations block for {@code rows}, ready to paste into {@code table}'s config. */
  public static String suggest(TableName table, Dataset<Row> rows) {
    List<String> lines = new ArrayList<>();
    Set<String> names = new LinkedHashSet<>();
    for (Deequ.Suggestion s : Deequ.suggest(rows)) {
      String c = s.column();
      String line = switch (s.rule()) {
        case "CompleteIfCompleteRule" -> entry(names, c, "not_null", "not-null = " + quote(c));
        case "RetainCompletenessRule" -> number(AT_LEAST, s.code()).map(x -> entry(names, c, "completeness",
            "column = " + quote(c) + ", completeness = " + x)).orElse(null);
        case "CategoricalRangeRule" -> values(s.code()).map(v -> entry(names, c, "in_set",
            "column = " + quote(c) + ", in-set = [" + v + "]")).orElse(null);
        case "NonNegativeNumbersRule" -> entry(names, c, "not_negative", "column = " + quote(c) + ", range { at-least = 0 }");
        case "UniqueIfApproximatelyUniqueRule" -> entry(names, c, "unique", "unique = [" + quote(c) + "]");
        default -> null;
      };
      if (line != null) {
        lines.add("  " + line + "  # " + s.currentValue().replace('\n', ' '));
      }
    }
    return "# Suggested by Deequ from the current rows of " + table + "; review, then paste into its block.\n"
        + "expectations = [\n" + String.join("\n", lines) + (lines.isEmpty() ? "" : "\n") + "]\n";
  }

  private static String entry(Set<String> names, String column, String suffix, String rule) {
    String name = (column.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_" + suffix);
    if (!names.add(name)) {
      return null; // Deequ's rule sets overlap; one suggestion per column and kind
    }
    return "{ name = " + name + ", " + rule + ", action = warn }";
  }

  private static java.util.Optional<String> number(Pattern p, String code) {
    Matcher m = p.matcher(code);
    return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
  }

  private static java.util.Optional<String> values(String code) {
    Matcher m = ARRAY.matcher(code);
    if (!m.find()) {
      return java.util.Optional.empty();
    }
    List<String> out = new ArrayList<>();
    Matcher v = STRING.matcher(m.group(1));
    while (v.find()) {
      out.add("\"" + v.group(1) + "\"");
    }
    return out.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(String.join(", ", out));
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
