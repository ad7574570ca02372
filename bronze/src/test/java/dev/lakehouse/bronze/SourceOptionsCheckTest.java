package dev.lakehouse.bronze;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.errors.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Kafka and JDBC source options are checked against what their readers know (Spark's Kafka source
 * and the Kafka consumer; Spark's JDBC reader and the PostgreSQL driver), on this module's class
 * path, where those readers are: each would ignore an option it does not know, without a word.
 */
class SourceOptionsCheckTest {
  @Test
  void misspeltKafkaAndJdbcOptionsAreRefusedAtTheirLines() throws Exception {
    Path conf = Files.createTempDirectory("options").resolve("options.conf");
    Files.writeString(conf, """
        pipeline {
          name = options
          tables.bronze {
            events {
              source {
                type = kafka, bootstrap-servers = "127.0.0.1:9092", topics = [events], schema = "id BIGINT"
                options {
                  maxOffsetsPerTrigger = "100"
                  maxOffsetPerTrigger = "100"
                  "kafka.security.protocol" = PLAINTEXT
                  "kafka.sesion.timeout.ms" = "10000"
                  FAILONDATALOSS = "false"
                  allowComments = "true"
                }
              }
            }
            accounts {
              source {
                type = jdbc, url = "jdbc:postgresql://127.0.0.1:5432/shop", table = public.account, watermark-column = updated_at
                options {
                  user = app
                  fetchsize = "1000"
                  fechsize = "1000"
                  ApplicationName = lakehouse
                  applicationname = lakehouse
                  sslmode = disable
                }
              }
            }
          }
        }
        """);
    List<String> problems;
    try {
      PipelineParser.load(new ConfigLayers.Request(conf, Optional.empty(), List.of(), Map.of("LAKEHOUSE_ROOT", conf.getParent().toString())));
      throw new AssertionError("accepted");
    } catch (ConfigException e) {
      problems = e.problems().stream()
          .map(p -> p.origin().substring(p.origin().lastIndexOf(':') + 1) + ": " + p.path() + ": " + p.message()).toList();
    }
    assertThat(problems).containsExactlyInAnyOrder(
        "9: pipeline.tables.bronze.events.source.options.maxOffsetPerTrigger: Cannot use the option 'maxOffsetPerTrigger' with"
            + " a Kafka source: Spark's Kafka source does not know it (nor its JSON reader, which parses the values) and would"
            + " ignore it; did you mean 'maxOffsetsPerTrigger'?",
        "11: pipeline.tables.bronze.events.source.options.kafka.sesion.timeout.ms: Cannot use the option"
            + " 'kafka.sesion.timeout.ms': the Kafka consumer has no setting 'sesion.timeout.ms' and would ignore it; did you"
            + " mean 'kafka.session.timeout.ms'?",
        "23: pipeline.tables.bronze.accounts.source.options.fechsize: Cannot use the option 'fechsize' with this JDBC source:"
            + " neither Spark's JDBC reader nor the driver (org.postgresql.Driver) knows it, and both would ignore it; did you"
            + " mean 'fetchsize'?",
        "25: pipeline.tables.bronze.accounts.source.options.applicationname: Cannot use the option 'applicationname' with this"
            + " JDBC source: neither Spark's JDBC reader nor the driver (org.postgresql.Driver) knows it, and both would ignore"
            + " it; did you mean 'ApplicationName'?");
  }
}
