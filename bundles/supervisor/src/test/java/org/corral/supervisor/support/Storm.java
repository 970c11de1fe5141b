package org.corral.supervisor.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.cgroup.CgroupManager;

/**
 * The issue 10 scenario: {@code escape_storm}, whose workers daemonize, leave the process group, block every
 * signal and fork in a loop; every process of its tree carries a tag of the test's own, so what survives is
 * counted exactly.
 */
public final class Storm {

    /** Workers per program. */
    public static final int WORKERS = 10;

    private Storm() {
    }

    /**
     * escape_storm with {@link #WORKERS} workers, its tree tagged {@code tag}, in a cgroup below
     * {@code cgroupBase}, or in no cgroup at all (null: not even the default one).
     */
    public static CommandSpec spec(String tag, String cgroupBase) {
        CommandSpec.Builder b = CommandSpec.builder(TestSupport.prog("escape_storm"), Integer.toString(WORKERS))
                .env(TestSupport.TAG_VAR, tag);
        if (cgroupBase != null) {
            b.cgroupBase(cgroupBase);
        } else {
            b.defaultCgroup(false);
        }
        return b.build();
    }

    /** Kills (SIGKILL) every process carrying {@code tag} until none is left; returns how many there were at first. */
    public static int killAll(String tag) throws InterruptedException {
        int first = -1;
        for (int round = 0; round < 200; round++) {
            List<String> left = TestSupport.tagged(tag);
            if (first < 0) {
                first = left.size();
            }
            if (left.isEmpty()) {
                return first;
            }
            for (String s : left) {
                ProcessHandle.of(Long.parseLong(s.substring(0, s.indexOf(' ')))).ifPresent(ProcessHandle::destroyForcibly);
            }
            Thread.sleep(20);
        }
        return first;
    }

    /** Waits up to {@code millis} for every process carrying {@code tag} to be gone; returns those left. */
    public static List<String> awaitNoneTagged(String tag, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        List<String> left = TestSupport.tagged(tag);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            left = TestSupport.tagged(tag);
        }
        return left;
    }

    /** The cgroups below {@code base}. */
    public static List<String> childCgroups(CgroupManager m, String base) throws IOException {
        Path dir = m.resolve(base);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.filter(Files::isDirectory).forEach(d -> out.add(d.getFileName().toString()));
        }
        return out;
    }
}
