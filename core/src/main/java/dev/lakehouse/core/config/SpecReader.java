package dev.lakehouse.core.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.lakehouse.core.errors.ConfigProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one config object into typed values, collecting problems instead of throwing, so the
 * parser can report every problem at once. Each problem names the full config path and the
 * {@code file:line} where it is written.
 */
final class SpecReader {
  private final Config config;
  private final String path;
  private final String origin;
  private final List<ConfigProblem> problems;

  SpecReader(Config config, String path, String origin, List<ConfigProblem> problems) {
    this.config = config;
    this.path = path;
    this.origin = origin;
    this.problems = problems;
  }

  static SpecReader root(Config config, List<ConfigProblem> problems) {
    return new SpecReader(config, "", "", problems);
  }

  String path() {
    return path;
  }

  /** {@code file:line} of this object. */
  String origin() {
    return origin;
  }

  String pathOf(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  boolean has(String key) {
    return config.hasPath(quote(key));
  }

  String originOf(String key) {
    return has(key) ? Origins.describe(config.getValue(quote(key)).origin()) : origin;
  }

  void problem(String key, String message) {
    problems.add(new ConfigProblem(pathOf(key), originOf(key), message));
  }

  Optional<String> optionalString(String key) {
    if (!has(key)) {
      return Optional.empty();
    }
    ConfigValue v = config.getValue(quote(key));
    if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST) {
      problem(key, "Cannot read '" + key + "': expected a string but found " + describe(v.valueType()));
      return Optional.empty();
    }
    return Optional.of(String.valueOf(v.unwrapped()));
  }

  String requiredString(String key, String hint) {
    Optional<String> v = optionalString(key);
    if (v.isEmpty() && !has(key)) {
      problem(key, "Cannot find required key '" + key + "': " + hint);
    }
    return v.orElse("");
  }

