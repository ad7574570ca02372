package dev.lakehouse.core.spec;

import java.util.List;
import java.util.Optional;

/**
 * The validated, immutable description of one table.
 *
 * @param location absolute path of the table's data
 * @param checkpoint absolute path of the streaming checkpoint that records what was processed
 * @param keys the columns that identify a row (empty: rows have no identity, e.g. raw bronze)
 * @param origin where the table is declared, {@code file:line}
 * @param specHash a hash of everything that defines the table (its config block, resolved, plus
 *     its format and location), recorded with each run to tell which spec produced which version
 * @param expectations the data-quality rules every batch is checked against before it is written
 * @param maintenance what {@code bin/lakehouse maintain} does to the table (not part of
 *     {@code specHash}: compacting and cleaning change no row)
 */
public record TableSpec(
    TableName name,
    Optional<String> description,
    Optional<String> owner,
    FormatKind format,
    String location,
    String checkpoint,
    List<String> keys,
    List<String> partitionBy,
    List<ColumnSpec> columns,
    LayerSpec layer,
    String origin,
    String specHash,
    List<Expectation> expectations,
    Maintenance maintenance) {

  public TableSpec(TableName name, Optional<String> description, Optional<String> owner, FormatKind format,
      String location, String checkpoint, List<String> keys, List<String> partitionBy, List<ColumnSpec> columns,
      LayerSpec layer, String origin, String specHash) {
    this(name, description, owner, format, location, checkpoint, keys, partitionBy, columns, layer, origin, specHash,
        List.of(), Maintenance.DEFAULT);
  }

  /** The tables this table reads, and the tables its expectations check references against (run first). */
  public List<TableName> upstream() {
    List<TableName> up = new java.util.ArrayList<>(layer.upstream());
    for (Expectation e : expectations) {
      if (e.rule() instanceof Expectation.References r && !up.contains(r.table()) && !r.table().equals(name)) {
        up.add(r.table());
      }
    }
    return List.copyOf(up);
  }
}
