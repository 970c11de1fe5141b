package org.corral.supervisor.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.DaemonState;
import org.corral.api.ProcessResult;
import org.corral.supervisor.Corral;

/**
 * Run by the VM tests as the JVM of a "service" whose cgroup is delegated to it: opens Corral with no setting and
 * reports, one fact per line ({@code key value}), where things went:
 * <ol>
 * <li>{@code base}: the default base; {@code own}: this JVM's cgroup;</li>
 * <li>starts a daemon with no cgroup option ({@code daemon <its cgroup>}) and runs a program with no option
 * ({@code plain <its cgroup>}), then {@code own} again (nothing moved);</li>
 * <li>runs memory_hog under a 32 MiB memory.max with no base ({@code limited <cgroup> oom <true|false>}), then
 * {@code own} again and {@code own.memory.max}, and whether the daemon still runs in the same cgroup
 * ({@code daemon.after <state> <cgroup>});</li>
 * <li>prints {@code ready} and waits for EOF on stdin; then closes Corral, prints {@code closed} and exits 0.</li>
 * </ol>
 * Arguments: runtime parent directory, test programs directory.
 */
public final class DelegatedChildMain {

    private DelegatedChildMain() {
    }

    static String own() throws Exception {
        for (String l : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            if (l.startsWith("0::")) {
                return l.substring(3);
            }
        }
        return "?";
    }

    public static void main(String[] args) throws Exception {
        Path progs = Path.of(args[1]);
        try (Corral corral = Corral.builder().runtimeDirectory(Path.of(args[0])).requireHelper(true).open()) {
            System.out.println("base " + corral.containment().defaultCgroupBase().orElse("-"));
            System.out.println("own " + own());
            Daemon d = corral.start(DaemonSpec.builder("sleeper", CommandSpec.builder(progs.resolve("sleep_ms").toString(),
                    "600000").grace(Duration.ofMillis(300)).build()).build());
            d.await(java.util.Set.of(DaemonState.READY), Duration.ofSeconds(60));
            String daemonCgroup = d.cgroupPath().orElse("-");
            System.out.println("daemon " + daemonCgroup);
            ProcessResult plain = corral.run(CommandSpec.of("true"));
            System.out.println("plain " + plain.cgroupStats().map(s -> s.path()).orElse("-"));
            System.out.println("own " + own());
            ProcessResult limited = corral.run(CommandSpec.builder(progs.resolve("memory_hog").toString(), "200")
                    .limits(CgroupLimits.builder().memoryMax("32M").build()).build());
            System.out.println("limited " + limited.cgroupStats().map(s -> s.path()).orElse("-") + " oom "
                    + limited.oomKilled());
            String own = own();
            System.out.println("own " + own);
            Path ownMax = Path.of("/sys/fs/cgroup" + own, "memory.max");
            System.out.println("own.memory.max " + (Files.exists(ownMax) ? Files.readString(ownMax).trim() : "-"));
            System.out.println("daemon.after " + d.state() + " " + d.cgroupPath().orElse("-"));
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until EOF
            }
        }
        System.out.println("closed");
        System.out.flush();
        System.exit(0);
    }
}
