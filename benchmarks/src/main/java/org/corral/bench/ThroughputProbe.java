package org.corral.bench;

import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;

/**
 * A profiling aid, not a benchmark of record: runs {@code head -c BYTES /dev/zero} through Corral (with a counting
 * consumer and the given window) or through ProcessBuilder, RUNS times, and prints each run's MB/s and the median.
 * Meant to be run under {@code perf stat}, {@code perf record} or JFR (see docs/benchmarks.md).
 *
 * <pre>
 * java -cp ... org.corral.bench.ThroughputProbe corral|pb [WINDOW_BYTES] [RUNS] [BYTES]
 * </pre>
 */
public final class ThroughputProbe {

    private ThroughputProbe() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "corral";
        int window = args.length > 1 ? Integer.parseInt(args[1]) : CommandSpec.DEFAULT_WINDOW;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        long bytes = args.length > 3 ? Long.parseLong(args[3]) : 200_000_000L;
        String[] argv = {"head", "-c", Long.toString(bytes), "/dev/zero"};
        double[] mbs = new double[runs];
        if (mode.equals("pb")) {
            java.util.Map<String, Long> before = null;
            for (int i = 0; i < runs; i++) {
                if (i == runs / 2) {
                    before = cpu();
                }
                long t = System.nanoTime();
                Process p = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
                p.getOutputStream().close();
                long n = 0;
                byte[] buf = new byte[65536];
                try (InputStream in = p.getInputStream()) {
                    int r;
                    while ((r = in.read(buf)) > 0) {
                        n += r;
                    }
                }
                p.waitFor();
                mbs[i] = check(n, bytes) / 1e6 / ((System.nanoTime() - t) / 1e9);
            }
            printCpu(before, cpu(), runs - runs / 2);
        } else {
            try (Corral corral = Corral.builder().requireHelper(true).open()) {
                java.util.Map<String, Long> before = null;
                for (int i = 0; i < runs; i++) {
                    if (i == runs / 2) {
                        before = cpu(); // the second half only: the JIT has settled
                    }
                    AtomicLong count = new AtomicLong();
                    CommandSpec spec = CommandSpec.builder(argv).collectOutput(false).window(window)
                            .consumer((stream, data) -> count.addAndGet(data.remaining())).build();
                    long t = System.nanoTime();
                    ProcessResult r = corral.run(spec);
                    if (!r.success()) {
                        throw new IllegalStateException(r.toString());
                    }
                    mbs[i] = check(count.get(), bytes) / 1e6 / ((System.nanoTime() - t) / 1e9);
                }
                printCpu(before, cpu(), runs - runs / 2);
            }
        }
        double[] s = mbs.clone();
        Arrays.sort(s);
        StringBuilder sb = new StringBuilder();
        for (double v : mbs) {
            sb.append(String.format(Locale.ROOT, " %.0f", v));
        }
        System.out.printf(Locale.ROOT, "%s window %d: median %.0f MB/s (runs:%s)%n", mode, window, s[runs / 2], sb);
        System.exit(0);
    }

    private static void printCpu(java.util.Map<String, Long> before, java.util.Map<String, Long> after, int n) {
        StringBuilder c = new StringBuilder("CPU ms per run (second half):");
        long total = 0;
        for (String k : after.keySet()) {
            long d = after.get(k) - before.getOrDefault(k, 0L);
            if (d > 0) {
                c.append(String.format(Locale.ROOT, " %s %.1f", k, d * 10.0 / n));
                if (!k.contains("Compiler")) {
                    total += d;
                }
            }
        }
        System.out.println(c.append(String.format(Locale.ROOT, "; total without compilers %.1f", total * 10.0 / n)));
    }

    /**
     * CPU ticks (10 ms) so far: this JVM's threads by name, and the broker's reaped children (helpers with the
     * programs they reaped) as "helpers+programs".
     */
    private static java.util.Map<String, Long> cpu() throws java.io.IOException {
        java.util.Map<String, Long> m = new java.util.TreeMap<>();
        try (java.util.stream.Stream<java.nio.file.Path> tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path t : tasks.toList()) {
                try {
                    String comm = java.nio.file.Files.readString(t.resolve("comm")).trim().replaceAll("[0-9 ]+$", "");
                    String[] f = stat(java.nio.file.Files.readString(t.resolve("stat")));
                    m.merge(comm, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (java.io.IOException e) {
                    // a thread that ended
                }
            }
        }
        String[] self = stat(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat")));
        m.put("reaped children", Long.parseLong(self[13]) + Long.parseLong(self[14]));
        ProcessHandle.current().children().forEach(h -> {
            try {
                String[] f = stat(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + h.pid() + "/stat")));
                m.merge("broker", Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                m.merge("helpers+programs", Long.parseLong(f[13]) + Long.parseLong(f[14]), Long::sum);
            } catch (java.io.IOException e) {
                // gone
            }
        });
        return m;
    }

    private static String[] stat(String s) {
        return s.substring(s.lastIndexOf(')') + 2).split(" ");
    }

    private static long check(long got, long want) {
        if (got != want) {
            throw new IllegalStateException("got " + got + " of " + want + " bytes");
        }
        return got;
    }
}
