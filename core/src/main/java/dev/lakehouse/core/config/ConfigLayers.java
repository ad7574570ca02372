package dev.lakehouse.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import dev.lakehouse.core.errors.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one place that states where configuration comes from and which source wins. From the
 * strongest to the weakest:
 *
 * <ol>
 *   <li>{@code --set key=value} on the command line (later ones win over earlier ones);
 *   <li>environment variables: {@code LAKEHOUSE_ROOT} sets {@code lakehouse.root};
 *   <li>the environment overlay {@code <conf>/env/<env>.conf} ({@code --env}, default {@code local});
 *   <li>the pipeline file ({@code --conf}, e.g. {@code conf/pipelines/tpch.conf});
 *   <li>{@code <conf>/application.conf};
 *   <li>{@code reference.conf} in the framework's jar: every default, and nothing else.
 * </ol>
 *
 * <p>{@code <conf>} is the folder that holds the pipeline file's {@code pipelines/} folder (or the
 * pipeline file's own folder when it is not in one named {@code pipelines}). Within a pipeline, a
 * table's own setting (e.g. {@code format}) wins over the pipeline's, which wins over
 * {@code lakehouse.*}.
 */
public final class ConfigLayers {
  /** Environment variables the framework reads, and the config path each one sets. */
  public static final Map<String, String> ENVIRONMENT_VARIABLES = Map.of("LAKEHOUSE_ROOT", "lakehouse.root");

  public static final String DEFAULT_ENV = "local";

  private ConfigLayers() {}

  /**
   * What to load.
   *
   * @param env the environment overlay to apply; empty means {@value #DEFAULT_ENV}, which may be absent
   * @param overrides {@code key=value} strings, in command-line order
   * @param environment the process environment (a parameter so tests need not mutate it)
   */
  public record Request(
      Path pipelineFile, Optional<String> env, List<String> overrides, Map<String, String> environment) {
    public static Request of(Path pipelineFile) {
      return new Request(pipelineFile, Optional.empty(), List.of(), System.getenv());
    }
  }

  /** The loaded layers: the user's (without reference.conf) and all of them resolved. */
  public record Loaded(Config user, Config resolved, Path pipelineFile) {}

  /**
   * {@code file}, or when it does not exist, the file of the same name directly in {@code dir}:
   * {@code spark-submit --files} ships files flat into the driver's working directory (YARN,
   * Kubernetes), so a pipeline shipped with its overlay and SQL files finds them beside itself.
   */
  static Path shipped(Path file, Path dir) {
    Path flat = dir.resolve(file.getFileName().toString());
    return Files.isRegularFile(file) || !Files.isRegularFile(flat) ? file : flat;
  }

  public static Path confDir(Path pipelineFile) {
    Path dir = pipelineFile.toAbsolutePath().normalize().getParent();
    if (dir.getFileName() != null && dir.getFileName().toString().equals("pipelines") && dir.getParent() != null) {
      return dir.getParent();
    }
    return dir;
  }

  /**
   * Loads and resolves every layer.
   *
   * @throws dev.lakehouse.core.errors.ConfigException when a file is missing or unparsable, or a
   *     substitution cannot be resolved
   */
  public static Loaded load(Request request) {
    List<ConfigProblem> problems = new ArrayList<>();
    Path pipeline = shipped(request.pipelineFile(), Path.of("").toAbsolutePath());
    Path confDir = confDir(pipeline);

    Config overrides = ConfigFactory.empty();
    for (String kv : request.overrides()) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        problems.add(new ConfigProblem(kv, "--set", "Cannot apply override '" + kv
            + "': expected key=value, e.g. --set lakehouse.format=hudi"));
        continue;
      }
      String key = kv.substring(0, eq).trim();
      String value = kv.substring(eq + 1).trim();
      try {
        overrides = parseOverride(key, value).withFallback(overrides);
      } catch (ConfigException e) {
        problems.add(new ConfigProblem(key, "--set", "Cannot apply override '" + kv + "': " + e.getMessage()));
      }
    }

    Config fromEnvironment = ConfigFactory.empty();
    for (Map.Entry<String, String> e : ENVIRONMENT_VARIABLES.entrySet()) {
      String value = request.environment().get(e.getKey());
      if (value != null && !value.isBlank()) {
        fromEnvironment = fromEnvironment.withValue(
            e.getValue(), ConfigValueFactory.fromAnyRef(value, "environment variable " + e.getKey()));
      }
    }

    String envName = request.env().orElse(DEFAULT_ENV);
    Path overlayFile = shipped(confDir.resolve("env").resolve(envName + ".conf"), confDir);
    Config overlay = ConfigFactory.empty();
    if (Files.isRegularFile(overlayFile)) {
      overlay = parseFile(overlayFile, problems);
    } else if (request.env().isPresent()) {
      problems.add(new ConfigProblem("--env", "", "Cannot find environment '" + envName + "': no file "
          + overlayFile + "; create it or pick one of the files in " + confDir.resolve("env")));
    }

    Config pipelineConfig = ConfigFactory.empty();
    if (Files.isRegularFile(pipeline)) {
      pipelineConfig = parseFile(pipeline, problems);
    } else {
      problems.add(new ConfigProblem("--conf", "", "Cannot find pipeline file " + pipeline
          + "; pass --conf with the path of a pipeline file such as conf/pipelines/tpch.conf"));
    }

    Path applicationFile = confDir.resolve("application.conf");
    Config application = Files.isRegularFile(applicationFile) ? parseFile(applicationFile, problems) : ConfigFactory.empty();

    if (!problems.isEmpty()) {
      throw new dev.lakehouse.core.errors.ConfigException(problems);
    }
    Config user = overrides
        .withFallback(fromEnvironment)
        .withFallback(overlay)
        .withFallback(pipelineConfig)
        .withFallback(application);
    Config reference = ConfigFactory.parseResources(ConfigLayers.class.getClassLoader(), "reference.conf")
        .getConfig("lakehouse").atKey("lakehouse");
    try {
      Config resolved = user.withFallback(reference).resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
      return new Loaded(user, resolved, pipeline);
    } catch (ConfigException.UnresolvedSubstitution e) {
      throw new dev.lakehouse.core.errors.ConfigException(List.of(new ConfigProblem(
          "substitution", originOf(e), "Cannot resolve a ${...} substitution: " + e.getMessage()
              + "; define the key it names, or use ${?key} to make it optional")));
    }
  }

  private static Config parseOverride(String key, String value) {
    String origin = "--set " + key;
    if (value.startsWith("[") || value.startsWith("{")) {
      return ConfigFactory.parseString("\"x\" = " + value, ConfigParseOptions.defaults().setOriginDescription(origin))
          .getValue("x").atPath(key);
    }
    return ConfigValueFactory.fromAnyRef(value, origin).atPath(key);
  }

  private static Config parseFile(Path file, List<ConfigProblem> problems) {
    try {
      return ConfigFactory.parseFile(file.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      problems.add(new ConfigProblem("(file)", originOf(e), "Cannot parse " + file + ": " + e.getMessage()));
      return ConfigFactory.empty();
    }
  }

  private static String originOf(ConfigException e) {
    return e.origin() == null ? "" : Origins.describe(e.origin());
  }
}
