package dev.lakehouse.core.run;

import dev.lakehouse.core.errors.TableRunException;
import dev.lakehouse.core.spec.TableName;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One run of a table at a time, across processes and machines. Two runs of one table that overlap
 * (a scheduler's retry while the first try still runs, a run by hand beside the scheduled one)
 * both replay the micro-batch the first has yet to commit: Delta's transaction ids turn one of the
 * two writes away, but Hudi's single-writer timeline does not (the second writer rolls back the
 * first one's commit in flight). So a run holds a lease on its table, kept beside the table's
 * checkpoint, and a second run is refused at its start, before it reads or writes anything, with
 * who holds the lease.
 *
 * <p>The lease is a folder of generation files ({@code 1}, {@code 2}, ...), the highest one the
 * lease. A run takes it by creating the next generation, which the file system creates for one
 * caller only (an exclusive create: {@code O_EXCL} on a local disk, a create without overwrite on
 * HDFS), so a lease left by a run that died is taken over without first deleting it, which two
 * runs could race on. The holder touches its file every quarter of the expiry. A lease is free when
 * its file is gone, its process is gone (same host: a killed run is retried at once), or it was not
 * touched for the expiry (another host, whose processes cannot be seen).
 *
 * <p>Object stores without an exclusive create (S3 through Hadoop 3.3) cannot make this safe: there,
 * keep runs of one table from overlapping in the scheduler (Airflow's {@code max_active_runs = 1}).
 */
public final class TableLease implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TableLease.class);
  /** The leases this process holds, by folder: also a second run of a table in this process is refused. */
  private static final Map<String, TableLease> HELD = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService HEARTBEAT = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "lakehouse-lease-heartbeat");
    t.setDaemon(true);
    return t;
  });
  private static final String HOST = hostName();
  private static final ProcessHandle SELF = ProcessHandle.current();

  private final FileSystem fs;
  private final Path folder;
  private final Path file;
  private final ScheduledFuture<?> heartbeat;

  private TableLease(FileSystem fs, Path folder, Path file, Duration expiry) {
    this.fs = fs;
    this.folder = folder;
    this.file = file;
    long every = Math.max(1, expiry.toMillis() / 4);
    this.heartbeat = HEARTBEAT.scheduleAtFixedRate(this::touch, every, every, TimeUnit.MILLISECONDS);
  }

  /** The lease folder of the table whose stream checkpoint is {@code checkpoint}: beside it, so a full refresh, which deletes the checkpoint, keeps it. */
  static String folderOf(String checkpoint) {
    return checkpoint + ".lease";
  }

  /**
   * Takes the lease of {@code table}. Synchronized: within a process, two runs could otherwise each
   * take the other's fresh lease for one a run forgot to close.
   *
   * @throws TableRunException when another run holds it: which run, where, since when, and what to do
   */
  public static synchronized TableLease acquire(Configuration hadoop, TableName table, String checkpoint, String runId, Duration expiry) {
    Path folder = new Path(folderOf(checkpoint));
    try {
      FileSystem fs = folder.getFileSystem(hadoop);
      for (int attempt = 0; attempt < 3; attempt++) {
        long top = highest(fs, folder).orElse(0);
        if (top > 0) {
          Optional<String> holder = liveHolder(fs, new Path(folder, Long.toString(top)), expiry);
          if (holder.isPresent()) {
            throw busy(table, holder.get(), folder, expiry);
          }
        }
        Path mine = new Path(folder, Long.toString(top + 1));
        if (!createExclusively(fs, mine, holderText(runId, table))) {
          continue; // another run took this generation first: look at it
        }
        if (highest(fs, folder).orElse(0) != top + 1) {
          // A run that listed before us created a generation above ours; its is the lease.
          fs.delete(mine, false);
          continue;
        }
        for (FileStatus older : generations(fs, folder)) {
          if (generation(older.getPath()) < top + 1) {
            fs.delete(older.getPath(), false); // left by runs that ended or died; nobody reads them now
          }
        }
        TableLease lease = new TableLease(fs, folder, mine, expiry);
        HELD.put(folder.toString(), lease);
        return lease;
      }
      throw busy(table, "another run that started at the same moment", folder, expiry);
    } catch (IOException e) {
      throw new TableRunException(table, "Cannot take the run lease of " + table + " at " + folder + ": " + e.getMessage()
          + "; check that the checkpoint folder is writable", e);
    }
  }

  /** Gives the lease up: the next run of the table takes it at once. */
  @Override
  public void close() {
    if (HELD.remove(folder.toString(), this)) {
      heartbeat.cancel(false);
      try {
        fs.delete(file, false);
      } catch (IOException e) {
        LOG.warn("Cannot delete the run lease {} (the next run of its table takes it over when it expires): {}", file, e.getMessage());
      }
    }
  }

  private void touch() {
    try {
      fs.setTimes(file, System.currentTimeMillis(), -1);
    } catch (Exception e) { // any: an exception ends a scheduled task's runs
      LOG.warn("Cannot renew the run lease {}: {}", file, e.getMessage());
    }
  }

  private static TableRunException busy(TableName table, String holder, Path folder, Duration expiry) {
    return new TableRunException(table, "Cannot run " + table + ": " + holder + " is running it. Runs of one table must not"
        + " overlap (both would write the micro-batch the first has yet to commit); this run read and wrote nothing."
        + " Run it again when that run has ended; from a scheduler, allow one active run at a time. If that run's"
        + " process is gone on another machine, its lease (" + folder + ") expires " + expiry.toSeconds()
        + " s after it last renewed it (lakehouse.run.lease-expiry)", null);
  }

  /**
   * Who holds the lease whose highest generation is {@code file}, when the holder is alive; empty
   * when the lease is free.
   */
  private static Optional<String> liveHolder(FileSystem fs, Path file, Duration expiry) throws IOException {
    FileStatus status;
    Properties holder = new Properties();
    try {
      status = fs.getFileStatus(file);
      try (InputStream in = fs.open(file)) {
        holder.load(new StringReader(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
      }
    } catch (FileNotFoundException e) {
      return Optional.empty(); // released meanwhile
    }
    String who = "run " + holder.getProperty("run_id", "?") + " (process " + holder.getProperty("pid", "?") + " on "
        + holder.getProperty("host", "?") + ", started " + holder.getProperty("started_at", "?") + ")";
    if (HOST.equals(holder.getProperty("host"))) {
      long pid = parseLong(holder.getProperty("pid"));
      Optional<ProcessHandle> process = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
      boolean alive = process.isPresent() && process.get().isAlive()
          && String.valueOf(startOf(process.get())).equals(holder.getProperty("process_started"));
      if (!alive) {
        LOG.info("Taking over the run lease {} of {}: its process is gone", file, who);
        return Optional.empty();
      }
      if (process.get().pid() == SELF.pid()) {
        // This process: a run of the table that is still going, or a lease a run forgot to close.
        TableLease held = HELD.get(file.getParent().toString());
        return held != null && held.file.equals(file) ? Optional.of(who + " in this process") : Optional.empty();
      }
      return Optional.of(who);
    }
    long idle = System.currentTimeMillis() - status.getModificationTime();
    if (idle > expiry.toMillis()) {
      LOG.warn("Taking over the run lease {} of {}: not renewed for {} s", file, who, idle / 1000);
      return Optional.empty();
    }
    return Optional.of(who);
  }

  private static String holderText(String runId, TableName table) {
    return "table=" + table + "\nrun_id=" + runId + "\nhost=" + HOST + "\npid=" + SELF.pid()
        + "\nprocess_started=" + startOf(SELF) + "\nstarted_at=" + Instant.now() + "\n";
  }

  /**
   * Creates {@code file} holding {@code text} unless it exists, atomically: false when it exists.
   * Hadoop's local file system checks and then creates, so a local path goes through {@code java.nio}.
   */
  private static boolean createExclusively(FileSystem fs, Path file, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Path qualified = fs.makeQualified(file);
    if ("file".equals(qualified.toUri().getScheme())) {
      java.nio.file.Path local = java.nio.file.Path.of(qualified.toUri());
      Files.createDirectories(local.getParent());
      try (OutputStream out = Files.newOutputStream(local, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        out.write(bytes);
      } catch (FileAlreadyExistsException e) {
        return false;
      }
      return true;
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
    return true;
  }

  private static OptionalLong highest(FileSystem fs, Path folder) throws IOException {
    long top = -1;
    for (FileStatus s : generations(fs, folder)) {
      top = Math.max(top, generation(s.getPath()));
    }
    return top < 0 ? OptionalLong.empty() : OptionalLong.of(top);
  }

  private static FileStatus[] generations(FileSystem fs, Path folder) throws IOException {
    try {
      return fs.listStatus(folder, p -> p.getName().matches("[0-9]{1,18}"));
    } catch (FileNotFoundException e) {
      return new FileStatus[0];
    }
  }

  private static long generation(Path p) {
    return Long.parseLong(p.getName());
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(String.valueOf(s).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** When a process started, telling it from a later one given the same id. */
  private static long startOf(ProcessHandle p) {
    return p.info().startInstant().map(Instant::toEpochMilli).orElse(-1L);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return Optional.ofNullable(System.getenv("HOSTNAME")).orElse("unknown-host");
    }
  }
}
