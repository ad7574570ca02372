package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.spec.TableName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;

/**
 * Takes a table's lease in its own JVM, for {@link TableLeaseTest}, and holds it until killed.
 * Arguments: the checkpoint, the run id, and a file whose appearance starts the attempt (so several
 * holders try at the same moment). Prints {@code HELD} or {@code BUSY}.
 */
public final class LeaseHolder {
  private LeaseHolder() {}

  public static void main(String[] args) throws Exception {
    Path go = Path.of(args[2]);
    while (!Files.exists(go)) {
      Thread.sleep(1);
    }
    try {
      TableLease.acquire(new Configuration(), TableName.parse("bronze.events"), args[0], args[1], Duration.ofMinutes(2));
      System.out.println("HELD");
    } catch (TableRunException e) {
      System.out.println("BUSY");
    }
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
