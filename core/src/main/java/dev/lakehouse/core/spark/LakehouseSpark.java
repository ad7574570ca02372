package dev.lakehouse.core.spark;

import dev.lakehouse.core.spec.LakehouseSettings;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.expressions.Alias;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.expressions.SubqueryExpression;
import org.apache.spark.sql.catalyst.expressions.AttributeMap$;
import org.apache.spark.sql.catalyst.expressions.Literal;
import org.apache.spark.sql.catalyst.expressions.NamedExpression;
import org.apache.spark.sql.catalyst.plans.logical.Filter;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.Project;
import org.apache.spark.sql.catalyst.plans.logical.Statistics;
import org.apache.spark.sql.catalyst.plans.logical.Union;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.execution.LogicalRDD;
import org.apache.spark.sql.execution.LogicalRDD$;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.storage.RDDInfo;
import scala.Option;
import scala.collection.JavaConverters;
import scala.math.BigInt;

/**
 * Opens the SparkSession the framework needs: Delta and Hudi both usable, by path and by catalog
 * name, in one session.
 */
public final class LakehouseSpark {
  /** Settings without which Delta or Hudi do not work in one session (see STACK.md). */
  public static final Map<String, String> REQUIRED = Map.of(
      "spark.sql.extensions",
      "io.delta.sql.DeltaSparkSessionExtension,org.apache.spark.sql.hudi.HoodieSparkSessionExtension",
      // The Delta catalog serves Delta path SQL and delegates USING hudi tables; the Hudi catalog would break Delta.
      "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog",
      "spark.serializer", "org.apache.spark.serializer.KryoSerializer",
      "spark.kryo.registrator", "org.apache.spark.HoodieSparkKryoRegistrar",
      // Every Delta table records its changes, so downstream tables can read them incrementally.
      "spark.databricks.delta.properties.defaults.enableChangeDataFeed", "true");

  /** How many compiled query classes Spark keeps for reuse (see {@link #conf}). */
  static final String CODEGEN_CACHE_SIZE = "spark.sql.codegen.cache.maxEntries";

  private LakehouseSpark() {}

  /**
   * Computes {@code rows} once and returns a dataset over the computed rows, for work that reads
   * them more than once (count, then write). Deliberately not {@code persist()}: Spark's shared
   * cache matches equal plans across threads, and two tables of one run caching the same source
   * batch deadlocked in it. A local checkpoint is private to its dataset; its blocks are freed
   * when the batch that stored them ends ({@link BatchStorage}), or else when the dataset is
   * garbage-collected.
   */
  public static Dataset<Row> materialize(Dataset<Row> rows) {
    if (isStored(rows.queryExecution().analyzed())) {
      return rows; // computing it again would copy stored rows to store them a second time
    }
    return withStoredSize(checkpointPacked(rows));
  }

  /**
   * {@code Dataset.localCheckpoint(true)}, but stored as bytes: a batch of millions of rows is kept
   * as a few byte arrays instead of an object per row, which the garbage collector would otherwise
   * copy and mark for as long as the batch lives (half its CPU time in a full TPC-H run on two
   * cores), and packed by {@link RowChunks} rather than by Spark's serializer row by row. Reading it
   * back points each row into the arrays, as a shuffle read does. The plan over the stored rows is
   * Spark's own ({@code LogicalRDD.fromDataset}, as its checkpoint builds it): the rows keep their
   * partitioning and ordering, so a later shuffle by the same key is skipped.
   */
  private static Dataset<Row> checkpointPacked(Dataset<Row> rows) {
    SparkSession spark = rows.sparkSession();
    StructType schema = rows.schema();
    int fields = schema.size();
    // A new RDD over the plan's: the plan's own is shared by every use of this dataset, and rows
    // stored for an earlier batch and freed since must not be read through it (see BatchStorage).
    RDD<byte[]> stored = rows.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(part -> RowChunks.pack(part, schema), true).rdd();
    stored.persist(StorageLevel.MEMORY_AND_DISK());
    stored.localCheckpoint();
    BatchStorage.track(stored);
    // The job that stores the rows counts them too (each array's header): counts of stored rows need no job.
    long count = stored.toJavaRDD().map(RowChunks::rows).fold(0L, Long::sum);
    RDD<InternalRow> read = stored.toJavaRDD().mapPartitions(chunks -> RowChunks.unpack(chunks, fields), true).rdd();
    read.setName(STORED_ROWS);
    STORED_COUNTS.put(read, count);
    return Dataset.ofRows(spark, LogicalRDD$.MODULE$.fromDataset(read, rows, rows.isStreaming()));
  }

