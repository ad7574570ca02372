package dev.lakehouse.core.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lakehouse.core.spec.FormatKind;
import dev.lakehouse.core.spec.Layer;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.testing.SharedSpark;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every operation of the format layer, the same scenario on Delta and on Hudi, on real tables on disk. */
class TableFormatTest {
  private static final StructType SCHEMA = new StructType()
      .add("id", DataTypes.LongType)
      .add("name", DataTypes.StringType)
      .add("seq", DataTypes.LongType);

  private final SparkSession spark = SharedSpark.session();

  private Dataset<Row> rows(Object[]... values) {
    return spark.createDataFrame(java.util.Arrays.stream(values).map(RowFactory::create).toList(), SCHEMA);
  }

  private static List<String> content(Dataset<Row> df) {
    return df.orderBy("id").collectAsList().stream()
        .map(r -> r.getLong(0) + ":" + r.getString(1) + ":" + r.getLong(2)).toList();
  }

  private LakehouseTable table(FormatKind kind, String name, List<String> keys) {
    String location = SharedSpark.newDir(kind.id() + "-" + name).toString();
    return new LakehouseTable(new TableName(Layer.SILVER, name + "_" + kind.id()), location, keys, List.of(), kind);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void upsertKeepsTheNewestRowPerKeyAndVersionsTimeTravel(FormatKind kind) {
    LakehouseTable t = table(kind, "upsert", List.of("id"));
    assertThat(t.exists(spark)).isFalse();
    assertThat(t.currentVersion(spark)).isEmpty();

    t.upsert(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}), Optional.of("seq"));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    // id 1 gets a newer row, id 2 an older one (must lose), id 3 is new
    t.upsert(rows(new Object[] {1L, "a2", 2L}, new Object[] {2L, "stale", 0L}, new Object[] {3L, "c", 1L}), Optional.of("seq"));
    TableVersion v2 = t.currentVersion(spark).orElseThrow();

    assertThat(v2).isNotEqualTo(v1);
    assertThat(content(t.read(spark))).containsExactly("1:a2:2", "2:b:1", "3:c:1");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1");
    Dataset<Row> changes = t.readChangesSince(spark, v1);
    assertThat(changes.columns()).contains(TableFormat.CHANGE_TYPE);
    assertThat(content(changes.drop(TableFormat.CHANGE_TYPE).where("id <> 2"))).containsExactly("1:a2:2", "3:c:1");
    assertThat(t.readChangesSince(spark, v2).count()).isZero();

    t.register(spark);
    assertThat(spark.sql("SELECT count(*) FROM " + t.name()).head().getLong(0)).isEqualTo(3);
    t.upsert(rows(new Object[] {4L, "d", 1L}), Optional.of("seq"));
    assertThat(spark.sql("SELECT count(*) FROM " + t.name()).head().getLong(0)).isEqualTo(4);
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void appendOfAReplayedBatchIsSkipped(FormatKind kind) {
    LakehouseTable t = table(kind, "append", List.of());
    t.append(rows(new Object[] {1L, "a", 1L}), Optional.of(new BatchMark("test", 0)));
    t.append(rows(new Object[] {2L, "b", 1L}, new Object[] {2L, "b", 1L}), Optional.of(new BatchMark("test", 1)));
    TableVersion before = t.currentVersion(spark).orElseThrow();
    // the same batch again, as after a crash between the table commit and the checkpoint commit
    t.append(rows(new Object[] {2L, "b", 1L}, new Object[] {2L, "b", 1L}), Optional.of(new BatchMark("test", 1)));
    assertThat(t.currentVersion(spark)).contains(before);
    // appends never deduplicate: both identical rows of batch 1 stay
    assertThat(content(t.read(spark))).containsExactly("1:a:1", "2:b:1", "2:b:1");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void overwriteReplacesEverythingAtomically(FormatKind kind) {
    LakehouseTable t = table(kind, "overwrite", List.of("id"));
    t.overwrite(rows(new Object[] {1L, "a", 1L}, new Object[] {2L, "b", 1L}));
    TableVersion v1 = t.currentVersion(spark).orElseThrow();
    t.overwrite(rows(new Object[] {3L, "c", 1L}));
    assertThat(content(t.read(spark))).containsExactly("3:c:1");
    assertThat(content(t.readAt(spark, v1))).containsExactly("1:a:1", "2:b:1");
  }

  @ParameterizedTest
  @EnumSource(FormatKind.class)
  void createMakesAnEmptyTableWithTheSchema(FormatKind kind) {
    LakehouseTable t = table(kind, "create", List.of("id"));
    t.create(spark, SCHEMA);
    assertThat(t.exists(spark)).isTrue();
    assertThat(t.read(spark).schema().fieldNames()).containsExactly("id", "name", "seq");
    t.delete(spark);
    assertThat(t.exists(spark)).isFalse();
  }
}
