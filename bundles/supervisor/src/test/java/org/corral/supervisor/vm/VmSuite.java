package org.corral.supervisor.vm;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectPackage;

import java.io.PrintWriter;

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
 * Runs this module's tests tagged {@code vm} in the given packages inside the QEMU guest of
 * {@code vm/run-in-vm} (one boot for the suite); exits 0 only when at least one ran and none failed, was
 * skipped or aborted. (The cgroup module has its own; this module's test classpath does not see it.)
 *
 * <p>Usage: {@code java -cp <test classpath> org.corral.supervisor.vm.VmSuite PACKAGE...}
 */
public final class VmSuite {

    private VmSuite() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: VmSuite PACKAGE...");
            System.exit(2);
        }
        if (!"1".equals(System.getenv("RUN_IN_VM"))) {
            System.err.println("VmSuite: not inside vm/run-in-vm (RUN_IN_VM is not 1): these tests need the guest's pure cgroup v2 kernel");
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
                    result.getThrowable().ifPresent(t -> System.out.println("[vm] " + id.getDisplayName() + ": " + t));
                    return;
                }
                System.out.println("[vm] " + result.getStatus() + "  " + id.getLegacyReportingName()
                        + result.getThrowable().map(x -> "\n      " + x).orElse(""));
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.println("[vm] SKIPPED  " + id.getDisplayName() + ": " + reason);
            }
        };
        Launcher launcher = LauncherFactory.create();
        launcher.execute(request, summary, progress);
        TestExecutionSummary s = summary.getSummary();
        if (s.getTotalFailureCount() > 0) {
            s.printFailuresTo(new PrintWriter(System.out, true), 30);
        }
        System.out.printf("[vm] %d tests found, %d succeeded, %d failed, %d skipped, %d aborted; suite %.1f s inside the VM%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(), s.getTestsSkippedCount(),
                s.getTestsAbortedCount(), (System.nanoTime() - t0) / 1e9);
        boolean ok = s.getTestsFoundCount() > 0 && s.getTotalFailureCount() == 0 && s.getTestsSkippedCount() == 0
                && s.getTestsAbortedCount() == 0 && s.getContainersFailedCount() == 0;
        System.exit(ok ? 0 : 1);
    }
}
