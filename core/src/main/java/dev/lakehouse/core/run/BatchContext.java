package dev.lakehouse.core.run;

import dev.lakehouse.core.format.BatchMark;

/**
 * What a micro-batch function knows about the batch it processes.
 *
 * @param runId the id of the run (one per command or API call), shared by every table it runs
 * @param batchId the streaming micro-batch id, increasing per table checkpoint
 * @param mark identifies this batch for idempotent appends
 */
public record BatchContext(String runId, long batchId, BatchMark mark) {}
