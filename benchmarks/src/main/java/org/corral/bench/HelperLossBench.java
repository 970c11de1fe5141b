package org.corral.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.cgroup.CgroupManager;
import org.corral.supervisor.Corral;
import org.corral.supervisor.internal.engine.HelperEngine;
import org.corral.supervisor.internal.engine.RunningProgram;

/**
 * Issue 10's figures: {@code kill -9} of a program's helper while the owner JVM lives, with the program
 * {@code escape_storm} (workers that daemonize, leave the process group, block every signal and fork in a
 * loop). Per trial: the time from the SIGKILL to the last watched process gone (the program and its
 * workers; polled every 0.2 ms), and the survivors 10 s later (every process carrying the trial's tag in its
 * environment, the workers' short-lived children included). With a cgroup of a base of its own, and with no
 * cgroup at all; and, without a cgroup, the documented limit: the broker killed first, then the helper.
 */
final class HelperLossBench {

    private static final String TAG = "CORRAL_BENCH_TAG";
    private static final int WORKERS = 10;

    /** One result row: figure, Corral's figure, target. */
    record Result(String figure, String measured, String target) {
    }

    private final Path testprogs;
    private final boolean quick;
    final List<Result> results = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    HelperLossBench(Path testprogs, boolean quick) {
        this.testprogs = testprogs;
        this.quick = quick;
    }

    void run() throws Exception {
        int trials = quick ? 10 : 50;
        String base = "corral-bench-" + UUID.randomUUID().toString().substring(0, 8);
        try (Corral corral = Corral.builder().requireHelper(true).open()) {
            boolean cgroups = corral.containment().mode() == Containment.Mode.HELPER_CGROUP;
            if (cgroups) {
                series(corral, "with a cgroup", base, trials, false);
            } else {
                results.add(new Result("helper SIGKILL -> last descendant gone, with a cgroup", "n/a: "
                        + corral.containment().mode() + " (no cgroup2 mount)", "p95 <= 20 ms"));
            }
            series(corral, "without a cgroup", null, trials, false);
            series(corral, "without a cgroup (the documented limit)", null, quick ? 3 : 10, true);
        } finally {
            removeBase(base);
        }
        notes.add("helper SIGKILL: escape_storm " + WORKERS + " (workers daemonize, setpgid, block every signal, "
                + "fork children of 20 ms in a loop); 'gone' = the program and its workers absent, zombies or pid "
                + "reused, polled every 0.2 ms from the SIGKILL to the helper; survivors = processes carrying the "
                + "trial's tag 10 s after the kill (workers' children included), then killed by the benchmark.");
    }

    private void series(Corral corral, String what, String base, int trials, boolean brokerFirst) throws Exception {
        List<Long> goneNs = new ArrayList<>();
        int survivors = 0;
        int trialsWithSurvivors = 0;
        for (int i = 0; i < trials; i++) {
            long[] t = trial(corral, base, brokerFirst);
            if (t[1] > 0) {
                survivors += (int) t[1];
                trialsWithSurvivors++;
            } else {
                goneNs.add(t[0]);
            }
        }
        long[] ns = goneNs.stream().mapToLong(Long::longValue).toArray();
        if (!brokerFirst) {
            results.add(new Result("helper SIGKILL -> last descendant gone, " + what + " (" + ns.length + " trials)",
                    spread(ns), "p95 <= 20 ms"));
        }
        results.add(new Result("survivors after kill -9 of the " + (brokerFirst ? "broker, then of the " : "")
                + "helper (owner alive), " + what + " (" + trials + " trials)",
                survivors + " (in " + trialsWithSurvivors + " trials)", brokerFirst ? "-" : "0"));
    }

