package org.corral.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;

/**
 * Corral's process-level benchmarks, measured in one run against raw {@link ProcessBuilder} on the same
 * machine (ratios, not absolute times: the machines are shared and noisy). Run by {@code ./bench.sh}.
 *
 * <pre>
 * java -cp ... org.corral.bench.Bench --testprogs DIR [--results DIR] [--daemon-bench CLASSES_DIR] [--quick]
 *     [--only latency,throughput,lost,owner,helper,daemons,isolation]
 * </pre>
 *
 * Figures (see ../shared/spec/TESTING.md "Benchmarks"):
 * <ul>
 * <li>{@code run("true")} median latency, 300 runs each, Corral and ProcessBuilder interleaved;</li>
 * <li>200 MB of stdout ({@code head -c 200000000 /dev/zero}) read by a counting consumer, against
 *     ProcessBuilder reading the same stream;</li>
 * <li>bytes lost at exit: 100 runs of {@code print_a_lot} with a known size, every byte counted and its
 *     pattern checked;</li>
 * <li>owner death: 100 child JVMs each run a fork tree with setsid'd members, a double-forked setsid
 *     daemon and orphaned grandchildren through Corral and are {@code kill -9}ed: survivors, and the time
 *     from the kill to the last descendant gone (median, p95);</li>
 * <li>helper death ({@link HelperLossBench}): {@code kill -9} of a program's helper while this JVM lives, the
 *     program {@code escape_storm}, with and without a cgroup: the time to the last descendant gone (p95) and
 *     the survivors; and the survivors when the broker was killed first (no cgroup: the documented limit);</li>
 * <li>daemon scale (100 daemons): the rows of the supervisor's {@code DaemonScaleBenchmark} (its test
 *     classes directory given by {@code --daemon-bench}), run in a child JVM;</li>
 * <li>isolation: the delay of a quiet daemon's lines ({@code print_clock}, one line per 10 ms carrying its
 *     CLOCK_MONOTONIC time, compared with {@code System.nanoTime()} in its {@code followLines} listener) alone,
 *     then while another daemon floods ({@code print_a_lot}) with logging off, then while the flood's delivery
 *     is slow (a follower spending 10 us per line, like a log appender taking 100k lines/s): p50, p99, max.</li>
 * </ul>
 */
public final class Bench {

    private static final long MB200 = 200_000_000L;
    private static final String PATTERN = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx\n";

    private final Path testprogs;
    private final Path daemonBenchClasses;
    private final boolean quick;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private String daemonRaw;

    private record Row(String section, String figure, String corral, String baseline, String ratio, String target,
            String muontrap) {
    }

    /** The sections, in the order they run ({@code --only} picks some). */
    static final List<String> SECTIONS = List.of("latency", "throughput", "lost", "owner", "helper", "daemons",
            "isolation");

    private final List<String> only;

