package dev.lakehouse.core.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeProjection;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * Rows stored as a few byte arrays: after a header with the bytes used and the rows held, each row's length, then
 * its bytes in Spark's {@link UnsafeRow} format, one row after the other, as Spark's own shuffle
 * files hold them. Read back, each row points into its array, nothing is copied. Spark's serialized
 * storage levels write a row at a time through the session's serializer (Kryo), which clears its
 * reference tables after every row: a few percent of the CPU of a whole TPC-H pipeline run, for
 * rows already in a byte format.
 */
final class RowChunks {
  /** The first chunk of a partition: a few rows do not hold megabytes (the stored size plans joins). */
  private static final int FIRST = 64 << 10;
  /** The chunks grow to this: the garbage collector sees a few arrays per partition. */
  private static final int LARGEST = 4 << 20;
  private static final int HEADER = 8;

  private RowChunks() {}

  /** The rows of one partition, packed. */
  static Iterator<byte[]> pack(Iterator<InternalRow> rows, StructType schema) {
    List<byte[]> chunks = new ArrayList<>();
    UnsafeProjection toUnsafe = null;
    byte[] chunk = new byte[FIRST];
    int at = HEADER;
    int held = 0;
    while (rows.hasNext()) {
      InternalRow next = rows.next();
      UnsafeRow row;
      if (next instanceof UnsafeRow u) {
        row = u;
      } else { // most plans produce unsafe rows; a few operators return generic ones
        if (toUnsafe == null) {
          toUnsafe = UnsafeProjection.create(schema);
        }
        row = toUnsafe.apply(next);
      }
      int size = row.getSizeInBytes();
      if (at + 4 + size > chunk.length) {
        if (at > HEADER) { // a row too large for an empty chunk leaves no empty chunk behind
          chunks.add(closed(chunk, at, held));
        }
        chunk = new byte[Math.max(Math.min(chunk.length * 2, LARGEST), HEADER + 4 + size)];
        at = HEADER;
        held = 0;
      }
      Platform.putInt(chunk, Platform.BYTE_ARRAY_OFFSET + at, size);
      row.writeToMemory(chunk, Platform.BYTE_ARRAY_OFFSET + at + 4);
      at += 4 + size;
      held++;
    }
    if (at > HEADER) {
      // The last chunk cut to its rows: the block manager sizes the stored rows by their arrays.
      chunks.add(closed(Arrays.copyOf(chunk, at), at, held));
    }
    return chunks.iterator();
  }

  private static byte[] closed(byte[] chunk, int used, int rows) {
    Platform.putInt(chunk, Platform.BYTE_ARRAY_OFFSET, used);
    Platform.putInt(chunk, Platform.BYTE_ARRAY_OFFSET + 4, rows);
    return chunk;
  }

  /** The number of rows a packed chunk holds, from its header. */
  static long rows(byte[] chunk) {
    return Platform.getInt(chunk, Platform.BYTE_ARRAY_OFFSET + 4);
  }

  /** The rows of packed chunks, each a new {@link UnsafeRow} over its bytes in its chunk. */
  static Iterator<InternalRow> unpack(Iterator<byte[]> chunks, int fields) {
    return new Iterator<>() {
      private byte[] chunk;
      private int at;
      private int end;

      @Override
      public boolean hasNext() {
        while (at >= end) {
          if (!chunks.hasNext()) {
            return false;
          }
          chunk = chunks.next();
          end = Platform.getInt(chunk, Platform.BYTE_ARRAY_OFFSET);
          at = HEADER;
        }
        return true;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int size = Platform.getInt(chunk, Platform.BYTE_ARRAY_OFFSET + at);
        UnsafeRow row = new UnsafeRow(fields);
        row.pointTo(chunk, Platform.BYTE_ARRAY_OFFSET + at + 4, size);
        at += 4 + size;
        return row;
      }
    };
  }
}
