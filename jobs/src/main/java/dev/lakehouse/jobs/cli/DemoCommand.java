package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.format.LakehouseTable;
import dev.lakehouse.core.run.TableRunner;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.jobs.Lakehouse;
import dev.lakehouse.jobs.demo.TpchLanding;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "demo", description = "Generate TPC-H data in drops into the landing folder and run the whole pipeline after each drop.")
final class DemoCommand implements Callable<Integer> {
  @Mixin CommonOptions common;

  @Option(names = "--sf", description = "TPC-H scale factor (default: ${DEFAULT-VALUE}; 1 is about 6 M lineitem rows).", defaultValue = "0.01")
  double scaleFactor;

  @Option(names = "--format", description = "Table format of every table: delta or hudi (default: the pipeline's).")
  String format;

  @Option(names = "--drops", description = "How many landing drops to split the data into (default: ${DEFAULT-VALUE}).", defaultValue = "3")
  int drops;

  @Option(names = "--land-only", description = "Land every drop and run nothing: to run the pipeline another way (spark-submit, Airflow).")
  boolean landOnly;

  @Override
  public Integer call() {
    long start = System.nanoTime();
    List<String> extra = format == null ? List.of() : List.of("pipeline.format=" + format);
    Pipeline pipeline = Lakehouse.open(common.requestWith(extra));
    String root = pipeline.spec().settings().root();
    Path landing = Path.of(root, "landing");
    System.out.println("Demo: TPC-H SF " + scaleFactor + " in " + drops + " drops, storage root " + root);
    // The demo starts from scratch: its landing folder, tables (and those kept beside them) and checkpoints.
    LakehouseTable.deletePath(pipeline.spark(), landing.toString());
    for (TableSpec t : pipeline.spec().tables().values()) {
      TableRunner.deleteWithState(pipeline.spark(), LakehouseTable.of(t), t.checkpoint());
    }
    if (landOnly) {
      for (int drop = 1; drop <= drops; drop++) {
        System.out.println("Drop " + drop + " of " + drops + " landed: " + TpchLanding.writeDrop(landing, scaleFactor, drop, drops));
        if (drop == drops) {
          System.out.println("  plus bad rows the expectations catch: " + TpchLanding.writeBadRows(landing, drop));
        }
      }
      return LakehouseMain.OK;
    }
    boolean ok = true;
    for (int drop = 1; drop <= drops; drop++) {
      Map<String, Long> landed = TpchLanding.writeDrop(landing, scaleFactor, drop, drops);
      System.out.println("\n== Drop " + drop + " of " + drops + " landed: " + landed);
      if (drop == drops) {
        System.out.println("   plus bad rows the expectations catch: " + TpchLanding.writeBadRows(landing, drop));
      }
      RunReport report;
      try (RunProgress progress = RunProgress.start(pipeline.spark(), System.out)) {
        report = pipeline.run(List.of(), false, r -> RunSummary.progress(System.out, r));
      }
      System.out.println();
      RunSummary.table(System.out, report.tables());
      pipeline.qualityReport(report.runId()).ifPresent(f -> System.out.println("Quality report: " + f));
      ok &= report.succeeded();
    }
    System.out.println("\n== gold.pricing_summary (TPC-H Q1)");
    SqlCommand.printCsv(pipeline.sql("SELECT * FROM gold.pricing_summary ORDER BY l_returnflag, l_linestatus"), System.out);
    String setFormat = format == null ? "" : " --set pipeline.format=" + format;
    System.out.print(String.format("%nDone in %.1fs. Tables live under %s/<layer>/<name>; query them with:%n",
        (System.nanoTime() - start) / 1e9, root));
    System.out.println("  bin/lakehouse sql" + setFormat + " \"SELECT * FROM gold.revenue_daily ORDER BY order_date LIMIT 10\"");
    System.out.println("  bin/lakehouse sql" + setFormat + " \"SELECT count(*) FROM silver.lineitem\"");
    System.out.println("  bin/lakehouse sql" + setFormat + " \"SELECT table_name, rule, action, failing_rows FROM _lakehouse.quality_results WHERE NOT passed\"");
    System.out.println("  bin/lakehouse sql" + setFormat + " \"SELECT o_orderkey, _failed_rules FROM silver.orders_quarantine\"");
    return ok ? LakehouseMain.OK : LakehouseMain.RUN_FAILED;
  }
}
