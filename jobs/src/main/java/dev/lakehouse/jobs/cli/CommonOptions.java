package dev.lakehouse.jobs.cli;

import dev.lakehouse.core.config.ConfigLayers;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Options every subcommand takes: which pipeline, which environment, which overrides. */
final class CommonOptions {
  @Option(names = "--conf", description = "The pipeline file (default: ${DEFAULT-VALUE}).",
      defaultValue = "conf/pipelines/tpch.conf")
  Path conf;

  @Option(names = "--env", description = "The environment overlay conf/env/<env>.conf (default: local).")
  String env;

  @Option(names = "--set", description = "Override a config key, e.g. --set lakehouse.root=/data (repeatable).")
  List<String> overrides = new ArrayList<>();

  ConfigLayers.Request request() {
    return new ConfigLayers.Request(conf, Optional.ofNullable(env), List.copyOf(overrides), System.getenv());
  }

  ConfigLayers.Request requestWith(List<String> more) {
    List<String> all = new ArrayList<>(overrides);
    all.addAll(more);
    return new ConfigLayers.Request(conf, Optional.ofNullable(env), all, System.getenv());
  }
}
