package org.corral.supervisor.internal.daemon;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.RunningProgram;

/**
 * Daemon scale benchmark (not a test): 100 daemons running {@code sleep 1000} on the real helper.
 * Prints one table: time to start all (until every daemon is RUNNING with a pid), time to stop all (until
 * every program and helper process is gone), JVM threads added (at 10 and at 100 daemons), helper PSS per
 * daemon ({@code /proc/<pid>/smaps_rollup}), CPU used by the JVM and by the helpers while 100 daemons idle
 * for 10 s, and crash-to-restarted latency with a zero restart delay.
 *
 * <p>Run (after {@code mvn -o install -DskipTests} of the reactor, from {@code bundles/supervisor}):
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.cp
 * java -cp target/test-classes:target/classes:$(cat target/bench.cp) \
 *     org.corral.supervisor.internal.daemon.DaemonScaleBenchmark [daemons] [rounds]
 * </pre>
 * Defaults: 100 daemons, 5 rounds of start-all/stop-all (medians reported).
 */
public final class DaemonScaleBenchmark {

    /** In the last {@link #stopAll}: ms until every daemon reported STOPPED (before the process check). */
    private static long lastStopReportedMs;

    private DaemonScaleBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        int threadsBeforeCorral = threads();
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            // warm-up: helper copy, JIT, broker
            stopAll(startAll(corral, 10, "warm"));
            int threadsIdle = threads();

            List<Daemon> ten = startAll(corral, 10, "ten");
            int threadsAt10 = threads();
            stopAll(ten);

