package org.corral.supervisor.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.corral.api.CommandSpec;
import org.corral.supervisor.Corral;

/**
 * Run in a child JVM by the kill -9 test: starts a fork tree (with setsid'd members) and a double-forked
 * setsid daemon through Corral, echoes their pids to stdout, prints "ready", and stays inside {@code run()}
 * until it is killed.
 *
 * <p>Arguments: runtime parent directory, test programs directory.
 */
public final class ChildJvmMain {

    private ChildJvmMain() {
    }

    public static void main(String[] args) throws Exception {
        Path parent = Path.of(args[0]);
        Path progs = Path.of(args[1]);
        Corral corral = Corral.builder().runtimeDirectory(parent).baseEnvironment(TestSupport.taggedEnv())
                .requireHelper(true).open();
        StringBuilder pending = new StringBuilder();
        int[] readyCount = {0};
        Object lock = new Object();
        org.corral.api.OutputConsumer echo = (s, d) -> {
            byte[] b = new byte[d.remaining()];
            d.get(b);
            synchronized (lock) {
                pending.append(new String(b, StandardCharsets.US_ASCII));
                int nl;
                while ((nl = pending.indexOf("\n")) >= 0) {
                    String line = pending.substring(0, nl);
                    pending.delete(0, nl + 1);
                    if (line.equals("ready")) {
                        readyCount[0]++;
                        if (readyCount[0] == 1) {
                            System.out.println("ready");
                        }
                    } else {
                        System.out.println(line);
                    }
                    System.out.flush();
                }
            }
        };
        // the daemonized grandchild first (its pid line comes on stdout), then the tree inside run()
        corral.runAsync(CommandSpec.builder(progs.resolve("double_fork_setsid").toString(), "--stay").consumer(echo).build());
        Thread.sleep(100);
        corral.run(CommandSpec.builder(progs.resolve("fork_tree").toString(), "20").consumer(echo).build());
    }
}
