package dev.lakehouse.jobs;

import dev.lakehouse.core.config.ConfigLayers;
import dev.lakehouse.core.config.PipelineParser;
import dev.lakehouse.core.spark.LakehouseSpark;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.jobs.pipeline.Pipeline;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The entry point for running lakehouse pipelines. The command line ({@code bin/lakehouse}),
 * spark-submit (through {@link dev.lakehouse.jobs.cli.LakehouseMain}), notebooks and Airflow tasks
 * all come through here:
 *
 * <pre>{@code
 * Pipeline p = Lakehouse.open(Path.of("conf/pipelines/tpch.conf"));
 * p.run("silver.orders+");                       // a table and everything downstream
 * p.table("gold.pricing_summary").show();
 * }</pre>
 *
 * <p>The whole configuration is loaded and validated before anything runs.
 */
public final class Lakehouse {
  private Lakehouse() {}

  /** Validates the configuration without starting Spark. @throws dev.lakehouse.core.errors.ConfigException */
  public static PipelineSpec validate(ConfigLayers.Request request) {
    return PipelineParser.load(request);
  }

  /** Opens a pipeline file with the default environment, in the active SparkSession or a new local one. */
  public static Pipeline open(Path pipelineFile) {
    return open(ConfigLayers.Request.of(pipelineFile));
  }

  /** Opens a pipeline in the active SparkSession, or a new one configured by {@code lakehouse.spark}. */
  public static Pipeline open(ConfigLayers.Request request) {
    PipelineSpec spec = validate(request);
    return new Pipeline(spec, LakehouseSpark.getOrCreate(spec.settings()));
  }

  /**
   * Opens a pipeline in a session the caller owns (a notebook's). The session must have been
   * built with {@link LakehouseSpark#REQUIRED} (see {@link LakehouseSpark#conf}).
   */
  public static Pipeline open(ConfigLayers.Request request, SparkSession spark) {
    return new Pipeline(validate(request), spark);
  }
}
