package dev.lakehouse.jobs.demo;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.trino.tpch.Customer;
import io.trino.tpch.CustomerGenerator;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Changes to customers of the first drop, landed as {@code customer/changes-<drop>.json} next to
 * the customer rows, with {@code c_updated_at} (when the change happened) and {@code c_op}
 * ({@code U} or {@code D}). Customer rows of the drops themselves carry neither.
 *
 * <p>Drop 2: customers whose key ends in 1 get a new balance, address and phone, then, two days
 * later, their original values back, and the first change arrives twice; customers whose key is
 * 3 modulo 30 are deleted (keys divisible by 3 place no orders in TPC-H). A third drop brings, for
 * the same customers, a change dated between those two: a late event (with two drops it comes in
 * drop 2, out of order). So every customer that stays ends as generated, and every TPC-H answer
 * stays the official one, while the SCD type 2 history shows each version.
 */
public final class CustomerChanges {
  /** The key of the changes' count in {@link TpchLanding#writeDrop}'s result. */
  public static final String NAME = "customer_changes";
  private static final JsonFactory JSON = new JsonFactory();

  private CustomerChanges() {}

  static long write(Path dir, double sf, int drop, int drops) {
    if (drop > 3) {
      return 0;
    }
    String name = String.format("changes-%03d.json", drop);
    Path tmp = dir.resolve("." + name + ".tmp");
    long rows = 0;
    try {
      Files.createDirectories(dir);
      try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        for (Customer c : new CustomerGenerator(sf, 1, drops)) {
          long key = c.getCustomerKey();
          BigDecimal balance = BigDecimal.valueOf(c.getAccountBalance()).setScale(2, java.math.RoundingMode.HALF_UP);
          if (key % 10 == 1) {
            if (drop == 2) {
              Object[] moved = {"Moved " + c.getAddress(), "99-" + c.getPhone().substring(3), balance.add(BigDecimal.valueOf(100))};
              rows += change(w, c, "2025-01-02 08:00:00", moved);
              rows += change(w, c, "2025-01-04 08:00:00", new Object[] {c.getAddress(), c.getPhone(), balance});
              rows += change(w, c, "2025-01-02 08:00:00", moved); // the same event again
            }
            if (drop == 3 || (drop == 2 && drops == 2)) {
              rows += change(w, c, "2025-01-03 08:00:00", new Object[] {"Late " + c.getAddress(), c.getPhone(), balance});
            }
          } else if (key % 30 == 3 && drop == 2) {
            rows += delete(w, key, "2025-01-02 09:00:00");
          }
        }
      }
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write customer changes of drop " + drop + " to " + dir, e);
    }
    return rows;
  }

  /** {@code values}: address, phone, account balance. */
  private static int change(BufferedWriter w, Customer c, String at, Object[] values) throws IOException {
    JsonGenerator g = JSON.createGenerator(w);
    g.writeStartObject();
    g.writeNumberField("c_custkey", c.getCustomerKey());
    g.writeStringField("c_name", c.getName());
    g.writeStringField("c_address", (String) values[0]);
    g.writeNumberField("c_nationkey", c.getNationKey());
    g.writeStringField("c_phone", (String) values[1]);
    g.writeFieldName("c_acctbal");
    g.writeNumber((BigDecimal) values[2]);
    g.writeStringField("c_mktsegment", c.getMarketSegment());
    g.writeStringField("c_comment", c.getComment());
    g.writeStringField("c_updated_at", at);
    g.writeStringField("c_op", "U");
    g.writeEndObject();
    g.flush();
    w.write('\n');
    return 1;
  }

  private static int delete(BufferedWriter w, long key, String at) throws IOException {
    JsonGenerator g = JSON.createGenerator(w);
    g.writeStartObject();
    g.writeNumberField("c_custkey", key);
    g.writeStringField("c_updated_at", at);
    g.writeStringField("c_op", "D");
    g.writeEndObject();
    g.flush();
    w.write('\n');
    return 1;
  }
}
