package dev.lakehouse.jobs.pipeline;

import dev.lakehouse.bronze.BronzeIngest;
import dev.lakehouse.core.run.TableJob;
import dev.lakehouse.core.spec.LayerSpec;
import dev.lakehouse.core.spec.PipelineSpec;
import dev.lakehouse.core.spec.TableSpec;
import dev.lakehouse.gold.GoldRefresh;
import dev.lakehouse.silver.SilverTransform;

/** Maps a table spec to the job of its layer: the one place that knows every layer module. */
final class TableJobs {
  private TableJobs() {}

  static TableJob forTable(PipelineSpec pipeline, TableSpec spec) {
    if (spec.layer() instanceof LayerSpec.Silver s) {
      return new SilverTransform(spec, pipeline.table(s.source().table()));
    }
    if (spec.layer() instanceof LayerSpec.Gold g) {
      return new GoldRefresh(spec, g.sources().stream().map(pipeline::table).toList());
    }
    return new BronzeIngest(spec);
  }
}
