package dev.lakehouse.core.spec;

import java.util.Map;

/**
 * How the framework opens its SparkSession.
 *
 * @param master used only when nothing else set one (spark-submit's {@code --master} wins)
 * @param conf extra Spark settings, applied as given
 */
public record SparkSettings(String master, String appName, Map<String, String> conf) {}
