package dev.lakehouse.bench;

/**
 * A step's result, its wall and CPU seconds, and its report line.
 *
 * @param <T> what the step returns ({@link Void} for none)
 */
record Measured<T>(T result, double wall, double cpu, String line) {}
