package org.corral.bench;

import java.util.Arrays;
import java.util.Locale;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;

/**
 * A profiling aid, not a benchmark of record: {@code run("true")} through Corral (in its default cgroup, or with
 * {@code nocgroup} opted out) or ProcessBuilder, RUNS times after a warm-up, printing the median and p90 in ms.
 * Meant for {@code perf}, JFR or a quick before/after (see docs/benchmarks.md).
 *
 * <pre>
 * java -cp ... org.corral.bench.LatencyProbe [pb,nocgroup,corral] [RUNS]      interleaved
 * java -cp ... org.corral.bench.LatencyProbe stop|stop-nocgroup [ROUNDS]       100 sleeps: start, stop all
 * </pre>
 */
public final class LatencyProbe {

    private LatencyProbe() {
    }

    /** 100 {@code sleep}s started, then stopped together: ms until all completed, per round. */
    private static void stopAll(String mode, int rounds) throws Exception {
        boolean cgroup = !mode.endsWith("nocgroup");
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            org.corral.supervisor.internal.engine.Engine engine = corral.engine();
            long[] start = new long[rounds];
            long[] stop = new long[rounds];
            long[] startCpu = new long[rounds];
            long[] stopCpu = new long[rounds];
            for (int r = -2; r < rounds; r++) {
                long c0 = cpuMs();
                long t0 = System.nanoTime();
                java.util.List<org.corral.supervisor.internal.engine.RunningProgram> ps = new java.util.ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    ps.add(engine.launch(CommandSpec.builder("sleep", "1000").collectOutput(false)
                            .defaultCgroup(cgroup).build(), null));
                }
                for (var p : ps) {
                    p.started().get();
                }
                long t1 = System.nanoTime();
                long c1 = cpuMs();
                java.util.List<java.util.concurrent.CompletableFuture<ProcessResult>> done = new java.util.ArrayList<>();
                for (var p : ps) {
                    done.add(p.stop());
                }
                for (var d : done) {
                    d.get();
                }
                long t2 = System.nanoTime();
                Thread.sleep(300); // the helpers exit and the broker reaps them: their CPU counts then
                long c2 = cpuMs();
                if (r >= 0) {
                    start[r] = (t1 - t0) / 1_000_000;
                    stop[r] = (t2 - t1) / 1_000_000;
                    startCpu[r] = c1 - c0;
                    stopCpu[r] = c2 - c1;
                }
            }
            System.out.printf(Locale.ROOT, "%s: 100 sleeps start %s ms (CPU %s), stop %s ms (CPU %s, with the helpers' exit)%n",
                    mode, Arrays.toString(start), Arrays.toString(startCpu), Arrays.toString(stop), Arrays.toString(stopCpu));
        }
        System.exit(0);
    }

    public static void main(String[] args) throws Exception {
        String modes = args.length > 0 ? args[0] : "pb,nocgroup,corral";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        if (modes.startsWith("stop")) {
            stopAll(modes, runs);
            return;
        }
        String[] m = modes.split(",");
        long[][] ns = new long[m.length][runs];
        long cpu0 = m.length == 1 ? cpuMs() : 0;
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            CommandSpec inCgroup = CommandSpec.builder("true").build();
            CommandSpec noCgroup = CommandSpec.builder("true").defaultCgroup(false).build();
            // interleaved, rotating which goes first, so that every mode sees the same noise
            for (int i = -runs / 10; i < runs; i++) {
                for (int k = 0; k < m.length; k++) {
                    int j = (k + Math.floorMod(i, m.length)) % m.length;
                    long t = System.nanoTime();
                    switch (m[j]) {
                        case "pb": {
                            Process p = new ProcessBuilder("true").start();
                            p.getOutputStream().close();
                            p.getInputStream().readAllBytes();
                            p.getErrorStream().readAllBytes();
                            p.waitFor();
                            break;
                        }
                        case "nocgroup":
                            check(corral.run(noCgroup));
                            break;
                        case "corral":
                            check(corral.run(inCgroup));
                            break;
                        default:
                            throw new IllegalArgumentException("mode " + m[j] + ": pb, nocgroup or corral");
                    }
                    if (i >= 0) {
                        ns[j][i] = System.nanoTime() - t;
                    }
                }
            }
        }
        double pb = -1;
        for (int j = 0; j < m.length; j++) {
            long[] s = ns[j].clone();
            Arrays.sort(s);
            if (m[j].equals("pb")) {
                pb = s[runs / 2];
            }
        }
        for (int j = 0; j < m.length; j++) {
            long[] s = ns[j].clone();
            Arrays.sort(s);
            System.out.printf(Locale.ROOT, "%-9s median %.2f ms, p90 %.2f ms%s%n", m[j], s[runs / 2] / 1e6,
                    s[runs * 9 / 10] / 1e6, pb > 0 ? String.format(Locale.ROOT, " (median / pb %.2f)", s[runs / 2] / pb) : "");
        }
        if (m.length == 1) {
            System.out.printf(Locale.ROOT, "CPU per run (JVM, broker, helpers, programs): %.3f ms%n",
                    (cpuMs() - cpu0) / (double) (runs + runs / 10));
        }
        System.out.printf(Locale.ROOT, "%d runs each, interleaved; load %s%n", runs,
                java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim());
        System.exit(0);
    }

    /** CPU time so far of this JVM, its reaped children and the broker with the helpers it reaped, ms. */
    private static long cpuMs() throws java.io.IOException {
        long ticks = 0;
        String[] self = stat("self");
        ticks += Long.parseLong(self[11]) + Long.parseLong(self[12]) + Long.parseLong(self[13]) + Long.parseLong(self[14]);
        for (ProcessHandle h : ProcessHandle.current().children().toList()) {
            String[] f = stat(Long.toString(h.pid()));
            if (f != null) {
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            }
        }
        return ticks * 10;
    }

    private static String[] stat(String pid) {
        try {
            String s = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
            return s.substring(s.lastIndexOf(')') + 2).split(" ");
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private static void check(ProcessResult r) {
        if (!r.success()) {
            throw new IllegalStateException(r.toString());
        }
    }
}
