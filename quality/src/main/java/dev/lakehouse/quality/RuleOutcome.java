package dev.lakehouse.quality;

import dev.lakehouse.core.spec.Expectation;

/**
 * How one expectation fared on one batch.
 *
 * @param failingRows rows that broke a row rule, or -1 for a rule that judges the batch as a whole
 * @param metric the measured value (share of passing rows, completeness, row count, mean, ...), NaN if none
 * @param message why it failed, empty when it passed
 */
public record RuleOutcome(Expectation expectation, boolean passed, long failingRows, double metric, String message) {
  public String rule() {
    return expectation.name();
  }
}
