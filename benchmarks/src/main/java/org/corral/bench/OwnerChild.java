package org.corral.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.supervisor.Corral;

/**
 * The owner that {@link Bench} kills: a JVM that runs, through Corral, a program whose descendants try to
 * escape (a fork tree with setsid'd subtrees, a double-forked setsid daemon, orphaned grandchildren in the
 * program's process group), prints {@code pids <pid> <pid> ...} (every process below this JVM: broker,
 * helper, program and all its descendants) and {@code ready}, then waits to be {@code kill -9}ed.
 *
 * <p>Arguments: the test programs directory, the runtime parent directory, the fork tree size.
 */
public final class OwnerChild {

    /** Pid lines the program prints: the fork tree's nodes, the setsid'd grandchild, three grandchildren. */
    static int expectedPidLines(int treeSize) {
        return treeSize + 1 + GRANDCHILDREN;
    }

    static final int GRANDCHILDREN = 3;

    private OwnerChild() {
    }

    public static void main(String[] args) throws Exception {
        Path progs = Path.of(args[0]);
        Path runtime = Path.of(args[1]);
        int treeSize = Integer.parseInt(args[2]);
        String script = String.join("\n",
                "'" + progs.resolve("fork_tree") + "' " + treeSize + " &",
                "'" + progs.resolve("double_fork_setsid") + "' --stay &",
                "'" + progs.resolve("spawn_grandchildren") + "' " + GRANDCHILDREN + " &",
                "wait");
        Set<Long> pids = new LinkedHashSet<>();
        CountDownLatch allStarted = new CountDownLatch(1);
        int wantPids = expectedPidLines(treeSize);
        StringBuilder pending = new StringBuilder();
        int[] readies = {0};
        OutputConsumer lines = (stream, data) -> {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            pending.append(new String(b, StandardCharsets.US_ASCII));
            int nl;
            while ((nl = pending.indexOf("\n")) >= 0) {
                String line = pending.substring(0, nl).trim();
                pending.delete(0, nl + 1);
                if (line.equals("ready")) {
                    readies[0]++;
                } else if (line.matches("\\d+")) {
                    pids.add(Long.parseLong(line));
                }
            }
            if (pids.size() >= wantPids && readies[0] >= 2) {
                allStarted.countDown();
            }
        };
        Corral corral = Corral.builder().runtimeDirectory(runtime).requireHelper(true).open();
        corral.runAsync(CommandSpec.builder("sh", "-c", script).consumer(lines).collectOutput(false).build());
        if (!allStarted.await(30, TimeUnit.SECONDS)) {
            System.out.println("error: the program did not print its pids within 30 s (got " + pids + ")");
            System.exit(3);
        }
        // Everything below this JVM right now (broker, helpers, program, descendants that are still in the
        // parent chain), plus the printed pids (setsid'd orphans may have been re-parented already).
        List<Long> all = new ArrayList<>();
        ProcessHandle.current().descendants().forEach(h -> all.add(h.pid()));
        for (long p : pids) {
            if (!all.contains(p)) {
                all.add(p);
            }
        }
        StringBuilder out = new StringBuilder("pids");
        for (long p : all) {
            out.append(' ').append(p);
        }
        System.out.println(out);
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
