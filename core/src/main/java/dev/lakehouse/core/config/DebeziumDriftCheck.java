package dev.lakehouse.core.config;

import dev.lakehouse.core.errors.ConfigProblem;
import dev.lakehouse.core.spec.CdcSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A silver table that applies Debezium events from a bronze table whose declared JSON schema reads
 * {@code before} and {@code after} field by field must have bronze watch those fields
 * ({@code schema-drift-structs}): otherwise a column the source database gains is left out of
 * bronze without a word, and the silver table never learns of it.
 */
final class DebeziumDriftCheck {
  private static final List<String> IMAGES = List.of("before", "after");

  private DebeziumDriftCheck() {}

  static void check(Map<TableName, TableSpec> tables, List<ConfigProblem> problems) {
    for (TableSpec t : tables.values()) {
      if (!(t.layer() instanceof LayerSpec.Silver s) || !(s.cdc().orElse(null) instanceof CdcSpec.Debezium)
          || s.source() == null) {
        continue;
      }
      TableSpec bronzeTable = tables.get(s.source().table());
      if (bronzeTable == null || !(bronzeTable.layer() instanceof LayerSpec.Bronze b)) {
        continue;
      }
      List<String> unwatched = new ArrayList<>();
      for (String image : imageStructs(b.source())) {
        if (!b.driftStructs().contains(image)) {
          unwatched.add(image);
        }
      }
      if (!unwatched.isEmpty()) {
        problems.add(new ConfigProblem("pipeline.tables." + bronzeTable.name() + ".schema-drift-structs", bronzeTable.origin(),
            "Cannot apply the Debezium events of " + bronzeTable.name() + " to " + t.name() + " safely: its declared schema reads "
                + String.join(" and ", unwatched) + " field by field, so a column the source database gains would be left out of "
                + bronzeTable.name() + " without a word. Add schema-drift-structs = " + IMAGES + " to " + bronzeTable.name()
                + " (its schema-drift policy then decides: fail, add-new-columns or rescue)"));
      }
    }
  }

  /** The row-image columns the source's declared JSON schema reads as STRUCTs. */
  private static List<String> imageStructs(SourceSpec source) {
    return source.declaredJsonStructs().orElse(List.of()).stream().filter(IMAGES::contains).toList();
  }
}
