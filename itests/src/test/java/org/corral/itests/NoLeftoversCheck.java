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
        String found = Procs.describe(programs);
        Procs.killSurvivors(programs); // reported below, but not left running
        assertTrue(programs.isEmpty(), "the itests left programs running from " + build + ":\n" + found);
    }

    @Test
    void noKarafStartedByTheTestsRuns() {
        String home = "-Dkaraf.home=" + ItestPaths.buildDir();
        List<ProcessHandle> karafs;
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            karafs = all.filter(p -> p.pid() != ProcessHandle.current().pid())
                    .filter(p -> Procs.cmdline(p.pid()).contains(home)).collect(Collectors.toList());
        }
        String found = Procs.describe(karafs);
        // e.g. a Pax Exam container that never came up is not stopped by Pax Exam: kill it and its children
        for (ProcessHandle k : karafs) {
            Procs.killSurvivors(k.descendants().collect(Collectors.toList()));
            k.destroyForcibly();
        }
        assertTrue(karafs.isEmpty(), "the itests left Karaf running (killed now):\n" + found);
    }
}
