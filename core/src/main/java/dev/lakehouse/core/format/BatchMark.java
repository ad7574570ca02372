package dev.lakehouse.core.format;

/**
 * Identifies one micro-batch of one streaming query, so an append replayed after a crash (the
 * table committed, the checkpoint did not) is recognised and skipped instead of duplicated.
 *
 * @param appId stable per table and checkpoint
 * @param batchId the micro-batch id, increasing within {@code appId}
 */
public record BatchMark(String appId, long batchId) {
  /** Separates a stream's app id from the writer's part in {@link #by}. */
  public static final String WRITER_SEPARATOR = "/";

  /**
   * Who appends to a table kept beside a stream's target (its quarantine). A table skips an
   * (app id, batch id) it holds, so two writers of one table in one batch need app ids of their own:
   * under one, the second append was taken for a replay of the first and lost.
   */
  public enum Writer {
    BAD_RECORDS("bad-records"),
    KEY_GUARD("key-guard"),
    EXPECTATIONS("expectations");

    private final String id;

    Writer(String id) {
      this.id = id;
    }
  }

  /** The mark of the same batch for {@code writer}'s append to a table kept beside the target. */
  public BatchMark by(Writer writer) {
    return new BatchMark(appId + WRITER_SEPARATOR + writer.id, batchId);
  }

  /** Whether {@code appId} is this stream's, or one of its writers' (see {@link #by}). */
  public static boolean ofStream(String appId, String streamAppId) {
    return appId.equals(streamAppId) || appId.startsWith(streamAppId + WRITER_SEPARATOR);
  }
}