  /** The name of the RDD that reads rows {@link #checkpointPacked} stored. */
  private static final String STORED_ROWS = "lakehouse stored rows";
  /** The rows each such RDD reads, counted when they were stored; forgotten with the RDD. */
  private static final Map<RDD<?>, Long> STORED_COUNTS = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * {@code rows.count()}, without a Spark job for rows {@link #materialize} stored: the job that
   * stored them counted them. On two cores a job costs tens of milliseconds however few its rows,
   * and a refresh counts the rows it stored several times (to report, to choose, to check).
   */
  public static long count(Dataset<Row> rows) {
    if (rows.queryExecution().analyzed() instanceof LogicalRDD computed) {
      Long stored = STORED_COUNTS.get(computed.rdd());
      if (stored != null) {
        return stored;
      }
    }
    return rows.count();
  }

  /** The RDD holding the rows that {@code plan} reads, when it reads rows {@link #materialize} stored. */
  static java.util.Optional<RDD<?>> storedRdd(LogicalPlan plan) {
    if (plan instanceof LogicalRDD computed && STORED_ROWS.equals(computed.rdd().name())
        && computed.rdd().dependencies().size() == 1) {
      RDD<?> stored = computed.rdd().dependencies().head().rdd();
      return stored.isCheckpointed() ? java.util.Optional.of(stored) : java.util.Optional.empty();
    }
    return java.util.Optional.empty();
  }

  /**
   * True for materialised rows and for columns of them, renamed or with constants added, or
   * filtered by a plain condition, or a union of such: reading such a plan twice reads the stored
   * rows twice and computes next to nothing, which costs less than storing a copy. An RDD that is not
   * checkpointed is not stored: a micro-batch handed to {@code foreachBatch} is a
   * {@code LogicalRDD} too, over the source's scan, and reading it twice reads the source twice.
   */
  private static boolean isStored(LogicalPlan plan) {
    if (plan instanceof LogicalRDD) {
      return storedRdd(plan).isPresent();
    }
    if (plan instanceof Filter filter) {
      // A subquery would be a second plan to run on every read; a non-deterministic condition may keep other rows.
      Expression condition = filter.condition();
      return condition.deterministic() && !SubqueryExpression.hasSubquery(condition) && isStored(filter.child());
    }
    if (plan instanceof Union union) {
      // Reading a union reads each part once: stored parts make stored rows (e.g. the rows kept and the deletes).
      return JavaConverters.seqAsJavaList(union.children()).stream().allMatch(LakehouseSpark::isStored);
    }
    if (!(plan instanceof Project project)) {
      return false;
    }
    for (NamedExpression e : JavaConverters.seqAsJavaList(project.projectList())) {
      boolean column = e instanceof Attribute;
      boolean constant = e instanceof Alias a && (a.child() instanceof Attribute || a.child() instanceof Literal);
      if (!column && !constant) {
        return false;
      }
    }
    return isStored(project.child());
  }

  /**
   * The checkpointed rows, planned by the size they take in storage. Spark would plan them by the
   * estimate of the plan that computed them: rows cut from a table by a join count as large as
   * the table, so every join with them, a MERGE's among them, would shuffle the whole table
   * instead of broadcasting the rows. The size is the block manager's, known without a job.
   */
  private static Dataset<Row> withStoredSize(Dataset<Row> checkpointed) {
    java.util.Optional<RDD<?>> storedRdd = storedRdd(checkpointed.logicalPlan());
    if (storedRdd.isEmpty()) {
      return checkpointed;
    }
    LogicalRDD computed = (LogicalRDD) checkpointed.logicalPlan();
    SparkSession spark = checkpointed.sparkSession();
    int storedId = storedRdd.get().id();
    long bytes = -1;
    for (RDDInfo info : spark.sparkContext().getRDDStorageInfo()) {
      if (info.id() == storedId) {
        bytes = info.memSize() + info.diskSize();
      }
    }
    if (bytes < 0) {
      return checkpointed; // not in storage (nothing to size it by): keep Spark's estimate
    }
    Statistics stored = new Statistics(BigInt.apply(Math.max(bytes, 1)), Option.empty(), AttributeMap$.MODULE$.empty(), false);
    return Dataset.ofRows(spark, computed.copy(computed.output(), computed.rdd(), computed.outputPartitioning(),
        computed.outputOrdering(), computed.isStreaming(), spark, Option.apply(stored), Option.apply(computed.constraints())));
  }

  /** All settings a session opened for {@code settings} gets; a user's spark.conf wins over defaults. */
  public static Map<String, String> conf(LakehouseSettings settings) {
    Map<String, String> conf = new LinkedHashMap<>();
    conf.put("spark.ui.enabled", "false");
    conf.put("spark.sql.warehouse.dir", settings.root() + "/_warehouse");
    conf.put("spark.sql.session.timeZone", "UTC");
    // Tables of one run share the application: with the FIFO default, a table's small job waits
    // until another table's long stage has started all its tasks. Each table runs in its own pool.
    conf.put("spark.scheduler.mode", "FAIR");
    // Spark keeps the classes it compiles for 100 distinct queries (a static setting). One run of a
    // pipeline plans several hundred (each table's reads, checks, merges and commits), so a query
    // that comes back in the next micro-batch or run was evicted and compiled again, and the JVM
    // then compiled the new class to machine code again: a sixth of a TPC-H run's CPU on two
    // cores. A class is tens of kilobytes: a thousand cost the driver some tens of megabytes.
    conf.put(CODEGEN_CACHE_SIZE, "1000");
    conf.putAll(settings.spark().conf());
    conf.putAll(REQUIRED);
    return conf;
  }

  /**
   * The active session if there is one (a notebook's, spark-submit's), else a new one. A master
   * chosen by spark-submit is kept; {@code lakehouse.spark.master} applies only when none is set.
   * An existing session gets the settings Spark allows to change at run time.
   */
  public static SparkSession getOrCreate(LakehouseSettings settings) {
    SparkSession.Builder builder = SparkSession.builder().appName(settings.spark().appName());
    Map<String, String> conf = new LinkedHashMap<>();
    if (!new SparkConf().contains("spark.master")) {
      builder.master(settings.spark().master());
      // Embedded, everything runs in this JVM on its class path: local files are written without
      // forking a process per file (NioLocalFileSystem). Under spark-submit, executors may not see the class.
      conf.putAll(NioLocalFs.settings());
    }
    conf.putAll(conf(settings));
    for (Map.Entry<String, String> e : conf.entrySet()) {
      builder.config(e.getKey(), e.getValue());
    }
    return builder.getOrCreate();
  }
}
