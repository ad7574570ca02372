package dev.lakehouse.core.config;

import dev.lakehouse.core.spec.Cleansing;
import dev.lakehouse.core.spec.ColumnSpec;
import dev.lakehouse.core.spec.KeyViolations;
import dev.lakehouse.core.spec.Scd2Spec;
import dev.lakehouse.core.spec.TableName;
import dev.lakehouse.core.spec.WriteMode;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Reads the cleansing, key-integrity and history keys of a silver table (see {@link Cleansing}). */
final class SilverParser {
  static final List<String> KEYS = List.of("rename", "trim", "case", "cast", "defaults", "derive", "delete-when",
      "key-violations", "history", "pii");
  static final List<String> CAST_KEYS = List.of("type", "format", "time-zone");
  static final List<String> HISTORY_KEYS = List.of("track", "except", "valid-from", "valid-to", "is-current",
      "deletes", "is-deleted");

  private SilverParser() {}

  static Cleansing cleansing(SpecReader t, List<String> select, Optional<String> filter, List<ColumnSpec> columns) {
    Map<String, String> rename = new TreeMap<>(t.stringMap("rename"));
    List<String> trim = t.stringList("trim");
    Map<String, Cleansing.Case> caseOf = new TreeMap<>();
    t.object("case").ifPresent(c -> {
      for (String col : new java.util.TreeSet<>(c.keys())) {
        c.enumValue(col, Cleansing.Case.class).ifPresent(v -> caseOf.put(col, v));
      }
    });
    Map<String, Cleansing.Cast> cast = new TreeMap<>();
    t.object("cast").ifPresent(c -> {
      for (String col : new java.util.TreeSet<>(c.keys())) {
        Optional<SpecReader> detailed = c.has(col) && c.isObject(col) ? c.object(col) : Optional.empty();
        Cleansing.Cast spec = detailed.isPresent() ? cast(detailed.get()) : new Cleansing.Cast(
            c.optionalString(col).orElse(""), Optional.empty(), Optional.empty());
        SqlChecks.dataType(spec.type()).ifPresent(err -> (detailed.isPresent() ? detailed.get() : c)
            .problem(detailed.isPresent() ? "type" : col, "Cannot cast " + col + " to '" + spec.type() + "': " + err
                + "; write a Spark type such as bigint, decimal(12,2), date or timestamp"));
        cast.put(col, spec);
      }
    });
    Map<String, String> defaults = new TreeMap<>(t.stringMap("defaults"));
    defaults.forEach((col, expr) -> SqlChecks.expression(expr).ifPresent(err -> t.problem("defaults",
        "Cannot parse the default of " + col + " \"" + expr + "\": " + err + "; write a Spark SQL expression such as 'unknown' or 0")));
    List<String> derive = t.stringList("derive");
    for (String d : derive) {
      Optional<String> err = SqlChecks.expression(d);
      if (err.isPresent()) {
        t.problem("derive", "Cannot parse the derived column \"" + d + "\": " + err.get()
            + "; write \"<Spark SQL expression> AS <name>\"");
      } else if (SqlChecks.aliasName(d).isEmpty()) {
        t.problem("derive", "Cannot name the column that \"" + d + "\" makes: write it as \"<expression> AS <name>\"");
      }
    }
    Optional<String> deleteWhen = t.optionalString("delete-when");
    deleteWhen.ifPresent(d -> SqlChecks.expression(d).ifPresent(err -> t.problem("delete-when",
        "Cannot parse delete-when \"" + d + "\": " + err + "; write a Spark SQL boolean expression such as \"op = 'D'\"")));
    Cleansing.Mask pii = t.enumValue("pii", Cleansing.Mask.class).orElse(Cleansing.Mask.KEEP);
    Map<String, Cleansing.Mask> masks = new TreeMap<>();
    for (ColumnSpec c : columns) {
      Cleansing.Mask m = c.mask().orElse(c.isPii() ? pii : Cleansing.Mask.KEEP);
      if (m != Cleansing.Mask.KEEP) {
        masks.put(c.name(), m);
      }
    }
    return new Cleansing(select, rename, trim, caseOf, cast, defaults, derive, filter, deleteWhen, masks);
  }

