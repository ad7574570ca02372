package dev.lakehouse.jobs.docs;

import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.RunLog;
import dev.lakehouse.core.run.RunMode;
import dev.lakehouse.core.spec.ColumnSpec;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.SourceSpec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.PipelinePlan;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Gathers what the catalog shows about every table of an opened pipeline (reads metadata, not data). */
final class CatalogFacts {
  private CatalogFacts() {}

  static List<TableDoc> gather(Pipeline pipeline) {
    Map<String, TableDoc.LatestRun> runs = latestRuns(pipeline);
    List<TableDoc> docs = new ArrayList<>();
    for (TableName name : PipelinePlan.order(pipeline.spec())) {
      TableSpec t = pipeline.spec().table(name);
      Optional<TableVersion> version = pipeline.version(name.toString());
      StructType schema = version.isPresent() ? pipeline.table(name.toString()).schema() : declaredSchema(t);
      Map<String, ColumnSpec> declared = new HashMap<>();
      t.columns().forEach(c -> declared.put(c.name(), c));
      List<TableDoc.Column> columns = new ArrayList<>();
      for (StructField f : schema.fields()) {
        ColumnSpec c = declared.get(f.name());
        columns.add(new TableDoc.Column(f.name(), f.dataType().simpleString(), f.nullable(),
            c == null ? Optional.empty() : c.description(), c == null ? Optional.empty() : c.classification()));
      }
      String owner = t.owner().or(() -> pipeline.spec().owner()).orElse("(no owner)");
      List<String> readBy = pipeline.spec().downstreamOf(name).stream().map(TableName::toString).sorted().toList();
      docs.add(new TableDoc(t, owner, columns, version.isEmpty(), version.map(TableVersion::id),
          Optional.ofNullable(runs.get(name.toString())), readBy));
    }
    return docs;
  }

  private static StructType declaredSchema(TableSpec t) {
    if (t.layer() instanceof LayerSpec.Bronze b && b.source() instanceof SourceSpec.Files f && f.schema().isPresent()) {
      return StructType.fromDDL(f.schema().get());
    }
    return new StructType();
  }

  private static Map<String, TableDoc.LatestRun> latestRuns(Pipeline pipeline) {
    Map<String, TableDoc.LatestRun> out = new HashMap<>();
    if (!pipeline.spark().catalog().tableExists(RunLog.TABLE)) {
      return out;
    }
    List<Row> rows = pipeline.sql("SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY table_name ORDER BY started_at DESC) AS rn,"
        + " count(*) OVER (PARTITION BY table_name) AS runs FROM " + RunLog.TABLE
        // a maintenance (bin/lakehouse maintain) compacts and cleans; it is not a run of the table's data
        + " WHERE mode <> '" + RunMode.MAINTAIN.id() + "') WHERE rn = 1").collectAsList();
    for (Row r : rows) {
      Timestamp start = r.getAs("started_at");
      Timestamp end = r.getAs("ended_at");
      out.put(r.getAs("table_name"), new TableDoc.LatestRun(r.getAs("run_id"), r.getAs("status"),
          start.toInstant().toString(), (end.getTime() - start.getTime()) / 1000.0, r.<Long>getAs("rows_read"),
          r.<Long>getAs("rows_written"), r.<Long>getAs("rows_quarantined"), Optional.ofNullable(r.getAs("target_version")),
          Optional.ofNullable(r.getAs("error")), r.<Long>getAs("runs")));
    }
    return out;
  }
}
