package org.corral.itests.systemd;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the tests tagged {@code vm} of the given packages inside {@code vm/run-in-vm --systemd} and exits 0 only
 * when at least one succeeded and none failed or was skipped. A test aborted by an assumption (a test program this
 * build does not have) is printed with its reason ({@code ABORTED}) and does not fail the run; a guest that lacks
 * something the tests need is an error, never an assumption. Outside such a guest (no {@code RUN_IN_VM=1}, or PID 1
 * is not systemd) it exits 2 at once.
 *
 * <p>Usage: {@code java -cp <test classpath> org.corral.itests.systemd.SystemdVmSuite PACKAGE...}
 */
public final class SystemdVmSuite {

    private SystemdVmSuite() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: SystemdVmSuite PACKAGE...");
            System.exit(2);
        }
        if (!"1".equals(System.getenv("RUN_IN_VM"))) {
            System.err.println("SystemdVmSuite: not inside vm/run-in-vm (RUN_IN_VM is not 1): these tests boot the"
                    + " guest's systemd and change its /etc and cgroups");
            System.exit(2);
        }
        Path init = Path.of("/proc/1/exe").toRealPath();
        if (!init.getFileName().toString().equals("systemd")) {
            System.err.println("SystemdVmSuite: PID 1 is " + init + ", not systemd: run the suite with vm/run-in-vm --systemd");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request().filters(TagFilter.includeTags("vm"));
        for (String p : args) {
            b.selectors(selectPackage(p));
        }
        LauncherDiscoveryRequest request = b.build();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        TestExecutionListener progress = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest()) {
                    result.getThrowable().ifPresent(t -> System.out.println("[systemd-vm] " + id.getDisplayName() + ": " + t));
                    return;
                }
                System.out.println("[systemd-vm] " + result.getStatus() + "  " + id.getLegacyReportingName()
                        + result.getThrowable().map(x -> "\n      " + x).orElse(""));
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("[systemd-vm] SKIPPED  " + id.getDisplayName() + ": " + reason);
            }
        };
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, summary, progress);
        TestExecutionSummary s = summary.getSummary();
        if (s.getTotalFailureCount() > 0) {
            s.printFailuresTo(new PrintWriter(System.out, true), 40);
        }
        System.out.printf("[systemd-vm] %d tests found, %d succeeded, %d failed, %d skipped, %d aborted; suite %.1f s inside the VM%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(), s.getTestsSkippedCount(),
                s.getTestsAbortedCount(), (System.nanoTime() - t0) / 1e9);
        boolean ok = s.getTestsSucceededCount() > 0 && s.getTotalFailureCount() == 0 && s.getTestsSkippedCount() == 0
                && s.getContainersFailedCount() == 0 && s.getContainersAbortedCount() == 0;
        System.exit(ok ? 0 : 1);
    }
}
