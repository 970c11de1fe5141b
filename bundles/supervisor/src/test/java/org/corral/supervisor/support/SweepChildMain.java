package org.corral.supervisor.support;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.corral.api.CommandSpec;
import org.corral.api.OutputConsumer;
import org.corral.supervisor.Corral;

/**
 * Run in a child JVM by the start-up sweep tests: opens Corral (its default cgroup base from the system property
 * {@code org.corral.cgroup.base}), starts a double-forked setsid daemon and a 20-process fork tree with setsid'd
 * members, echoes their pids to stdout, prints "ready", then waits for EOF on stdin: then it closes Corral and
 * exits 0. The tests either kill it (and its helpers) or close its stdin.
 *
 * <p>Arguments: runtime parent directory, test programs directory.
 */
public final class SweepChildMain {

    private SweepChildMain() {
    }

    public static void main(String[] args) throws Exception {
        Path parent = Path.of(args[0]);
        Path progs = Path.of(args[1]);
        Corral corral = Corral.builder().runtimeDirectory(parent).baseEnvironment(TestSupport.taggedEnv())
                .requireHelper(true).open();
        Object lock = new Object();
        StringBuilder pending = new StringBuilder();
        OutputConsumer echo = (s, d) -> {
            byte[] b = new byte[d.remaining()];
            d.get(b);
            synchronized (lock) {
                pending.append(new String(b, StandardCharsets.US_ASCII));
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    System.out.println(pending.substring(0, nl));
                    pending.delete(0, nl + 1);
                }
                System.out.flush();
            }
        };
        corral.runAsync(CommandSpec.builder(progs.resolve("double_fork_setsid").toString(), "--stay").consumer(echo).build());
        corral.runAsync(CommandSpec.builder(progs.resolve("fork_tree").toString(), "20").consumer(echo).build());
        InputStream in = System.in;
        while (in.read() >= 0) {
            // until EOF
        }
        corral.close();
        System.exit(0);
    }
}
