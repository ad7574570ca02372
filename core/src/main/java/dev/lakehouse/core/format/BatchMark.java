package dev.lakehouse.core.format;

/**
 * Identifies one micro-batch of one streaming query, so an append replayed after a crash (the
 * table committed, the checkpoint did not) is recognised and skipped instead of duplicated.
 *
 * @param appId stable per table and checkpoint
 * @param batchId the micro-batch id, increasing within {@code appId}
 */
public record BatchMark(String appId, long batchId) {}
