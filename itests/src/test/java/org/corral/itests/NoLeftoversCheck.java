package org.corral.itests;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.Procs;
import org.junit.jupiter.api.Test;

/**
 * Runs after every integration test (its own failsafe execution): nothing the itests started may still
 * run. Every program the tests start (test programs, the helper copied into a Karaf data area) is
 * executed from under this module's target/, and every Karaf they start has its home there.
 */
class NoLeftoversCheck {

    @Test
    void noProcessRunsFromTheBuildDirectory() {
        Path build = ItestPaths.buildDir();
        List<ProcessHandle> programs = Procs.runningFrom(build);
        assertTrue(programs.isEmpty(), "the itests left programs running from " + build + ":\n"
                + Procs.describe(programs));
    }

    @Test
    void noKarafStartedByTheTestsRuns() {
        String home = "-Dkaraf.home=" + ItestPaths.buildDir();
        List<ProcessHandle> karafs;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            karafs = all.filter(p -> p.pid() != ProcessHandle.current().pid())
                    .filter(p -> Procs.cmdline(p.pid()).contains(home)).collect(Collectors.toList());
        }
        assertTrue(karafs.isEmpty(), "the itests left Karaf running:\n" + Procs.describe(karafs));
    }
}
