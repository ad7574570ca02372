package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Where a table's input comes from; the {@code type} key of a {@code source} block selects one. */
public sealed interface SourceSpec {

  /** The tables of this pipeline that this source reads. */
  List<TableName> tables();

  /**
   * New files in a landing folder ({@code type = files}), picked up once each.
   *
   * @param path absolute path of the landing folder
   * @param schema the declared schema as a Spark DDL string ({@code a INT, b STRING})
   * @param options options passed to Spark's reader for {@code format}
   */
  record Files(FileFormat format, String path, Optional<String> schema, Map<String, String> options)
      implements SourceSpec {
    @Override
    public List<TableName> tables() {
      return List.of();
    }
  }

  /** Another table of the pipeline, read incrementally ({@code type = table}). */
  record Table(TableName table) implements SourceSpec {
    @Override
    public List<TableName> tables() {
      return List.of(table);
    }
  }
}
