package dev.lakehouse.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.testing.SharedSpark;
import dev.lakehouse.jobs.pipeline.Pipeline;
import dev.lakehouse.jobs.pipeline.RunReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The test pipeline {@code sales.conf} (orders, customers, gold queries over them): its input and checks. */
final class SalesPipeline {
  static final Path CONF = Path.of("src/test/resources/pipelines/sales.conf");

  private SalesPipeline() {}

  /** The pipeline with its storage root at {@code root} and {@code overrides} set. */
  static Pipeline open(Path root, String... overrides) {
    return Lakehouse.open(new ConfigLayers.Request(CONF, Optional.empty(), List.of(overrides),
        Map.of("LAKEHOUSE_ROOT", root.toString())), SharedSpark.session());
  }

  /** A query of the pipeline file's {@code vars}, to compare a gold table with. */
  static String query(String path) {
    return ConfigFactory.parseFile(CONF.toFile()).resolve().getString(path);
  }

  /** 12 customers in 3 regions. */
  static List<String> customers() {
    List<String> customers = new ArrayList<>();
    for (long c = 1; c <= 12; c++) {
      customers.add(String.format("{\"customer_id\":%d,\"region\":\"r%d\",\"updated_at\":1}", c, c % 3));
    }
    return customers;
  }

  static String order(long id, long customer, long day, long amount, long updatedAt) {
    return String.format("{\"order_id\":%d,\"customer_id\":%d,\"order_date\":\"2024-01-%02d\",\"amount\":%d.00,\"updated_at\":%d}",
        id, customer, day, amount, updatedAt);
  }

  static void assertSucceeded(RunReport report) {
    assertThat(report.succeeded()).as(report.tables().toString()).isTrue();
  }

  static void assertSameRows(String t, Dataset<Row> actual, Dataset<Row> expected) {
    assertThat(actual.count()).as(t).isEqualTo(expected.count()).isPositive();
    assertThat(actual.exceptAll(expected).collectAsList()).as(t + " rows not in its query's result").isEmpty();
    assertThat(expected.exceptAll(actual).collectAsList()).as(t + " rows missing").isEmpty();
  }

  static long parquetFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".parquet") && !f.toString().contains("_delta_log")).count(); // not Delta's log checkpoints
    }
  }
}