    private Bench(Path testprogs, Path daemonBenchClasses, boolean quick, List<String> only) {
        this.testprogs = testprogs;
        this.daemonBenchClasses = daemonBenchClasses;
        this.quick = quick;
        this.only = only;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick":
                    quick = true;
                    break;
                case "--testprogs":
                case "--results":
                case "--daemon-bench":
                case "--only":
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("option '" + args[i] + "' needs a value");
                    }
                    opts.put(args[i], args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + args[i]
                            + "' (expected --testprogs DIR, --results DIR, --daemon-bench CLASSES_DIR, --quick,"
                            + " --only " + String.join(",", SECTIONS) + ")");
            }
        }
        if (!opts.containsKey("--testprogs")) {
            throw new IllegalArgumentException("--testprogs DIR is required (make -C native testprogs OUT=...)");
        }
        Path progs = Path.of(opts.get("--testprogs")).toAbsolutePath();
        for (String p : List.of("print_a_lot", "fork_tree", "double_fork_setsid", "spawn_grandchildren", "print_clock",
                "escape_storm")) {
            if (!Files.isExecutable(progs.resolve(p))) {
                throw new IllegalArgumentException("test program " + progs.resolve(p) + " is missing or not executable");
            }
        }
        Path daemonBench = opts.containsKey("--daemon-bench") ? Path.of(opts.get("--daemon-bench")) : null;
        List<String> only = opts.containsKey("--only") ? List.of(opts.get("--only").split(",")) : SECTIONS;
        for (String o : only) {
            if (!SECTIONS.contains(o)) {
                throw new IllegalArgumentException("--only: unknown section '" + o + "' (sections: "
                        + String.join(",", SECTIONS) + ")");
            }
        }
        Bench bench = new Bench(progs, daemonBench, quick, only);
        String table = bench.runAll();
        System.out.println(table);
        if (opts.containsKey("--results")) {
            Path dir = Path.of(opts.get("--results"));
            Files.createDirectories(dir);
            Path file = dir.resolve("bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))
                    + (quick ? "-quick" : "") + ".txt");
            Files.writeString(file, table);
            System.out.println("saved to " + file);
        }
        System.exit(0);
    }

    private String runAll() throws Exception {
        String started = LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME);
        String loadBefore = loadAverage();
        long t0 = System.nanoTime();
        String containment;
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            containment = corral.containment().mode() + ", helper " + corral.containment().helperPath().orElse("-")
                    + " (" + corral.containment().architecture() + ")";
            if (only.contains("latency")) {
                latency(corral);
                isolatedLatency(corral);
            }
            if (only.contains("throughput")) {
                throughput(corral);
            }
            if (only.contains("lost")) {
                bytesLost(corral);
            }
        }
        if (only.contains("owner")) {
            ownerDeath();
        }
        if (only.contains("helper")) {
            HelperLossBench h = new HelperLossBench(testprogs, quick);
            h.run();
            for (HelperLossBench.Result r : h.results) {
                rows.add(new Row("helper death", r.figure(), r.measured(), "-", "-", r.target(), "-"));
            }
            notes.addAll(h.notes);
        }
        if (only.contains("daemons")) {
            daemonScale();
        }
        if (only.contains("isolation")) {
            isolation();
        }
        double minutes = (System.nanoTime() - t0) / 60e9;

        StringBuilder out = new StringBuilder();
        out.append("Corral benchmarks").append(quick ? " (QUICK: fewer iterations, not for the record)" : "")
                .append(only.equals(SECTIONS) ? "" : " (only " + String.join(", ", only) + ")")
                .append('\n');
        out.append(String.format("started %s, took %.1f min; %s; %d CPUs; load average before %s, after %s%n",
                started, minutes, System.getProperty("os.name") + " " + System.getProperty("os.version")
                        + " " + System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(), loadBefore, loadAverage()));
        out.append(String.format("Java %s (%s); Corral %s%n%n", System.getProperty("java.version"),
                System.getProperty("java.vm.name"), containment));
        out.append(table());
        if (!notes.isEmpty()) {
            out.append('\n');
            for (String n : notes) {
                out.append("* ").append(n).append('\n');
            }
        }
        if (daemonRaw != null) {
            out.append("\nDaemonScaleBenchmark's own output:\n").append(daemonRaw).append('\n');
        }
        return out.toString();
    }

    // ---- run("true") latency ------------------------------------------------------------------------

    private void latency(Corral corral) throws Exception {
        int runs = quick ? 50 : 300;
        int warmup = quick ? 10 : 30;
        for (int i = 0; i < warmup; i++) {
            check(corral.run("true"), "run(true) warm-up");
            pbRun("true");
        }
        long[] corralNs = new long[runs];
        long[] pbNs = new long[runs];
        for (int i = 0; i < runs; i++) {
            // interleaved, alternating which goes first, so both see the same noise
            if (i % 2 == 0) {
                corralNs[i] = timeCorral(corral);
                pbNs[i] = timePb();
            } else {
                pbNs[i] = timePb();
                corralNs[i] = timeCorral(corral);
            }
        }
        double c = median(corralNs) / 1e6;
        double p = median(pbNs) / 1e6;
        rows.add(new Row("one-shot", "run(\"true\") median latency (" + runs + " runs each)",
                String.format("%.2f ms (p90 %.2f)", c, percentile(corralNs, 90) / 1e6),
                String.format("%.2f ms (p90 %.2f)", p, percentile(pbNs, 90) / 1e6),
                String.format("%.2f", c / p), "<= 0.9, p90 <= PB's", "~1.4 vs System.cmd"));
    }

    /**
     * run("true") with pauses between the runs, as daemons and occasional commands start on a gateway: in its
     * default cgroup against defaultCgroup(false) (no cgroup). A cgroup migration right after another is cheap; an
     * isolated one waits for an RCU grace period, which the helper avoids with clone3(CLONE_INTO_CGROUP).
     */
    private void isolatedLatency(Corral corral) throws Exception {
        if (corral.containment().defaultCgroupBase().isEmpty()) {
            rows.add(new Row("one-shot", "run(\"true\") 50 ms apart, default cgroup vs none", "not measured: no default"
                    + " cgroup here", "-", "-", "-", "-"));
            return;
        }
        int runs = quick ? 20 : 100;
        CommandSpec inCgroup = CommandSpec.of("true");
        CommandSpec noCgroup = CommandSpec.builder("true").defaultCgroup(false).build();
        long[] cg = new long[runs];
        long[] none = new long[runs];
        for (int i = 0; i < runs; i++) {
            Thread.sleep(50);
            long t = System.nanoTime();
            check(corral.run(inCgroup), "run(true) in its default cgroup");
            cg[i] = System.nanoTime() - t;
            Thread.sleep(50);
            t = System.nanoTime();
            check(corral.run(noCgroup), "run(true) in no cgroup");
            none[i] = System.nanoTime() - t;
        }
        double c = median(cg) / 1e6;
        double n = median(none) / 1e6;
        rows.add(new Row("one-shot", "run(\"true\") 50 ms apart, in its default cgroup vs defaultCgroup(false) (" + runs
                + " runs each)", String.format("%.2f ms (p90 %.2f)", c, percentile(cg, 90) / 1e6),
                String.format("%.2f ms (p90 %.2f) no cgroup", n, percentile(none, 90) / 1e6),
                String.format("%.2f", c / n), "-", "-"));
    }

    private static long timeCorral(Corral corral) throws InterruptedException {
        long t = System.nanoTime();
        ProcessResult r = corral.run("true");
        long d = System.nanoTime() - t;
        check(r, "run(true)");
        return d;
    }

    private static long timePb() throws IOException, InterruptedException {
        long t = System.nanoTime();
        pbRun("true");
        return System.nanoTime() - t;
    }

    /** What a careful ProcessBuilder user writes for a one-shot command: read both streams, wait. */
    private static void pbRun(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        p.getErrorStream().readAllBytes();
        int rc = p.waitFor();
        if (rc != 0) {
            throw new IllegalStateException("ProcessBuilder " + List.of(argv) + " exited " + rc);
        }
    }

    // ---- 200 MB throughput --------------------------------------------------------------------------

    private void throughput(Corral corral) throws Exception {
        int runs = quick ? 2 : 5;
        String[] argv = {"head", "-c", Long.toString(MB200), "/dev/zero"};
        int bulk = 1024 * 1024;
        // one warm-up each
        corralCount(corral, argv, CommandSpec.DEFAULT_WINDOW);
        corralCount(corral, argv, bulk);
        pbCount(argv);
        double[] corralMBs = new double[runs];
        double[] bulkMBs = new double[runs];
        double[] pbMBs = new double[runs];
        for (int i = 0; i < runs; i++) {
            if (i % 2 == 0) {
                corralMBs[i] = corralCount(corral, argv, CommandSpec.DEFAULT_WINDOW);
                bulkMBs[i] = corralCount(corral, argv, bulk);
                pbMBs[i] = pbCount(argv);
            } else {
                pbMBs[i] = pbCount(argv);
                bulkMBs[i] = corralCount(corral, argv, bulk);
                corralMBs[i] = corralCount(corral, argv, CommandSpec.DEFAULT_WINDOW);
            }
        }
        double c = median(corralMBs);
        double b = median(bulkMBs);
        double p = median(pbMBs);
        rows.add(new Row("one-shot", "200 MB stdout throughput, default window 256 KiB (median of " + runs + ")",
                String.format("%.0f MB/s", c), String.format("%.0f MB/s", p), String.format("%.2f", c / p),
                ">= 1.0", "~0.3-0.4"));
        rows.add(new Row("one-shot", "200 MB stdout throughput, window(1 MiB) for bulk output (median of " + runs + ")",
                String.format("%.0f MB/s", b), String.format("%.0f MB/s", p), String.format("%.2f", b / p),
                ">= 1.0", "~0.3-0.4"));
        notes.add(String.format("throughput: Corral delivered the 200 MB in %d consumer calls (%.0f kB each on "
                + "average, last 1 MiB-window run); ProcessBuilder was read with a 64 kB buffer.", lastChunks,
                MB200 / 1e3 / lastChunks));
    }

    private long lastChunks;

    /** Corral with a counting consumer (nothing collected); returns MB/s, checks the count. */
    private double corralCount(Corral corral, String[] argv, int window) throws InterruptedException {
        AtomicLong count = new AtomicLong();
        AtomicLong chunks = new AtomicLong();
        CommandSpec spec = CommandSpec.builder(argv).collectOutput(false).window(window)
                .consumer((stream, data) -> {
                    count.addAndGet(data.remaining());
                    chunks.incrementAndGet();
                }).build();
        long t = System.nanoTime();
        ProcessResult r = corral.run(spec);
        long d = System.nanoTime() - t;
        check(r, "200 MB through Corral");
        if (count.get() != MB200) {
            throw new IllegalStateException("Corral delivered " + count.get() + " of " + MB200 + " bytes");
        }
        lastChunks = chunks.get();
        return MB200 / 1e6 / (d / 1e9);
    }

    /** ProcessBuilder read with a 64 kB buffer, counting; returns MB/s, checks the count. */
    private static double pbCount(String[] argv) throws IOException, InterruptedException {
        long t = System.nanoTime();
        Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        long count = 0;
        byte[] buf = new byte[65536];
        try (InputStream in = p.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                count += n;
            }
        }
        int rc = p.waitFor();
        long d = System.nanoTime() - t;
        if (rc != 0 || count != MB200) {
            throw new IllegalStateException("ProcessBuilder read " + count + " bytes, exit " + rc);
        }
        return MB200 / 1e6 / (d / 1e9);
    }

    // ---- bytes lost at exit -------------------------------------------------------------------------

    private void bytesLost(Corral corral) throws Exception {
        int runs = quick ? 20 : 100;
        long size = 1_000_003; // not a multiple of any buffer size
        long lostTotal = 0;
        int runsWithLoss = 0;
        int corrupted = 0;
        for (int i = 0; i < runs; i++) {
            long[] pos = {0};
            boolean[] bad = {false};
            CommandSpec spec = CommandSpec.builder(testprogs.resolve("print_a_lot").toString(), Long.toString(size))
                    .collectOutput(false)
                    .consumer((stream, data) -> {
                        while (data.hasRemaining()) {
                            byte b = data.get();
                            if (b != PATTERN.charAt((int) (pos[0] % PATTERN.length()))) {
                                bad[0] = true;
                            }
                            pos[0]++;
                        }
                    }).build();
            ProcessResult r = corral.run(spec);
            check(r, "print_a_lot");
            long got = pos[0];
            if (got != size || r.stdoutBytes() != size) {
                runsWithLoss++;
                lostTotal += Math.max(0, size - got);
            }
            if (bad[0] || got > size) {
                corrupted++;
            }
        }
        rows.add(new Row("one-shot", "bytes lost at exit (" + runs + " runs of print_a_lot " + size + ")",
                lostTotal + " bytes (" + runsWithLoss + " runs short" + (corrupted > 0 ? ", " + corrupted
                        + " runs with pattern errors" : "") + ")",
                "-", "-", "0", "lost in 11/12"));
    }

    // ---- owner death --------------------------------------------------------------------------------

    private void ownerDeath() throws Exception {
        int trials = quick ? 10 : 100;
        int treeSize = 10;
        Path work = Files.createTempDirectory("corral-bench-");
        int survivorsTotal = 0;
        int trialsWithSurvivors = 0;
        int descendants = 0;
        List<Long> goneNs = new ArrayList<>();
        List<Long> afterOwnerNs = new ArrayList<>();
        try {
            for (int i = 0; i < trials; i++) {
                Trial t = ownerTrial(work.resolve("t" + i), treeSize);
                descendants = Math.max(descendants, t.watched);
                if (t.survivors > 0) {
                    survivorsTotal += t.survivors;
                    trialsWithSurvivors++;
                } else {
                    goneNs.add(t.lastGoneNs);
                    afterOwnerNs.add(t.afterOwnerNs);
                }
            }
        } finally {
            deleteTree(work);
        }
        rows.add(new Row("owner death", "survivors after kill -9 of the owner JVM (" + trials + " trials, "
                + descendants + " processes each: broker, helper, tree with setsid, grandchildren)",
                survivorsTotal + " (in " + trialsWithSurvivors + " trials)", "-", "-", "0", "20/20 survive"));
        long[] ns = goneNs.stream().mapToLong(Long::longValue).toArray();
        long[] after = afterOwnerNs.stream().mapToLong(Long::longValue).toArray();
        rows.add(new Row("owner death", "SIGKILL to the owner -> last descendant gone (" + ns.length + " trials)",
                spread(ns), "-", "-", "p95 <= 20 ms", "~2-5 ms (direct child only)"));
        rows.add(new Row("owner death", "owner JVM exited -> last descendant gone (" + after.length + " trials)",
                spread(after), "-", "-", "", ""));
        notes.add("owner death: 'gone' = /proc/<pid> absent, a zombie, or the pid reused (start time changed); "
                + "polled every 0.2 ms after SIGKILL to the owner JVM; 'owner JVM exited' = the moment it became a "
                + "zombie (its exit, which closes the sockets the helpers watch, is done); survivors = still alive "
                + "10 s later (then killed by the benchmark).");
    }

    /**
     * @param lastGoneNs from SIGKILL to the owner JVM until the last descendant was gone
     * @param afterOwnerNs from the owner JVM's exit (zombie) until the last descendant was gone
     */
    private static String spread(long[] ns) {
        return ns.length == 0 ? "-" : String.format("p95 %.1f ms (median %.1f, max %.1f)", percentile(ns, 95) / 1e6,
                median(ns) / 1e6, Arrays.stream(ns).max().getAsLong() / 1e6);
    }

    private record Trial(int watched, int survivors, long lastGoneNs, long afterOwnerNs) {
    }

    private Trial ownerTrial(Path dir, int treeSize) throws Exception {
        Files.createDirectories(dir);
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), OwnerChild.class.getName(),
                testprogs.toString(), dir.toString(), Integer.toString(treeSize))
                .redirectError(dir.resolve("child.err").toFile())
                .start();
        child.getOutputStream().close();
        List<Long> pids = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.US_ASCII))) {
            String line;
            while ((line = r.readLine()) != null && !line.equals("ready")) {
                if (line.startsWith("pids ")) {
                    for (String p : line.substring(5).trim().split(" ")) {
                        pids.add(Long.parseLong(p));
                    }
                } else if (line.startsWith("error")) {
                    break;
                }
            }
            if (line == null || !line.equals("ready") || pids.isEmpty()) {
                child.destroyForcibly();
                throw new IllegalStateException("owner child JVM failed: " + line + "; stderr: "
                        + Files.readString(dir.resolve("child.err")));
            }
            // the start time of each watched process, to notice pid reuse
            Map<Long, String> startTimes = new HashMap<>();
            for (long p : pids) {
                String st = startTime(p);
                if (st != null) {
                    startTimes.put(p, st);
                }
            }
            long t0 = System.nanoTime();
            child.destroyForcibly(); // SIGKILL
            long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
            // First the owner JVM itself (its exit is done when it is a zombie: the kernel has closed its
            // sockets, so the helpers can see it is gone), then each descendant in turn, one /proc read per
            // poll so that the watcher takes little CPU from the teardown it measures.
            String ownerStart = startTime(child.pid());
            while (ownerStart != null && isAlive(child.pid(), ownerStart) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(200_000);
            }
            long ownerDead = System.nanoTime();
            List<Long> watched = new ArrayList<>(startTimes.keySet());
            int next = 0;
            while (next < watched.size() && System.nanoTime() < deadline) {
                long p = watched.get(next);
                if (!isAlive(p, startTimes.get(p))) {
                    next++;
                } else {
                    LockSupport.parkNanos(200_000);
                }
            }
            long last = System.nanoTime();
            List<Long> alive = new ArrayList<>();
            for (long p : watched) {
                if (isAlive(p, startTimes.get(p))) {
                    alive.add(p);
                }
            }
            child.waitFor(10, TimeUnit.SECONDS);
            for (long p : alive) {
                ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly);
            }
            return new Trial(startTimes.size(), alive.size(), last - t0, last - ownerDead);
        } finally {
            child.destroyForcibly();
            deleteTree(dir);
        }
    }

    /** Field 22 of /proc/pid/stat (start time in clock ticks), or null when the process is gone. */
    private static String startTime(long pid) {
        String[] f = stat(pid);
        return f == null ? null : f[19];
    }

    private static boolean isAlive(long pid, String startTime) {
        String[] f = stat(pid);
        if (f == null) {
            return false;
        }
        String state = f[0];
        return !(state.equals("Z") || state.equals("X") || !f[19].equals(startTime));
    }

    /** The fields of /proc/pid/stat after the command name (state first), or null when it is gone. */
    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            return s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("No such process")) {
                return null;
            }
            throw new UncheckedIOException(e);
        }
    }

    // ---- daemons ------------------------------------------------------------------------------------

    private static final String DAEMON_BENCH = "org.corral.supervisor.internal.daemon.DaemonScaleBenchmark";

    /**
     * The daemon engineer's {@code DaemonScaleBenchmark} (supervisor test sources), run in a child JVM of its own
     * so that its thread and CPU counts see only Corral; its rows are folded into this table.
     */
    private void daemonScale() throws Exception {
        String section = "100 daemons";
        if (daemonBenchClasses == null
                || !Files.isRegularFile(daemonBenchClasses.resolve(DAEMON_BENCH.replace('.', '/') + ".class"))) {
            for (String[] r : List.of(new String[] {"start all / stop all", "<= 150 ms / <= 50 ms", "130-181 / 23-31 ms"},
                    new String[] {"JVM threads added", "<= 4 (constant)", "-"},
                    new String[] {"helper PSS each", "<= 100 kB", "~99 kB"},
                    new String[] {"idle supervisor CPU", "~0 (no polling loops)", "-"},
                    new String[] {"crash -> restarted program running", "<= 20 ms + delay", "-"})) {
                rows.add(new Row(section, r[0], "not measured", "-", "-", r[1], r[2]));
            }
            notes.add("100 daemons: " + DAEMON_BENCH + " was not found in " + daemonBenchClasses
                    + " (build bundles/supervisor's test classes).");
            return;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        Path out = Files.createTempFile("corral-daemon-bench-", ".txt");
        try {
            Process p = new ProcessBuilder(java, "-Xmx512m", "-cp",
                    daemonBenchClasses + File.pathSeparator + System.getProperty("java.class.path"),
                    DAEMON_BENCH, "100", quick ? "2" : "5")
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the daemon scale benchmark did not finish within 10 min");
            }
            List<String> lines = Files.readAllLines(out);
            int header = -1;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("figure ")) {
                    header = i;
                }
            }
            if (p.exitValue() != 0 || header < 0) {
                rows.add(new Row(section, "daemon scale benchmark", "FAILED (exit " + p.exitValue() + ")", "-", "-",
                        "-", "-"));
                notes.add("100 daemons: " + DAEMON_BENCH + " failed; its output:\n    "
                        + String.join("\n    ", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
                return;
            }
            if (header > 0) {
                notes.add("100 daemons: " + lines.get(header - 1).trim() + " (" + DAEMON_BENCH
                        + ", in a JVM of its own)");
            }
            daemonRaw = String.join("\n", lines.subList(Math.max(0, header - 1), lines.size()));
            for (String line : lines.subList(header + 1, lines.size())) {
                if (!line.isBlank()) {
                    rows.add(daemonRow(section, line));
                }
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * One row of DaemonScaleBenchmark's table, printed as {@code %-52s %14s %10s %18s} (figure, measured,
     * target, MuonTrap). A value wider than its column pushes the rest right: a wide target follows a measured
     * value that fits; a wide measured value (the per-round lists) comes with an empty target.
     */
    static Row daemonRow(String section, String line) {
        if (line.length() > 52 && line.charAt(52) != ' ') {
            // the figure itself is wider than its column: fall back to fields separated by 2+ spaces
            String[] t = line.trim().split("\\s{2,}");
            return new Row(section, t[0], t.length > 1 ? t[1] : "", "-", "-", t.length > 2 ? t[2] : "",
                    t.length > 3 ? t[3] : "");
        }
        String figure = line.substring(0, Math.min(52, line.length())).trim();
        String rest = line.length() > 53 ? line.substring(53) : "";
        if (rest.length() < 14 + 1 + 10 + 1 + 18) {
            return new Row(section, figure, rest.trim(), "-", "-", "", "");
        }
        String muontrap = rest.substring(rest.length() - 18).trim();
        String before = rest.substring(0, rest.length() - 19);
        String measured;
        String target;
        if (before.substring(before.length() - 10).isBlank()) {
            measured = before.trim();
            target = "";
        } else {
            measured = before.substring(0, 14).trim();
            target = before.substring(15).trim();
        }
        return new Row(section, figure, measured, "-", "-", target, muontrap);
    }

    // ---- isolation: a quiet daemon's line delay while another floods -----------------------------------

    private void isolation() throws Exception {
        int seconds = quick ? 4 : 15;
        long[] alone;
        long[] flood;
        long[] slow;
        long floodLines;
        long slowLines;
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            Quiet quiet = new Quiet(corral);
            try {
                alone = quiet.measure(seconds);
                long[] lines = new long[1];
                flood = withFlood(corral, quiet, seconds, 0, lines);
                floodLines = lines[0];
                slow = withFlood(corral, quiet, seconds, 10_000, lines);
                slowLines = lines[0];
            } finally {
                quiet.close();
            }
        }
        String target = "bounded: ~1 turn of 64 KiB";
        rows.add(new Row("isolation", "quiet daemon's line delay, alone (" + alone.length + " lines)",
                delays(alone), "-", "-", "", "-"));
        rows.add(new Row("isolation", "... while another floods, logging off (" + flood.length + " lines)",
                delays(flood), "alone: " + String.format("%.1f ms", percentile(alone, 99) / 1e6) + " p99",
                ratio(flood, alone), target, "-"));
        rows.add(new Row("isolation", "... while another floods through a slow consumer (" + slow.length + " lines)",
                delays(slow), "alone: " + String.format("%.1f ms", percentile(alone, 99) / 1e6) + " p99",
                ratio(slow, alone), target, "-"));
        notes.add(String.format("isolation: %d s each; the flood delivered %,d lines/s with logging off and %,d lines/s"
                + " through the slow consumer (10 us a line); 'ratio' = p99 with the flood / p99 alone; delivery threads:"
                + " %s", seconds, floodLines / seconds, slowLines / seconds,
                System.getProperty("org.corral.deliver.threads", "2 (default)")));
    }

    private static String delays(long[] ns) {
        if (ns.length == 0) {
            return "no line arrived";
        }
        return String.format("p99 %.1f ms (p50 %.2f, max %.1f)", percentile(ns, 99) / 1e6, median(ns) / 1e6,
                Arrays.stream(ns).max().getAsLong() / 1e6);
    }

    private static String ratio(long[] with, long[] alone) {
        if (with.length == 0 || alone.length == 0) {
            return "-";
        }
        return String.format("%.1f", percentile(with, 99) / Math.max(1.0, percentile(alone, 99)));
    }

    /** The quiet daemon's delays while a flooding daemon runs (its follower spending {@code spinNs} a line). */
    private long[] withFlood(Corral corral, Quiet quiet, int seconds, long spinNs, long[] floodLines) throws Exception {
        org.corral.api.Daemon flood = corral.start(org.corral.api.DaemonSpec.builder("bench-flood-" + spinNs,
                CommandSpec.of(testprogs.resolve("print_a_lot").toString(), Long.toString(1L << 50)))
                .restart(org.corral.api.RestartPolicy.TEMPORARY).stdoutLevel(org.corral.api.LogLevel.OFF).build());
        AtomicLong lines = new AtomicLong();
        org.corral.api.Daemon.Subscription sub = flood.followLines(0, l -> {
            lines.incrementAndGet();
            if (spinNs > 0) {
                long until = System.nanoTime() + spinNs;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
        });
        try {
            flood.await(java.util.Set.of(org.corral.api.DaemonState.READY), java.time.Duration.ofSeconds(20));
            Thread.sleep(500); // in full swing
            lines.set(0);
            long[] d = quiet.measure(seconds);
            floodLines[0] = lines.get();
            return d;
        } finally {
            sub.close();
            flood.stop();
        }
    }

    /** A daemon printing its clock every 10 ms; collects each line's delay. */
    private final class Quiet implements AutoCloseable {
        private final org.corral.api.Daemon daemon;
        private final org.corral.api.Daemon.Subscription sub;
        private final List<Long> delays = new ArrayList<>();
        private volatile boolean recording;

        Quiet(Corral corral) throws Exception {
            daemon = corral.start(org.corral.api.DaemonSpec.builder("bench-quiet",
                    CommandSpec.of(testprogs.resolve("print_clock").toString(), "10"))
                    .restart(org.corral.api.RestartPolicy.TEMPORARY).stdoutLevel(org.corral.api.LogLevel.OFF).build());
            sub = daemon.followLines(0, line -> {
                long now = System.nanoTime();
                int sp = line.indexOf(' ');
                if (recording && sp > 0) {
                    synchronized (delays) {
                        delays.add(now - Long.parseLong(line.substring(sp + 1).trim()));
                    }
                }
            });
            daemon.await(java.util.Set.of(org.corral.api.DaemonState.READY), java.time.Duration.ofSeconds(20));
            Thread.sleep(300);
        }

        long[] measure(int seconds) throws InterruptedException {
            synchronized (delays) {
                delays.clear();
            }
            recording = true;
            Thread.sleep(seconds * 1000L);
            recording = false;
            synchronized (delays) {
                return delays.stream().mapToLong(Long::longValue).toArray();
            }
        }

        @Override
        public void close() {
            sub.close();
            daemon.stop();
        }
    }

    // ---- table and statistics -----------------------------------------------------------------------

    private String table() {
        String[] head = {"figure", "Corral", "ProcessBuilder", "ratio", "target", "MuonTrap (same machine)"};
        int[] w = new int[head.length];
        for (int i = 0; i < head.length; i++) {
            w[i] = head[i].length();
        }
        for (Row r : rows) {
            String[] c = cells(r);
            for (int i = 0; i < c.length; i++) {
                w[i] = Math.max(w[i], c[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        line(sb, head, w);
        String[] sep = new String[head.length];
        for (int i = 0; i < sep.length; i++) {
            sep[i] = "-".repeat(w[i]);
        }
        line(sb, sep, w);
        String section = null;
        for (Row r : rows) {
            if (!r.section().equals(section)) {
                section = r.section();
                String[] s = new String[head.length];
                Arrays.fill(s, "");
                s[0] = "[" + section + "]";
                line(sb, s, w);
            }
            line(sb, cells(r), w);
        }
        return sb.toString();
    }

    private static String[] cells(Row r) {
        return new String[] {r.figure(), r.corral(), r.baseline(), r.ratio(), r.target(), r.muontrap()};
    }

    private static void line(StringBuilder sb, String[] cells, int[] w) {
        sb.append('|');
        for (int i = 0; i < cells.length; i++) {
            sb.append(' ').append(cells[i]).append(" ".repeat(w[i] - cells[i].length())).append(" |");
        }
        sb.append('\n');
    }

    private static double median(long[] v) {
        return percentile(v, 50);
    }

    private static double percentile(long[] v, double p) {
        long[] s = v.clone();
        Arrays.sort(s);
        double rank = p / 100.0 * (s.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return s[lo] + (s[hi] - s[lo]) * (rank - lo);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static void check(ProcessResult r, String what) {
        if (!r.success()) {
            throw new IllegalStateException(what + " failed: " + r + " " + r.stderrText());
        }
    }

    private static String loadAverage() {
        double l = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format(Locale.ROOT, "%.2f", l);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
