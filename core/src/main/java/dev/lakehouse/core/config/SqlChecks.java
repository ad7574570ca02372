package dev.lakehouse.core.config;

import java.util.Optional;
import org.apache.spark.sql.catalyst.parser.CatalystSqlParser$;
import org.apache.spark.sql.types.StructType;

/** Parses the SQL fragments of a spec with Spark's own parser, so a typo fails validation, not a run. */
final class SqlChecks {
  private SqlChecks() {}

  /** Why {@code expr} is not a Spark SQL expression, or empty when it parses. */
  static Optional<String> expression(String expr) {
    try {
      CatalystSqlParser$.MODULE$.parseExpression(expr);
      return Optional.empty();
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.of(firstLine(e));
    }
  }

  /** Why {@code ddl} is not a Spark DDL schema, or empty when it parses. */
  static Optional<String> schema(String ddl) {
    try {
      StructType.fromDDL(ddl);
      return Optional.empty();
    } catch (Exception e) { // Spark's ParseException is a checked AnalysisException
      return Optional.of(firstLine(e));
    }
  }

  static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return m.lines().map(String::trim).filter(l -> !l.isEmpty()).findFirst().orElse(m).trim();
  }
}
