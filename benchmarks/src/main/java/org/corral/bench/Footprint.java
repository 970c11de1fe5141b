package org.corral.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The distribution's footprint, measured on a Karaf that {@code benchmarks/footprint.sh} unpacked and started
 * ({@code bin/karaf server}, with the JVM settings its {@code bin/setenv} picks, possibly inside a cgroup v2 with
 * {@code memory.max}). What a user of a small device cares about:
 * <ul>
 * <li>boot time from the start of {@code bin/karaf} to the example daemon's "ready:" line in karaf.log (its time
 *     stamp; Corral's distribution) and to the SSH port accepting connections (both kinds);</li>
 * <li>idle: the JVM's RSS and PSS, its threads, its heap after a full GC, metaspace;</li>
 * <li>with N {@code sleep} daemons (one {@code etc/org.corral.daemon-fpN.cfg} each): the same, plus the helpers'
 *     and the programs' memory (PSS, page tables, kernel stacks);</li>
 * <li>a minute of idle with the daemons: GC time, the JVM's CPU time, whether every program survived;</li>
 * <li>inside a cgroup: memory.current, memory.peak, anon/file/kernel, memory.events, pressure.</li>
 * </ul>
 * The script starts Karaf before this JVM, so that the pages of libjvm.so are charged to Karaf's cgroup, as on a
 * device where nothing else runs Java.
 *
 * <pre>
 * java -cp ... org.corral.bench.Footprint --home DIR --launcher-pid PID --started-ms EPOCH_MS [--cgroup DIR]
 *      [--stock] [--preplaced] [--daemons 100] [--settle 20] [--idle 60] [--boot-only] [--boot-timeout 300] [--out FILE]
 * </pre>
 *
 * {@code --preplaced}: the daemons' .cfg files were written into etc/ before the boot (no idle phase without them).
 * {@code --stock}: a stock Karaf (no Corral, no example): only the boot to SSH and the idle figures. The result is
 * printed as {@code key = value} lines (and written to {@code --out}). At the end Karaf is stopped (SIGTERM to
 * its JVM) and anything left below it is reported and killed.
 */
public final class Footprint {

    private final Map<String, String> opts;
    private final Map<String, String> results = new LinkedHashMap<>();
    private final List<String> log = new ArrayList<>();
    private Path home;
    private Path cgroup;
    private ProcessHandle script;
    private long jvmPid = -1;

