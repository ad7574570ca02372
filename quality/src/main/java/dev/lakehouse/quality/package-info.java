/**
 * Data quality: a table's expectations applied to each batch before it is written
 * ({@link dev.lakehouse.quality.TableExpectations}), their actions (warn, drop, quarantine, fail), the
 * results table {@code _lakehouse.quality_results}, the per-run HTML report and rule suggestions.
 * {@link dev.lakehouse.quality.Deequ} is the only class that talks to Deequ.
 */
package dev.lakehouse.quality;
