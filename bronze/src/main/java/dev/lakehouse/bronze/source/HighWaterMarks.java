package dev.lakehouse.bronze.source;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.Table;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.catalog.TableProvider;
import org.apache.spark.sql.connector.expressions.Transform;
import org.apache.spark.sql.connector.read.InputPartition;
import org.apache.spark.sql.connector.read.PartitionReader;
import org.apache.spark.sql.connector.read.PartitionReaderFactory;
import org.apache.spark.sql.connector.read.Scan;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.connector.read.streaming.MicroBatchStream;
import org.apache.spark.sql.connector.read.streaming.Offset;
import org.apache.spark.sql.connector.read.streaming.SupportsTriggerAvailableNow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * A streaming source of watermark ranges of a JDBC relation: each micro-batch is one row
 * {@code (after, upTo)} meaning "rows whose watermark is greater than {@code after} and at most
 * {@code upTo}". The high-water mark is the offset, so Spark's checkpoint stores it with each batch
 * and a replayed batch covers exactly the same range. {@link JdbcSource} reads the rows.
 *
 * <p>Options: {@code url}, {@code relation} (a FROM item), {@code watermark} (a column), and the
 * JDBC connection properties ({@code user}, {@code password}, ...).
 */
public final class HighWaterMarks implements TableProvider {
  static final String AFTER = "after";
  static final String UP_TO = "up_to";
  static final StructType SCHEMA = new StructType().add(AFTER, DataTypes.StringType).add(UP_TO, DataTypes.StringType);
  /** The offset before the first row: no lower bound. */
  private static final String NONE = "";

  @Override
  public StructType inferSchema(CaseInsensitiveStringMap options) {
    return SCHEMA;
  }

  @Override
  public Table getTable(StructType schema, Transform[] partitioning, Map<String, String> properties) {
    return new RangesTable(Map.copyOf(properties));
  }

  private record RangesTable(Map<String, String> options) implements Table, SupportsRead {
    @Override
    public String name() {
      return "high-water marks of " + options.get("relation");
    }

    @Override
    public StructType schema() {
      return SCHEMA;
    }

    @Override
    public Set<TableCapability> capabilities() {
      return Set.of(TableCapability.MICRO_BATCH_READ);
    }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap ignored) {
      return () -> new Scan() {
        @Override
        public StructType readSchema() {
          return SCHEMA;
        }

        @Override
        public MicroBatchStream toMicroBatchStream(String checkpointLocation) {
          return new Ranges(options);
        }
      };
    }
  }

  /** The offset: a watermark value as text, {@code ""} before the first row. */
  static final class Mark extends Offset {
    final String value;

    Mark(String value) {
      this.value = value;
    }

    @Override
    public String json() {
      return com.fasterxml.jackson.databind.node.TextNode.valueOf(value).toString();
    }
  }

  private static final class Ranges implements MicroBatchStream, SupportsTriggerAvailableNow {
    private final Map<String, String> options;
    private Optional<Mark> fixedEnd = Optional.empty();

    Ranges(Map<String, String> options) {
      this.options = options;
    }

    @Override
    public Offset initialOffset() {
      return new Mark(NONE);
    }

    @Override
    public Offset deserializeOffset(String json) {
      try {
        return new Mark(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).asText());
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException("Cannot read the high-water mark " + json + " from the checkpoint", e);
      }
    }

    @Override
    public void prepareForTriggerAvailableNow() {
      fixedEnd = Optional.of(highWaterMark());
    }

    @Override
    public Offset latestOffset() {
      return fixedEnd.orElseGet(this::highWaterMark);
    }

    /** The greatest watermark now in the relation ({@code ""} when it is empty). */
    private Mark highWaterMark() {
      Properties props = new Properties();
      options.forEach((k, v) -> {
        if (!k.equals("url") && !k.equals("relation") && !k.equals("watermark")) {
          props.setProperty(k, v);
        }
      });
      String sql = "SELECT max(" + options.get("watermark") + ") FROM " + options.get("relation");
      try (Connection c = DriverManager.getConnection(options.get("url"), props);
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        String max = rs.getString(1);
        return new Mark(max == null ? NONE : max);
      } catch (SQLException e) {
        throw new IllegalStateException("Cannot read the high-water mark with " + sql + ": " + e.getMessage(), e);
      }
    }

    @Override
    public InputPartition[] planInputPartitions(Offset start, Offset end) {
      return new InputPartition[] {new Range(((Mark) start).value, ((Mark) end).value)};
    }

    @Override
    public PartitionReaderFactory createReaderFactory() {
      return new OneRowPerRange();
    }

    @Override
    public Offset latestOffset(Offset start, org.apache.spark.sql.connector.read.streaming.ReadLimit limit) {
      return latestOffset(); // one range per batch: everything up to the high-water mark
    }

    @Override
    public void commit(Offset end) {}

    @Override
    public void stop() {}
  }

  private record Range(String after, String upTo) implements InputPartition, Serializable {}

  /** Each range is one row; the rows of the range are read by {@link JdbcSource}. */
  private static final class OneRowPerRange implements PartitionReaderFactory {
    @Override
    public PartitionReader<InternalRow> createReader(InputPartition partition) {
      Range r = (Range) partition;
      return new PartitionReader<>() {
        private boolean done;

        @Override
        public boolean next() {
          boolean has = !done;
          done = true;
          return has;
        }

        @Override
        public InternalRow get() {
          return new GenericInternalRow(new Object[] {UTF8String.fromString(r.after()), UTF8String.fromString(r.upTo())});
        }

        @Override
        public void close() {}
      };
    }
  }
}
