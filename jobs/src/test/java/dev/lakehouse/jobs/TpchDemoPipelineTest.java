package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.format.TableVersion;
import dev.lakehouse.core.run.TableRunResult;
import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.demo.CustomerChanges;
import dev.lakehouse.jobs.demo.TpchLanding;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The demo pipeline end to end at TPC-H SF 0.01, on each format: gold answers equal what DuckDB,
 * an independent engine, computes with the same queries over the same landed files, and the
 * official TPC-H Q1 answer; a run without new files changes no table; a new drop is processed once.
 */
class TpchDemoPipelineTest {
  private static final Path PIPELINE = Path.of("../conf/pipelines/tpch.conf");
  private static final double SF = 0.01;
  /**
   * Q3 once more, refreshed by merging partial aggregates over its three-way join (the demo's Q3
   * refreshes in full, which costs less on two cores; see tpch.conf): DuckDB checks this path too.
   */
  private static final List<String> Q3_MERGED = List.of("sql-file=sql/shipping_priority.sql", "refresh=incremental",
      "keys=[l_orderkey, o_orderdate, o_shippriority]").stream().map(s -> "pipeline.tables.gold.shipping_priority_merged." + s).toList();

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void demoPipelineGivesTheOfficialAnswersAndProcessesEachDropOnce(FormatKind format) throws Exception {
    Path root = SharedSpark.newDir("tpch-" + format.id());
    Pipeline p = Lakehouse.open(new ConfigLayers.Request(PIPELINE, Optional.empty(),
        Stream.concat(Stream.of("pipeline.format=" + format.id()), Q3_MERGED.stream()).toList(), Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
    Path landing = root.resolve("landing");

    Map<String, Long> drop1 = TpchLanding.writeDrop(landing, SF, 1, 2);
    RunReport first = p.run();
    assertThat(first.tables()).allSatisfy(r -> assertThat(r.status()).as(r.table() + " " + r.error())
        .isEqualTo(TableRunResult.Status.SUCCEEDED));
    assertThat(first.table("bronze.lineitem").rowsWritten()).isEqualTo(drop1.get("lineitem"));

    // No new files: no micro-batch anywhere, no new version of any table.
    Map<String, Optional<TableVersion>> before = versions(p);
    RunReport idle = p.run();
    assertThat(idle.tables()).allSatisfy(r -> {
      assertThat(r.batches()).as(r.table().toString()).isZero();
      assertThat(r.changedTable()).as(r.table().toString()).isFalse();
    });
    assertThat(versions(p)).isEqualTo(before);
    assertThat(p.qualityReport(idle.runId())).as("a run that checked nothing has no report").isEmpty();

    Map<String, Long> drop2 = TpchLanding.writeDrop(landing, SF, 2, 2);
    Map<String, Long> bad = TpchLanding.writeBadRows(landing, 2);
    RunReport second = p.run();
    assertThat(second.succeeded()).as(second.tables().toString()).isTrue();
    long changes = drop2.get(CustomerChanges.NAME);
    for (String t : List.of("lineitem", "orders", "customer", "supplier")) {
      assertThat(second.table("bronze." + t).rowsRead()).as("new rows of " + t)
          .isEqualTo(drop2.get(t) + (t.equals("customer") ? changes : 0) + bad.getOrDefault(t, 0L));
    }
    // Customers with a key of 3 modulo 30 in the first half are deleted by drop 2's changes (they have no orders).
    long deleted = p.table("bronze.customer").where("c_op = 'D'").count();
    assertThat(deleted).isEqualTo(25);
    // The expectations keep the bad rows out of silver: quarantined with the rules they broke, or dropped.
    assertThat(second.table("silver.orders").rowsQuarantined()).isEqualTo(3);
    assertThat(second.table("silver.customer").rowsQuarantined()).isEqualTo(3);
    assertThat(second.table("silver.customer_history").rowsQuarantined()).isEqualTo(3);
    assertThat(rows(p, "SELECT o_orderkey, array_join(_failed_rules, ' ') FROM silver.orders_quarantine ORDER BY o_orderkey"))
        .containsExactly(Arrays.asList(null, "order_key_present"),
            List.of(-2L, "order_key_valid status_known price_not_negative customer_known"),
            List.of(-1L, "order_key_valid"));
    assertThat(p.qualityReport(second.runId())).isPresent();
    // Every generated row exactly once (official SF 0.01 cardinalities).
    Map<String, Long> expected = Map.of("lineitem", 60_175L, "orders", 15_000L, "customer", 1_500L,
        "supplier", 100L, "nation", 25L, "region", 5L);
    for (Map.Entry<String, Long> e : expected.entrySet()) {
      boolean customer = e.getKey().equals("customer");
      assertThat(drop1.getOrDefault(e.getKey(), 0L) + drop2.getOrDefault(e.getKey(), 0L)).isEqualTo(e.getValue());
      assertThat(p.table("bronze." + e.getKey()).count()).as("bronze." + e.getKey())
          .isEqualTo(e.getValue() + (customer ? changes : 0) + bad.getOrDefault(e.getKey(), 0L));
      assertThat(p.table("silver." + e.getKey()).count()).as("silver." + e.getKey())
          .isEqualTo(e.getValue() - (customer ? deleted : 0));
    }
    // Customers whose key ends in 1 moved, came back, and a late move landed between: 3 versions each.
    assertThat(p.table("silver.customer_history").where("c_custkey = 1").orderBy("valid_from")
        .selectExpr("substring(c_address, 1, 5)", "CAST(valid_from AS STRING)", "is_current").collectAsList().toString())
        .isEqualTo("[[IVhzI,1998-12-31 00:00:00,false], [Moved,2025-01-02 08:00:00,false],"
            + " [Late ,2025-01-03 08:00:00,false], [IVhzI,2025-01-04 08:00:00,true]]");
    assertThat(p.table("silver.customer_history").where("c_custkey = 3 AND NOT is_current").count()).isEqualTo(1);

    List<List<Object>> q1 = rows(p, "SELECT * FROM gold.pricing_summary ORDER BY l_returnflag, l_linestatus");
    // The official TPC-H answer at SF 0.01, row A|F: sum_qty 380456, count_order 14876.
    assertThat(q1.get(0).subList(0, 3)).containsExactly("A", "F", new BigDecimal("380456.00"));
    assertThat(q1.get(0).get(9)).isEqualTo(14876L);
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      createDuckDbViews(duck, landing);
      String q1Sql = Files.readString(Path.of("../conf/pipelines/sql/pricing_summary.sql")).replace("silver.", "");
      assertSameCells(q1, duckRows(duck, q1Sql));
      // TPC-H Q3, Q5, Q6 and Q10 with their official parameters, exactly as the pipeline runs them.
      for (String[] q : new String[][] {
          {"shipping_priority", "revenue DESC, o_orderdate"}, {"local_supplier_volume", "revenue DESC"},
          {"forecast_revenue_change", "revenue"}, {"returned_item_reporting", "revenue DESC"}}) {
        String sql = Files.readString(Path.of("../conf/pipelines/sql/" + q[0] + ".sql")).replace("silver.", "");
        List<List<Object>> expectedRows = duckRows(duck, sql);
        assertThat(expectedRows).as(q[0]).isNotEmpty();
        assertSameCells(rows(p, "SELECT * FROM gold." + q[0] + " ORDER BY " + q[1]), expectedRows);
      }
      assertSameCells(rows(p, "SELECT * FROM gold.shipping_priority_merged ORDER BY revenue DESC, o_orderdate"),
          duckRows(duck, Files.readString(Path.of("../conf/pipelines/sql/shipping_priority.sql")).replace("silver.", "")));
      // The incremental tables equal DuckDB's full computation: revenue_daily (refreshed by key or,
      // when a drop reaches most keys, in full) and monthly_orders_by_priority (partial aggregates merged).
      assertSameCells(rows(p, "SELECT * FROM gold.revenue_daily ORDER BY order_date"), duckRows(duck, """
          SELECT o.o_orderdate AS order_date, count(DISTINCT o.o_orderkey) AS orders,
                 sum(l.l_extendedprice * (1 - l.l_discount)) AS revenue
          FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey
          GROUP BY o.o_orderdate ORDER BY order_date"""));
      assertSameCells(rows(p, "SELECT * FROM gold.monthly_orders_by_priority ORDER BY order_month, o_orderpriority"),
          duckRows(duck, """
          SELECT CAST(date_trunc('month', o_orderdate) AS DATE) AS order_month, o_orderpriority,
                 count(*) AS orders, sum(o_totalprice) AS total_price
          FROM orders GROUP BY 1, 2 ORDER BY 1, 2"""));
    }
    // Q3 merged drop 2's changes of all three sources into the partial aggregates of the orders it
    // ranks, kept beside it, and ranked them again: the same top 10 as DuckDB's (above).
    assertThat(root.resolve("gold/shipping_priority_merged.state")).isDirectory();
    assertThat(second.table("gold.shipping_priority_merged").rowsWritten()).isEqualTo(10);
    // The second drop is half the data: its orders reach most order dates, so recomputing those
    // by key would cost more than the full refresh the table does instead (every row written).
    assertThat(second.table("gold.revenue_daily").rowsWritten())
        .as("the second drop's orders reach most order dates: refreshed in full")
        .isEqualTo(p.table("gold.revenue_daily").count());
  }

  private static Map<String, Optional<TableVersion>> versions(Pipeline p) {
    Map<String, Optional<TableVersion>> v = new LinkedHashMap<>();
    for (TableName t : p.spec().tables().keySet()) {
      v.put(t.toString(), p.version(t.toString()));
    }
    return v;
  }

  /** DuckDB reads the landed CSV files itself and types them as TPC-H specifies. */
  private static void createDuckDbViews(Connection duck, Path landing) throws Exception {
    try (Statement s = duck.createStatement()) {
      s.execute("CREATE VIEW lineitem AS SELECT CAST(l_orderkey AS BIGINT) l_orderkey, CAST(l_suppkey AS BIGINT) l_suppkey,"
          + " CAST(l_quantity AS DECIMAL(15,2)) l_quantity,"
          + " CAST(l_extendedprice AS DECIMAL(15,2)) l_extendedprice, CAST(l_discount AS DECIMAL(15,2)) l_discount,"
          + " CAST(l_tax AS DECIMAL(15,2)) l_tax, l_returnflag, l_linestatus, CAST(l_shipdate AS DATE) l_shipdate"
          + " FROM read_csv('" + landing.resolve("lineitem") + "/drop-*.csv', header = true, all_varchar = true)");
      s.execute("CREATE VIEW orders AS SELECT CAST(o_orderkey AS BIGINT) o_orderkey, CAST(o_custkey AS BIGINT) o_custkey,"
          + " CAST(o_totalprice AS DECIMAL(15,2)) o_totalprice, CAST(o_orderdate AS DATE) o_orderdate, o_orderpriority,"
          + " CAST(o_shippriority AS INTEGER) o_shippriority"
          + " FROM read_csv('" + landing.resolve("orders") + "/drop-*.csv', header = true, all_varchar = true)");
      s.execute("CREATE VIEW customer AS SELECT * FROM read_json('" + landing.resolve("customer") + "/drop-*.json',"
          + " format = 'newline_delimited', columns = {c_custkey: 'BIGINT', c_name: 'VARCHAR', c_address: 'VARCHAR',"
          + " c_nationkey: 'BIGINT', c_phone: 'VARCHAR', c_acctbal: 'DECIMAL(15,2)', c_mktsegment: 'VARCHAR', c_comment: 'VARCHAR'})");
      s.execute("CREATE VIEW supplier AS SELECT * FROM read_json('" + landing.resolve("supplier") + "/drop-*.json',"
          + " format = 'newline_delimited', columns = {s_suppkey: 'BIGINT', s_name: 'VARCHAR', s_address: 'VARCHAR',"
          + " s_nationkey: 'BIGINT', s_phone: 'VARCHAR', s_acctbal: 'DECIMAL(15,2)', s_comment: 'VARCHAR'})");
      s.execute("CREATE VIEW nation AS SELECT * FROM read_json('" + landing.resolve("nation") + "/drop-*.json',"
          + " format = 'newline_delimited', columns = {n_nationkey: 'BIGINT', n_name: 'VARCHAR', n_regionkey: 'BIGINT', n_comment: 'VARCHAR'})");
      s.execute("CREATE VIEW region AS SELECT * FROM read_json('" + landing.resolve("region") + "/drop-*.json',"
          + " format = 'newline_delimited', columns = {r_regionkey: 'BIGINT', r_name: 'VARCHAR', r_comment: 'VARCHAR'})");
    }
  }

  private static List<List<Object>> rows(Pipeline p, String sql) {
    List<List<Object>> out = new ArrayList<>();
    for (Row r : p.sql(sql).collectAsList()) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        row.add(r.get(i) instanceof java.sql.Date d ? d.toLocalDate() : r.get(i));
      }
      out.add(row);
    }
    return out;
  }

  private static List<List<Object>> duckRows(Connection duck, String sql) throws Exception {
    List<List<Object>> out = new ArrayList<>();
    try (Statement s = duck.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          Object v = rs.getObject(i);
          row.add(v instanceof java.sql.Date d ? d.toLocalDate() : v instanceof java.time.LocalDate ld ? ld : v);
        }
        out.add(row);
      }
    }
    return out;
  }

  /** Cell by cell: text and dates equal, numbers equal to 1e-5 (Spark rounds averages to 6 places). */
  private static void assertSameCells(List<List<Object>> actual, List<List<Object>> expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int r = 0; r < expected.size(); r++) {
      for (int c = 0; c < expected.get(r).size(); c++) {
        Object a = actual.get(r).get(c);
        Object e = expected.get(r).get(c);
        if (e instanceof Number en) {
          BigDecimal diff = new BigDecimal(a.toString()).subtract(new BigDecimal(en.toString())).abs();
          assertThat(diff).as("row %d column %d: %s vs DuckDB %s", r, c, a, e).isLessThanOrEqualTo(new BigDecimal("0.00001"));
        } else {
          assertThat(String.valueOf(a)).as("row %d column %d", r, c).isEqualTo(String.valueOf(e));
        }
      }
    }
  }
}