    private Footprint(Map<String, String> opts) {
        this.opts = opts;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--stock":
                case "--preplaced":
                case "--boot-only":
                case "--keep":
                    opts.put(a, "true");
                    break;
                case "--home": case "--launcher-pid": case "--started-ms": case "--cgroup": case "--daemons":
                case "--settle": case "--idle": case "--boot-timeout": case "--out":
                    if (i + 1 >= args.length) {
                        throw new IllegalArgumentException("option '" + a + "' needs a value");
                    }
                    opts.put(a, args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option '" + a + "' (see the class comment of "
                            + Footprint.class.getName() + ")");
            }
        }
        for (String o : List.of("--home", "--launcher-pid", "--started-ms")) {
            if (!opts.containsKey(o)) {
                throw new IllegalArgumentException(o + " is required (benchmarks/footprint.sh starts Karaf and passes them)");
            }
        }
        Footprint f = new Footprint(opts);
        int rc = 0;
        try {
            f.run();
        } catch (Exception e) {
            f.results.put("error", String.valueOf(e.getMessage()).replace('\n', ' '));
            e.printStackTrace();
            rc = 1;
        } finally {
            f.cleanUp();
        }
        StringBuilder sb = new StringBuilder();
        f.results.forEach((k, v) -> sb.append(k).append(" = ").append(v).append('\n'));
        System.out.print(sb);
        if (opts.containsKey("--out")) {
            Files.writeString(Path.of(opts.get("--out")), sb);
        }
        System.exit(rc);
    }

    private int intOpt(String name, int dflt) {
        return opts.containsKey(name) ? Integer.parseInt(opts.get(name)) : dflt;
    }

    private void put(String key, String value) {
        results.put(key, value);
        System.err.println("footprint: " + key + " = " + value);
    }

    private void run() throws Exception {
        boolean stock = opts.containsKey("--stock");
        int daemons = stock ? 0 : intOpt("--daemons", 100);
        int settle = intOpt("--settle", 20);
        int idle = intOpt("--idle", 60);
        int bootTimeout = intOpt("--boot-timeout", 300);
        put("subject", stock ? "stock Karaf" : "Corral distribution");
        put("load_before", loadAverage());
        home = Path.of(opts.get("--home"));
        script = ProcessHandle.of(Long.parseLong(opts.get("--launcher-pid")))
                .orElseThrow(() -> new IllegalStateException("bin/karaf (pid " + opts.get("--launcher-pid") + ") is not running"));
        long startedMs = Long.parseLong(opts.get("--started-ms"));
        if (opts.containsKey("--cgroup")) {
            cgroup = Path.of(opts.get("--cgroup"));
            put("cgroup", cgroup + " memory.max=" + read(cgroup.resolve("memory.max")));
        }
        // ---- boot: to the SSH port (polled) and to the example's "ready:" line (its time stamp in karaf.log)
        int ssh = Integer.parseInt(config("etc/org.apache.karaf.shell.cfg", "sshPort"));
        Path karafLog = home.resolve("data/log/karaf.log");
        long deadline = startedMs + TimeUnit.SECONDS.toMillis(bootTimeout);
        long readyMs = -1;
        long sshMs = -1;
        while (System.currentTimeMillis() < deadline && (sshMs < 0 || (!stock && readyMs < 0))) {
            if (readyMs > 0 && System.currentTimeMillis() > readyMs + 60_000) {
                break; // READY a minute ago and still no SSH port: report it as not reached
            }
            if (!script.isAlive()) {
                throw new IllegalStateException("bin/karaf exited during the boot; see " + home.resolve("karaf.out"));
            }
            if (!stock && readyMs < 0) {
                readyMs = logTime(karafLog, "ready: example daemon started");
            }
            if (sshMs < 0 && listening(ssh)) {
                sshMs = System.currentTimeMillis();
            }
            Thread.sleep(20);
        }
        if (!stock && readyMs < 0) {
            throw new IllegalStateException("the example daemon was not READY within " + bootTimeout + " s");
        }
        findJvm();
        put("jvm_options", jvmOptions());
        if (!stock) {
            put("boot_to_example_ready_ms", Long.toString(readyMs - startedMs));
        }
        put("boot_to_ssh_port_ms", sshMs < 0 ? "-" : Long.toString(sshMs - startedMs));
        if (opts.containsKey("--boot-only")) {
            return;
        }
        boolean preplaced = opts.containsKey("--preplaced");
        // ---- idle (not with --preplaced: the daemons' .cfg files were in etc/ at the boot)
        if (!preplaced) {
            Thread.sleep(settle * 1000L);
            measure("idle", false);
            gcRun();
            heap("idle");
        }
        // ---- daemons
        if (daemons > 0) {
            long d0 = System.nanoTime();
            for (int i = 1; i <= daemons && !preplaced; i++) {
                Files.writeString(home.resolve("etc/org.corral.daemon-fp" + i + ".cfg"),
                        "command = /bin/sleep\nargs = " + SLEEP_ARG + "\n");
            }
            // generous: in the emulated (TCG) guest a daemon's start takes seconds
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(120, daemons * 8L));
            List<Long> sleeps;
            while ((sleeps = sleeps()).size() < daemons && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            if (sleeps.size() < daemons) {
                StringBuilder below = new StringBuilder();
                ProcessHandle.of(jvmPid).ifPresent(j -> j.descendants().limit(20).forEach(h -> below.append(' ')
                        .append(h.pid()).append(':').append(comm(h.pid()))));
                throw new IllegalStateException("only " + sleeps.size() + " of " + daemons + " sleep daemons started;"
                        + " processes below the JVM:" + below);
            }
            put("daemons", Integer.toString(daemons));
            put("daemons_started_ms", ms(System.nanoTime() - d0) + (preplaced
                    ? " (after the example was READY; their .cfg files were in etc/ at the boot)"
                    : " (includes fileinstall's 1 s scan)"));
            Thread.sleep(settle * 1000L);
            measure("daemons", true);
            // a minute of idle: GC time, CPU, OOM events
            double gct0 = gcTime();
            long cpu0 = cpuTicks(jvmPid);
            long w0 = System.nanoTime();
            Thread.sleep(idle * 1000L);
            double wall = (System.nanoTime() - w0) / 1e9;
            double gct = gcTime() - gct0;
            long cpu = cpuTicks(jvmPid) - cpu0;
            put("idle_window_s", String.format(Locale.ROOT, "%.0f", wall));
            put("idle_gc_time_ms", String.format(Locale.ROOT, "%.0f", gct * 1000));
            put("idle_gc_time_percent", String.format(Locale.ROOT, "%.2f", 100 * gct / wall));
            put("idle_jvm_cpu_ms", Long.toString(cpu * 1000 / 100));
            List<Long> after = sleeps();
            put("sleeps_unchanged_after_idle", Boolean.toString(after.containsAll(sleeps) && after.size() == sleeps.size()));
            put("daemons_threads_after_idle", Integer.toString(threads(false)));
            if (cgroup != null) {
                cgroupFigures("after_idle");
            }
            gcRun();
            heap("daemons");
        }
        put("load_after", loadAverage());
    }

    // ---------------------------------------------------------------- set-up

    /** The JVM: the descendant of bin/karaf whose command line runs org.apache.karaf.main.Main. */
    private void findJvm() throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            for (ProcessHandle h : script.descendants().toList()) {
                String cmdline = cmdline(h.pid());
                if (cmdline.contains("org.apache.karaf.main.Main")) {
                    jvmPid = h.pid();
                    put("jvm_pid", Long.toString(jvmPid));
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("cannot find Karaf's JVM below bin/karaf (pid " + script.pid() + ")");
    }

    private String jvmOptions() {
        String c = cmdline(jvmPid);
        StringBuilder sb = new StringBuilder();
        for (String a : c.split("\0")) {
            if ((a.startsWith("-X") && !a.startsWith("-XX:+UnlockDiagnosticVMOptions")) || a.startsWith("-Dcorral.jvm")) {
                sb.append(sb.length() > 0 ? " " : "").append(a);
            }
        }
        try {
            for (String e : new String(Files.readAllBytes(Path.of("/proc/" + jvmPid + "/environ")),
                    StandardCharsets.UTF_8).split("\0")) {
                if (e.startsWith("MALLOC_ARENA_MAX=")) {
                    sb.append(" (environment ").append(e).append(')');
                }
            }
        } catch (IOException e) {
            // not ours to read: the options alone
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- measuring

    private void measure(String phase, boolean withDaemons) throws IOException {
        Map<String, Long> st = status(jvmPid);
        put(phase + "_jvm_rss_mb", mb(st.get("VmRSS")));
        put(phase + "_jvm_rss_anon_mb", mb(st.get("RssAnon")));
        put(phase + "_jvm_pss_mb", mb(rollup(jvmPid).getOrDefault("Pss", 0L)));
        put(phase + "_jvm_threads", Integer.toString(threads(false)));
        long helpersPss = 0;
        long programsPss = 0;
        long helpersKernel = 0;
        long programsKernel = 0;
        int helpers = 0;
        int programs = 0;
        for (ProcessHandle h : ProcessHandle.of(jvmPid).map(p -> p.descendants().toList()).orElse(List.of())) {
            String comm = comm(h.pid());
            Map<String, Long> r = rollup(h.pid());
            Map<String, Long> s = status(h.pid());
            long kernel = s.getOrDefault("VmPTE", 0L) + 16; // page tables + the kernel stack
            if (comm.equals("corral-helper")) {
                helpersPss += r.getOrDefault("Pss", 0L);
                helpersKernel += kernel;
                helpers++;
            } else {
                programsPss += r.getOrDefault("Pss", 0L);
                programsKernel += kernel;
                programs++;
            }
        }
        put(phase + "_helpers", helpers + " (broker included), PSS " + mb(helpersPss) + " MB, page tables + kernel stacks "
                + mb(helpersKernel) + " MB");
        put(phase + "_programs", programs + ", PSS " + mb(programsPss) + " MB, page tables + kernel stacks "
                + mb(programsKernel) + " MB");
        put(phase + "_helpers_total_kb_each", helpers <= 1 ? "-"
                : Long.toString((helpersPss + helpersKernel) / Math.max(1, helpers)));
        long total = rollup(jvmPid).getOrDefault("Pss", 0L) + helpersPss + programsPss + helpersKernel + programsKernel;
        put(phase + "_tree_pss_mb", mb(total) + " (JVM, helpers, programs: PSS + page tables + kernel stacks)");
        put(phase + "_tree_without_programs_mb", mb(total - programsPss - programsKernel));
        List<String> jstat = jstat();
        if (jstat != null) {
            put(phase + "_heap_committed_mb", String.format(Locale.ROOT, "%.1f", capacityKb(jstat) / 1024));
            put(phase + "_metaspace_used_mb", String.format(Locale.ROOT, "%.1f", col(jstat, "MU") / 1024));
            put(phase + "_class_space_used_mb", String.format(Locale.ROOT, "%.1f", col(jstat, "CCSU") / 1024));
        }
        if (cgroup != null) {
            cgroupFigures(phase);
        }
    }

    private void cgroupFigures(String phase) throws IOException {
        Map<String, Long> stat = keyed(cgroup.resolve("memory.stat"));
        put(phase + "_cgroup_memory_current_mb", mb(Long.parseLong(read(cgroup.resolve("memory.current"))) / 1024));
        Path peak = cgroup.resolve("memory.peak");
        if (Files.exists(peak)) {
            put(phase + "_cgroup_memory_peak_mb", mb(Long.parseLong(read(peak)) / 1024));
        }
        long kernel = stat.getOrDefault("kernel", stat.getOrDefault("kernel_stack", 0L)
                + stat.getOrDefault("pagetables", 0L) + stat.getOrDefault("slab_unreclaimable", 0L));
        put(phase + "_cgroup_anon_file_kernel_mb", mb(stat.getOrDefault("anon", 0L) / 1024) + " / "
                + mb(stat.getOrDefault("file", 0L) / 1024) + " / " + mb(kernel / 1024)
                + " (shmem " + mb(stat.getOrDefault("shmem", 0L) / 1024) + ", pagetables "
                + mb(stat.getOrDefault("pagetables", 0L) / 1024) + ", kernel_stack "
                + mb(stat.getOrDefault("kernel_stack", 0L) / 1024) + ", sock " + mb(stat.getOrDefault("sock", 0L) / 1024)
                + ")");
        put(phase + "_cgroup_anon_plus_kernel_mb", mb((stat.getOrDefault("anon", 0L) + kernel) / 1024));
        put(phase + "_cgroup_memory_events", read(cgroup.resolve("memory.events")).replace('\n', ' ').trim());
        put(phase + "_cgroup_pgmajfault", Long.toString(stat.getOrDefault("pgmajfault", 0L)));
        Path pressure = cgroup.resolve("memory.pressure");
        if (Files.exists(pressure)) {
            put(phase + "_cgroup_memory_pressure", read(pressure).replace('\n', ' ').trim());
        }
    }

    private void heap(String phase) {
        List<String> j = jstat();
        if (j == null) {
            return;
        }
        double used = col(j, "S0U") + col(j, "S1U") + col(j, "EU") + col(j, "OU");
        put(phase + "_heap_after_gc_mb", String.format(Locale.ROOT, "%.1f", used / 1024));
        put(phase + "_heap_committed_after_gc_mb", String.format(Locale.ROOT, "%.1f", capacityKb(j) / 1024));
    }

    private static double capacityKb(List<String> j) {
        return col(j, "S0C") + col(j, "S1C") + col(j, "EC") + col(j, "OC");
    }

    private double gcTime() {
        List<String> j = jstat();
        return j == null ? 0 : col(j, "GCT");
    }

    /** {@code jstat -gc}: the header line and the values line (it reads the JVM's perf data; no attach). */
    private List<String> jstat() {
        try {
            String out = exec(List.of(jdkTool("jstat"), "-gc", Long.toString(jvmPid)), 60);
            List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
            return lines.size() >= 2 ? lines.subList(lines.size() - 2, lines.size()) : null;
        } catch (Exception e) {
            log.add("jstat failed: " + e.getMessage());
            return null;
        }
    }

    private static double col(List<String> jstat, String name) {
        String[] h = jstat.get(0).trim().split("\\s+");
        String[] v = jstat.get(1).trim().split("\\s+");
        for (int i = 0; i < h.length && i < v.length; i++) {
            if (h[i].equals(name)) {
                return v[i].equals("-") ? 0 : Double.parseDouble(v[i]);
            }
        }
        return 0;
    }

    private void gcRun() throws Exception {
        exec(List.of(jdkTool("jcmd"), Long.toString(jvmPid), "GC.run"), 120);
    }

    private static String jdkTool(String name) {
        Path p = Path.of(System.getProperty("java.home"), "bin", name);
        return Files.isExecutable(p) ? p.toString() : name;
    }

    /** The JVM's threads; without "Attach Listener" (made by jcmd's attach, not by Karaf or Corral). */
    private int threads(boolean withAttach) throws IOException {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/" + jvmPid + "/task"))) {
            for (Path t : ds) {
                String comm;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                } catch (NoSuchFileException e) {
                    continue;
                }
                if (withAttach || !comm.equals("Attach Listener")) {
                    n++;
                }
            }
        }
        return n;
    }

    private static final String SLEEP_ARG = "100000000";

    /** Pids of the daemons' programs ({@code sleep 100000000}) below the JVM, sorted. */
    private List<Long> sleeps() {
        return ProcessHandle.of(jvmPid).map(p -> p.descendants().map(ProcessHandle::pid)
                .filter(pid -> comm(pid).equals("sleep") && cmdline(pid).endsWith("\0" + SLEEP_ARG + "\0")).sorted()
                .toList())
                .orElse(List.of());
    }

    private static long cpuTicks(long pid) throws IOException {
        String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime, clock ticks (100 Hz on Linux)
    }

    private static Map<String, Long> status(long pid) {
        Map<String, Long> m = new HashMap<>();
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                String[] f = l.split("\\s+");
                if (f.length >= 2 && f[1].matches("\\d+")) {
                    m.put(f[0].replace(":", ""), Long.parseLong(f[1]));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // gone
        }
        return m;
    }

    /** /proc/pid/smaps_rollup in kB. */
    private static Map<String, Long> rollup(long pid) {
        Map<String, Long> m = new HashMap<>();
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                String[] f = l.split("\\s+");
                if (f.length >= 2 && f[1].matches("\\d+")) {
                    m.put(f[0].replace(":", ""), Long.parseLong(f[1]));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // gone (or a kernel without smaps_rollup)
        }
        return m;
    }

    private static Map<String, Long> keyed(Path f) throws IOException {
        Map<String, Long> m = new HashMap<>();
        for (String l : Files.readAllLines(f)) {
            String[] p = l.split(" ");
            if (p.length == 2 && p[1].matches("\\d+")) {
                m.put(p[0], Long.parseLong(p[1]));
            }
        }
        return m;
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
        } catch (IOException e) {
            return "";
        }
    }

    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    // ---------------------------------------------------------------- clean-up

    private void cleanUp() {
        try {
            if (jvmPid > 0) {
                ProcessHandle.of(jvmPid).ifPresent(ProcessHandle::destroy); // SIGTERM: Karaf stops, daemons with it
                ProcessHandle.of(jvmPid).ifPresent(h -> {
                    try {
                        h.onExit().get(90, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                });
            }
            if (script != null) {
                script.destroy();
                try {
                    script.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    script.destroyForcibly();
                }
            }
            if (jvmPid > 0) {
                Thread.sleep(1000);
                List<Long> left = new ArrayList<>();
                try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                    long self = ProcessHandle.current().pid();
                    all.filter(h -> h.pid() != self).filter(h -> cmdline(h.pid()).contains(home.toString()) || h.parent()
                            .map(p -> p.pid() == jvmPid).orElse(false)).forEach(h -> left.add(h.pid()));
                }
                if (!left.isEmpty()) {
                    put("left_after_stop", left.toString());
                    left.forEach(p -> ProcessHandle.of(p).ifPresent(ProcessHandle::destroyForcibly));
                }
            }
        } catch (Exception e) {
            System.err.println("footprint: clean-up: " + e);
        }
    }

    // ---------------------------------------------------------------- small things

    private String config(String file, String key) throws IOException {
        for (String l : Files.readAllLines(home.resolve(file))) {
            String t = l.trim();
            if (t.startsWith(key) && t.substring(key.length()).trim().startsWith("=")) {
                return t.substring(t.indexOf('=') + 1).trim();
            }
        }
        throw new IllegalStateException(key + " not found in " + file);
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static final java.time.format.DateTimeFormatter LOG_TIME =
            java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS");

    /** The time stamp (epoch ms) of the first karaf.log line containing {@code text}, or -1. */
    private static long logTime(Path f, String text) {
        try {
            if (!Files.exists(f)) {
                return -1;
            }
            for (String l : Files.readAllLines(f, StandardCharsets.ISO_8859_1)) {
                if (l.contains(text)) {
                    String ts = l.substring(0, l.indexOf(' '));
                    return java.time.LocalDateTime.parse(ts, LOG_TIME).atZone(java.time.ZoneId.systemDefault())
                            .toInstant().toEpochMilli();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not yet complete
        }
        return -1;
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p).trim();
    }

    private static String exec(List<String> cmd, int timeoutS) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(cmd + " did not finish within " + timeoutS + " s");
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(cmd + " exited " + p.exitValue() + ": " + s.trim());
        }
        return s;
    }

    private static String ms(long ns) {
        return Long.toString(ns / 1_000_000);
    }

    private static String mb(Long kb) {
        return String.format(Locale.ROOT, "%.1f", (kb == null ? 0 : kb) / 1024.0);
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

}