            long[] startMs = new long[rounds];
            long[] stopMs = new long[rounds];
            long[] stopReportedMs = new long[rounds];
            int threadsAtN = 0;
            double pssMedianKb = 0;
            double pssMeanKb = 0;
            double jvmCpuMs = 0;
            double helperCpuMs = 0;
            double programCpuMs = 0;
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                List<Daemon> all = startAll(corral, n, "bench" + r);
                startMs[r] = (System.nanoTime() - t0) / 1_000_000;
                if (r == 0) {
                    threadsAtN = threads();
                    double[] pss = pss(all);
                    pssMedianKb = median(pss);
                    pssMeanKb = Arrays.stream(pss).average().orElse(0);
                    double[] cpu = idleCpu(all, Duration.ofSeconds(10));
                    jvmCpuMs = cpu[0];
                    helperCpuMs = cpu[1];
                    programCpuMs = cpu[2];
                }
                long t1 = System.nanoTime();
                stopAll(all);
                stopMs[r] = (System.nanoTime() - t1) / 1_000_000;
                stopReportedMs[r] = lastStopReportedMs;
            }
            int threadsAfter = threads();
            double[] restart = restartLatency(corral, 20);
            double runTrue = runTrueMedian(corral.engine(), 20);
            long[][] engine = new long[2][rounds];
            long[][] pb = new long[2][rounds];
            for (int r = 0; r < rounds; r++) {
                long[] e = engineOnly(corral.engine(), n);
                engine[0][r] = e[0];
                engine[1][r] = e[1];
                long[] p = processBuilder(n);
                pb[0][r] = p[0];
                pb[1][r] = p[1];
            }

            System.out.println();
            System.out.printf(Locale.ROOT, "Corral daemon scale benchmark: %d daemons (sleep 1000), %d rounds, %d cpus%n", n,
                    rounds, Runtime.getRuntime().availableProcessors());
            System.out.println("load average (1/5/15 min): " + Files.readString(Path.of("/proc/loadavg")).trim());
            System.out.printf(Locale.ROOT, "%-52s %14s %10s %18s%n", "figure", "measured", "target", "MuonTrap");
            row("start all until RUNNING with pids, median ms", fmt(median(startMs)), "<= 150", "130-181");
            row("  (each round, ms)", Arrays.toString(startMs), "", "");
            row("stop all until every process gone, median ms", fmt(median(stopMs)), "<= 50", "23-31");
            row("  (each round, ms)", Arrays.toString(stopMs), "", "");
            row("  of which until all daemons STOPPED, median ms", fmt(median(stopReportedMs)), "", "");
            row("same " + n + " programs, engine only: start / stop ms", fmt(median(engine[0])) + " / "
                    + fmt(median(engine[1])), "", "");
            row("same " + n + " programs, ProcessBuilder: start / kill ms", fmt(median(pb[0])) + " / "
                    + fmt(median(pb[1])), "", "");
            row("ratio daemons / ProcessBuilder: start, stop", fmt(median(startMs) / Math.max(1, median(pb[0]))) + ", "
                    + fmt(median(stopMs) / Math.max(1, median(pb[1]))), "<= 1.0, <= 1.2", "");
            row("JVM threads: before Corral / Corral idle", threadsBeforeCorral + " / " + threadsIdle, "", "");
            row("JVM threads added by 10 daemons", Integer.toString(threadsAt10 - threadsIdle), "<= 4", "-");
            row("JVM threads added by " + n + " daemons", Integer.toString(threadsAtN - threadsIdle), "<= 4, const", "-");
            row("JVM threads after stopping all", Integer.toString(threadsAfter), "", "");
            row("helper PSS per daemon, median / mean kB", fmt(pssMedianKb) + " / " + fmt(pssMeanKb), "<= 100", "~99");
            row(n + " idle daemons, 10 s: JVM CPU ms (all threads)", fmt(jvmCpuMs), "~0", "-");
            row(n + " idle daemons, 10 s: helpers' CPU ms (sum)", fmt(helperCpuMs), "~0", "-");
            row(n + " idle daemons, 10 s: programs' CPU ms (sum)", fmt(programCpuMs), "", "");
            row("crash -> restarted program running, median ms", fmt(restart[0]), "<= 20 + delay", "-");
            row("  (p90 ms, delay 0, 20 crashes)", fmt(restart[1]), "", "");
            row("  floor: engine run of 'true' (spawn to exit), median ms", fmt(runTrue), "", "");
        }
    }

    private static void row(String a, String b, String c, String d) {
        System.out.printf(Locale.ROOT, "%-52s %14s %10s %18s%n", a, b, c, d);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static int threads() {
        return Thread.getAllStackTraces().size();
    }

    private static DaemonSpec spec(String name, String... argv) {
        return DaemonSpec.builder(name, CommandSpec.builder(argv).collectOutput(false).build()).build();
    }

    /** Starts {@code n} daemons and waits until each is RUNNING (or READY) with a pid. */
    private static List<Daemon> startAll(Corral corral, int n, String prefix) throws Exception {
        List<Daemon> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(corral.start(spec(prefix + "-" + i, "sleep", "1000")));
        }
        for (Daemon d : all) {
            d.await(Set.of(DaemonState.RUNNING, DaemonState.READY), Duration.ofSeconds(60));
            if (d.pid().isEmpty()) {
                throw new IllegalStateException(d.name() + " has no pid");
            }
        }
        return all;
    }

    /** Starts every stop at once, waits for each, then until every program and helper pid is gone. */
    private static void stopAll(List<Daemon> all) throws Exception {
        List<Long> pids = new ArrayList<>();
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Daemon d : all) {
            d.pid().ifPresent(pids::add);
            d.helperPid().ifPresent(pids::add);
            stops.add(((SupervisedDaemon) d).stopAsync());
        }
        long t0 = System.nanoTime();
        CompletableFuture.allOf(stops.toArray(new CompletableFuture<?>[0])).get();
        lastStopReportedMs = (System.nanoTime() - t0) / 1_000_000;
        for (long pid : pids) {
            while (alive(pid)) {
                Thread.onSpinWait();
            }
        }
        for (Daemon d : all) {
            ((SupervisedDaemon) d).close();
        }
    }

    /** The engine alone: launch {@code n} sleeps until all started, then stop all until all completed. */
    private static long[] engineOnly(Engine engine, int n) throws Exception {
        long t0 = System.nanoTime();
        List<RunningProgram> ps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ps.add(engine.launch(CommandSpec.builder("sleep", "1000").collectOutput(false).build(), null));
        }
        for (RunningProgram p : ps) {
            p.started().get();
        }
        long t1 = System.nanoTime();
        List<CompletableFuture<ProcessResult>> done = new ArrayList<>(n);
        for (RunningProgram p : ps) {
            done.add(p.stop());
        }
        for (CompletableFuture<ProcessResult> f : done) {
            f.get();
        }
        long t2 = System.nanoTime();
        return new long[] {(t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000};
    }

    /** Median ms from launch to completion of {@code true} on the engine: what one restart costs at least. */
    private static double runTrueMedian(Engine engine, int runs) throws Exception {
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            engine.launch(CommandSpec.builder("true").collectOutput(false).build(), null).completion().get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return median(ms);
    }

    /** Raw ProcessBuilder, for the machine's noise: start {@code n} sleeps, then SIGTERM all until reaped. */
    private static long[] processBuilder(int n) throws Exception {
        long t0 = System.nanoTime();
        List<Process> ps = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ps.add(new ProcessBuilder("sleep", "1000").start());
        }
        long t1 = System.nanoTime();
        for (Process p : ps) {
            p.destroy();
        }
        for (Process p : ps) {
            p.waitFor();
            p.getInputStream().close();
            p.getErrorStream().close();
            p.getOutputStream().close();
        }
        long t2 = System.nanoTime();
        return new long[] {(t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000};
    }

    private static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    private static double[] pss(List<Daemon> all) throws IOException {
        double[] out = new double[all.size()];
        for (int i = 0; i < all.size(); i++) {
            long helper = all.get(i).helperPid().orElseThrow();
            for (String line : Files.readAllLines(Path.of("/proc/" + helper + "/smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    out[i] = Double.parseDouble(line.replaceAll("[^0-9]", ""));
                }
            }
        }
        return out;
    }

    /** CPU ms over {@code d}: {JVM (all threads), helpers (sum), programs (sum)}. */
    private static double[] idleCpu(List<Daemon> all, Duration d) throws Exception {
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        long jvm0 = jvmCpuNanos(tmx);
        long helpers0 = 0;
        long programs0 = 0;
        for (Daemon x : all) {
            helpers0 += ticks(x.helperPid());
            programs0 += ticks(x.pid());
        }
        Thread.sleep(d.toMillis());
        long jvm1 = jvmCpuNanos(tmx);
        long helpers1 = 0;
        long programs1 = 0;
        for (Daemon x : all) {
            helpers1 += ticks(x.helperPid());
            programs1 += ticks(x.pid());
        }
        double tickMs = 10.0; // USER_HZ = 100 on Linux
        return new double[] {(jvm1 - jvm0) / 1e6, (helpers1 - helpers0) * tickMs, (programs1 - programs0) * tickMs};
    }

    private static long jvmCpuNanos(ThreadMXBean tmx) {
        long sum = 0;
        for (long id : tmx.getAllThreadIds()) {
            long t = tmx.getThreadCpuTime(id);
            if (t > 0 && id != Thread.currentThread().getId()) {
                sum += t;
            }
        }
        return sum;
    }

    /** utime + stime in clock ticks of a process. */
    private static long ticks(OptionalLong pid) {
        if (pid.isEmpty()) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + pid.getAsLong() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Crash to restarted: a daemon with restart delay 0 whose program exits after 50 ms; from the moment its
     * pid is gone (polled) to the moment the daemon reports a new live pid. Returns {median, p90} in ms.
     */
    private static double[] restartLatency(Corral corral, int crashes) throws Exception {
        Daemon d = corral.start(DaemonSpec.builder("crasher", CommandSpec.builder("sh", "-c", "sleep 0.05; exit 1")
                .collectOutput(false).build()).restartDelay(Duration.ZERO).maxRestartDelay(Duration.ZERO)
                .intensity(1_000, Duration.ofMinutes(1)).build());
        double[] ms = new double[crashes];
        for (int i = 0; i < crashes; i++) {
            long pid;
            while ((pid = d.pid().orElse(-1)) < 0 || !alive(pid)) {
                Thread.onSpinWait();
            }
            while (alive(pid)) {
                Thread.onSpinWait();
            }
            long gone = System.nanoTime();
            long next;
            while ((next = d.pid().orElse(-1)) < 0 || next == pid || !alive(next)) {
                Thread.onSpinWait();
            }
            ms[i] = (System.nanoTime() - gone) / 1e6;
        }
        d.stop();
        Arrays.sort(ms);
        return new double[] {median(ms), ms[(int) Math.ceil(0.9 * ms.length) - 1]};
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }
}
