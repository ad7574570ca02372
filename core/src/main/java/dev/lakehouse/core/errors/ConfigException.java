package dev.lakehouse.core.errors;

import java.util.List;
import java.util.stream.Collectors;

/** The configuration is invalid. Carries every problem found, so a user fixes them in one pass. */
public final class ConfigException extends LakehouseException {
  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(render(problems));
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String render(List<ConfigProblem> problems) {
    return "Cannot use the configuration: " + problems.size() + " problem(s)\n"
        + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n"));
  }
}