    /** {nanoseconds from the SIGKILL to the last watched process gone, survivors after 10 s}. */
    private long[] trial(Corral corral, String base, boolean brokerFirst) throws Exception {
        String tag = UUID.randomUUID().toString();
        CommandSpec.Builder spec = CommandSpec.builder(testprogs.resolve("escape_storm").toString(),
                Integer.toString(WORKERS)).env(TAG, tag);
        if (base != null) {
            spec.cgroupBase(base);
        } else {
            spec.defaultCgroup(false);
        }
        StringBuilder out = new StringBuilder();
        CountDownLatch ready = new CountDownLatch(1);
        RunningProgram p = corral.engine().launch(spec.build(), (stream, data) -> {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            synchronized (out) {
                out.append(new String(b, StandardCharsets.US_ASCII));
                if (out.indexOf("ready\n") >= 0) {
                    ready.countDown();
                }
            }
        });
        long pid = p.started().get(30, TimeUnit.SECONDS);
        if (!ready.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("escape_storm did not get ready: " + out);
        }
        Map<Long, String> watched = new HashMap<>();
        watched.put(pid, startTime(pid));
        synchronized (out) {
            for (String line : out.toString().split("\n")) {
                if (!line.isEmpty() && line.chars().allMatch(Character::isDigit)) {
                    long w = Long.parseLong(line);
                    watched.put(w, startTime(w));
                }
            }
        }
        watched.values().removeIf(s -> s == null);
        if (brokerFirst) {
            HelperEngine engine = (HelperEngine) corral.engine();
            long broker = engine.brokerPid().orElseThrow();
            ProcessHandle.of(broker).ifPresent(ProcessHandle::destroyForcibly);
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (engine.brokerPid().orElse(broker) == broker && System.nanoTime() < until) {
                Thread.sleep(1);
            }
        }
        long helper = p.helperPid().orElseThrow();
        long t0 = System.nanoTime();
        ProcessHandle.of(helper).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(10);
        List<Long> order = new ArrayList<>(watched.keySet());
        int next = 0;
        while (next < order.size() && System.nanoTime() < deadline) {
            long w = order.get(next);
            if (!isAlive(w, watched.get(w))) {
                next++;
            } else {
                LockSupport.parkNanos(200_000);
            }
        }
        long gone = System.nanoTime() - t0;
        try {
            p.completion().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // a HelperLostException is the expected end
        }
        // survivors: whatever carries the tag 10 s after the kill (looked at until then, or until none is left)
        List<Long> left = tagged(tag);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            left = tagged(tag);
        }
        killTagged(tag);
        return new long[] {gone, left.size()};
    }

    /** Kills every process carrying {@code tag}. */
    private static void killTagged(String tag) throws IOException, InterruptedException {
        for (int round = 0; round < 100; round++) {
            List<Long> left = tagged(tag);
            if (left.isEmpty()) {
                return;
            }
            for (long l : left) {
                ProcessHandle.of(l).ifPresent(ProcessHandle::destroyForcibly);
            }
            Thread.sleep(20);
        }
    }

    private static List<Long> tagged(String tag) throws IOException {
        byte[] needle = (TAG + "=" + tag).getBytes(StandardCharsets.US_ASCII);
        List<Long> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path d : ds) {
                String n = d.getFileName().toString();
                if (n.isEmpty() || !n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long pid = Long.parseLong(n);
                try {
                    byte[] env = Files.readAllBytes(d.resolve("environ"));
                    if (contains(env, needle) && isAlive(pid, startTime(pid))) {
                        found.add(pid);
                    }
                } catch (IOException e) {
                    // gone
                }
            }
        }
        return found;
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (i > 0 && hay[i - 1] != 0) {
                continue;
            }
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static String startTime(long pid) {
        String[] f = stat(pid);
        return f == null ? null : f[19];
    }

    private static boolean isAlive(long pid, String start) {
        String[] f = stat(pid);
        return f != null && start != null && !f[0].equals("Z") && !f[0].equals("X") && f[19].equals(start);
    }

    private static String[] stat(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
            return s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String spread(long[] ns) {
        if (ns.length == 0) {
            return "-";
        }
        long[] s = ns.clone();
        Arrays.sort(s);
        return String.format("p95 %.1f ms (median %.1f, max %.1f)", percentile(s, 95) / 1e6, percentile(s, 50) / 1e6,
                s[s.length - 1] / 1e6);
    }

    private static double percentile(long[] sorted, double p) {
        double rank = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    private static void removeBase(String base) {
        try (CgroupManager m = CgroupManager.open()) {
            Path dir = m.resolve(base);
            if (Files.isDirectory(dir)) {
                m.remove(List.of(dir));
            }
        } catch (RuntimeException e) {
            // no cgroup2 mount: nothing was made
        }
    }
}