  private static Cleansing.Cast cast(SpecReader c) {
    c.rejectUnknownKeys(CAST_KEYS);
    String type = c.requiredString("type", "the Spark type to cast to, e.g. type = timestamp");
    Optional<String> format = c.optionalString("format");
    Optional<String> zone = c.optionalString("time-zone");
    String lower = type.trim().toLowerCase(java.util.Locale.ROOT);
    boolean temporal = lower.equals("date") || lower.equals("timestamp");
    if ((format.isPresent() || zone.isPresent()) && !temporal) {
      c.problem(format.isPresent() ? "format" : "time-zone", "Cannot use a format or time-zone with type " + type
          + ": they apply to date and timestamp only; remove them or cast to date or timestamp");
    }
    format.ifPresent(f -> {
      try {
        DateTimeFormatter.ofPattern(f);
      } catch (IllegalArgumentException e) {
        c.problem("format", "Cannot use the datetime pattern \"" + f + "\": " + e.getMessage()
            + "; write a pattern such as yyyy-MM-dd HH:mm:ss");
      }
    });
    zone.ifPresent(z -> {
      try {
        ZoneId.of(z);
      } catch (DateTimeException e) {
        c.problem("time-zone", "Cannot use the time zone '" + z + "': " + e.getMessage()
            + "; write a region such as Europe/Paris or an offset such as +02:00");
      }
      if (lower.equals("date")) {
        c.problem("time-zone", "Cannot use a time-zone with type date: a date has no time of day; remove time-zone");
      }
    });
    return new Cleansing.Cast(type.trim(), format, zone);
  }

  static KeyViolations keyViolations(SpecReader t) {
    return t.enumValue("key-violations", KeyViolations.class).orElse(KeyViolations.FAIL);
  }

  static Scd2Spec history(TableName name, SpecReader t, WriteMode write, List<String> keys, Optional<String> sequenceBy) {
    if (write == WriteMode.APPEND && t.has("delete-when")) {
      t.problem("delete-when", "Cannot delete rows of " + name + ", which is written as append: deletes apply to"
          + " write = scd1 or scd2 (with keys); change write or remove delete-when");
    }
    if (write != WriteMode.SCD2) {
      if (t.has("history")) {
        t.problem("history", "Cannot keep history for " + name + " written as " + write.id()
            + ": history applies to write = scd2; set write = scd2 or remove history");
      }
      return Scd2Spec.DEFAULT;
    }
    if (keys.isEmpty()) {
      t.problem("write", "Cannot write " + name + " as scd2 without keys: declare keys = [<column>, ...]");
    }
    if (sequenceBy.isEmpty()) {
      t.problem("write", "Cannot write " + name + " as scd2 without sequence-by: versions are ordered and dated by it;"
          + " declare sequence-by = <column>, e.g. an update time or a change sequence number");
    }
    Scd2Spec d = Scd2Spec.DEFAULT;
    Optional<SpecReader> block = t.object("history");
    if (block.isEmpty()) {
      return d;
    }
    SpecReader h = block.get();
    h.rejectUnknownKeys(HISTORY_KEYS);
    List<String> track = h.stringList("track");
    List<String> except = h.stringList("except");
    if (!track.isEmpty() && !except.isEmpty()) {
      h.problem("except", "Cannot use both track and except: track lists the columns whose change makes a new version,"
          + " except the columns whose change does not; keep one");
    }
    Scd2Spec.Deletes deletes = h.enumValue("deletes", Scd2Spec.Deletes.class).orElse(d.deletes());
    Scd2Spec s = new Scd2Spec(track, except, h.optionalString("valid-from").orElse(d.validFrom()),
        h.optionalString("valid-to").orElse(d.validTo()), h.optionalString("is-current").orElse(d.isCurrent()),
        deletes, h.optionalString("is-deleted").orElse(d.isDeleted()));
    List<String> names = new ArrayList<>(s.historyColumns());
    if (new java.util.HashSet<>(names).size() != names.size()) {
      h.problem("valid-from", "Cannot use one name for two history columns: " + names + "; give each its own name");
    }
    for (String k : keys) {
      if (except.contains(k)) {
        h.problem("except", "Cannot leave key column " + k + " out of change detection: keys identify the row; remove it from except");
      }
    }
    return s;
  }
}