  List<String> stringList(String key) {
    if (!has(key)) {
      return List.of();
    }
    ConfigValue v = config.getValue(quote(key));
    if (v.valueType() != ConfigValueType.LIST) {
      problem(key, "Cannot read '" + key + "': expected a list such as [a, b] but found " + describe(v.valueType()));
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) v.unwrapped()) {
      if (o instanceof Map || o instanceof List) {
        problem(key, "Cannot read '" + key + "': expected a list of strings but an element is " + o);
      } else {
        out.add(String.valueOf(o));
      }
    }
    return List.copyOf(out);
  }

  int positiveInt(String key, int fallback) {
    return intAtLeast(key, 1, fallback);
  }

  int intAtLeast(String key, int min, int fallback) {
    if (!has(key)) {
      return fallback;
    }
    Object raw = config.getValue(quote(key)).unwrapped();
    try {
      int v = Integer.parseInt(String.valueOf(raw).trim());
      if (v >= min) {
        return v;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    problem(key, "Cannot use " + key + " = " + raw + ": expected a whole number of at least " + min);
    return fallback;
  }

  Duration duration(String key, Duration fallback) {
    if (!has(key)) {
      return fallback;
    }
    try {
      return config.getDuration(quote(key));
    } catch (ConfigException.BadValue | ConfigException.WrongType e) {
      problem(key, "Cannot read '" + key + "' as a duration: " + config.getValue(quote(key)).unwrapped()
          + "; write e.g. 10s, 1 minute");
      return fallback;
    }
  }

  /** The enum constant named by the value, case-insensitively; lists the allowed ones otherwise. */
  <E extends Enum<E>> Optional<E> enumValue(String key, Class<E> type) {
    Optional<String> raw = optionalString(key);
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    String wanted = raw.get().trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equals(wanted)) {
        return Optional.of(e);
      }
    }
    List<String> allowed = new ArrayList<>();
    for (E e : type.getEnumConstants()) {
      allowed.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    problem(key, "Cannot use " + key + " = " + raw.get() + ": supported values are " + String.join(", ", allowed));
    return Optional.empty();
  }

  /**
   * A map of string values (e.g. Spark or reader options). Dotted keys mean the same quoted or
   * not: {@code "spark.sql.x" = 1} and {@code spark.sql.x = 1} both give {@code spark.sql.x}.
   */
  Map<String, String> stringMap(String key) {
    Optional<SpecReader> obj = object(key);
    Map<String, String> out = new java.util.TreeMap<>();
    if (obj.isEmpty()) {
      return out;
    }
    for (Map.Entry<String, ConfigValue> e : obj.get().config.entrySet()) {
      String flat = String.join(".", com.typesafe.config.ConfigUtil.splitPath(e.getKey()));
      if (e.getValue().valueType() == ConfigValueType.LIST) {
        obj.get().problem(flat, "Cannot read '" + flat + "': expected a string, found a list");
      } else {
        out.put(flat, String.valueOf(e.getValue().unwrapped()));
      }
    }
    return out;
  }

  /** True when {@code key} holds an object { ... }. */
  boolean isObject(String key) {
    return has(key) && config.getValue(quote(key)).valueType() == ConfigValueType.OBJECT;
  }

  /** The object under {@code key}; a problem when the value is something else. */
  Optional<SpecReader> object(String key) {
    if (!has(key)) {
      return Optional.empty();
    }
    ConfigValue v = config.getValue(quote(key));
    if (v.valueType() != ConfigValueType.OBJECT) {
      problem(key, "Cannot read '" + key + "': expected an object { ... } but found " + describe(v.valueType()));
      return Optional.empty();
    }
    return Optional.of(new SpecReader(((ConfigObject) v).toConfig(), pathOf(key),
        Origins.describe(v.origin()), problems));
  }

  /** The objects of the list under {@code key}, each reporting problems as {@code key[i]}. */
  List<SpecReader> objectList(String key) {
    if (!has(key)) {
      return List.of();
    }
    ConfigValue v = config.getValue(quote(key));
    if (v.valueType() != ConfigValueType.LIST) {
      problem(key, "Cannot read '" + key + "': expected a list [ { ... }, ... ] but found " + describe(v.valueType()));
      return List.of();
    }
    List<SpecReader> out = new ArrayList<>();
    int i = 0;
    for (ConfigValue e : (com.typesafe.config.ConfigList) v) {
      String p = pathOf(key) + "[" + i++ + "]";
      if (e.valueType() != ConfigValueType.OBJECT) {
        problems.add(new ConfigProblem(p, Origins.describe(e.origin()), "Cannot read '" + key
            + "': expected an object { ... } but found " + describe(e.valueType())));
      } else {
        out.add(new SpecReader(((ConfigObject) e).toConfig(), p, Origins.describe(e.origin()), problems));
      }
    }
    return out;
  }

  /** A string or a list of strings, as a list ({@code keys = a} or {@code keys = [a, b]}). */
  List<String> stringOrList(String key) {
    if (has(key) && config.getValue(quote(key)).valueType() != ConfigValueType.LIST) {
      return optionalString(key).map(List::of).orElse(List.of());
    }
    return stringList(key);
  }

  /** An optional number; a problem when the value is not one. */
  Optional<Double> optionalNumber(String key) {
    if (!has(key)) {
      return Optional.empty();
    }
    Object raw = config.getValue(quote(key)).unwrapped();
    try {
      return Optional.of(Double.parseDouble(String.valueOf(raw).trim()));
    } catch (NumberFormatException e) {
      problem(key, "Cannot use " + key + " = " + raw + ": expected a number");
      return Optional.empty();
    }
  }

  /** This object as concise JSON with sorted keys: the same spec always renders the same. */
  String render() {
    return config.root().render(com.typesafe.config.ConfigRenderOptions.concise());
  }

  /** Like {@link #render()}, leaving {@code key} out. */
  String renderWithout(String key) {
    return config.withoutPath(quote(key)).root().render(com.typesafe.config.ConfigRenderOptions.concise());
  }

  boolean bool(String key, boolean fallback) {
    if (!has(key)) {
      return fallback;
    }
    try {
      return config.getBoolean(quote(key));
    } catch (ConfigException.WrongType e) {
      problem(key, "Cannot use " + key + " = " + config.getValue(quote(key)).unwrapped() + ": write true or false");
      return fallback;
    }
  }

  /** The keys of this object, in the order written where the config keeps it. */
  Set<String> keys() {
    return config.root().keySet();
  }

  /** Reports every key not in {@code supported}: a typo must never be silently ignored. */
  void rejectUnknownKeys(List<String> supported) {
    for (String key : new TreeSet<>(keys())) {
      if (!supported.contains(key)) {
        problem(key, "Unknown key '" + key + "'; supported keys here are: " + String.join(", ", supported));
      }
    }
  }

  private static String quote(String key) {
    return com.typesafe.config.ConfigUtil.joinPath(key);
  }

  private static String describe(ConfigValueType t) {
    return switch (t) {
      case OBJECT -> "an object";
      case LIST -> "a list";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case NULL -> "null";
      case STRING -> "a string";
    };
  }
}
