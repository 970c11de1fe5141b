package org.corral.itests.support;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.corral.api.Containment;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.osgi.framework.BundleContext;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Checks that use Corral's API. A separate class, loaded only when first called, so that a test can
 * install Corral first (FeatureInstallIT): the probe imports Corral's packages dynamically.
 */
public final class CorralChecks {

    private CorralChecks() {
    }

    /** The bundle-scoped ProcessService as this test bundle gets it (bounded wait). */
    public static ProcessService processService(BundleContext bundleContext) {
        ServiceTracker<ProcessService, ProcessService> tracker = new ServiceTracker<>(bundleContext,
                ProcessService.class, null);
        tracker.open();
        try {
            ProcessService ps = tracker.waitForService(Await.SECONDS.toMillis());
            if (ps == null) {
                throw new AssertionError("no ProcessService within " + Await.SECONDS.toSeconds() + " s\n"
                        + KarafTestBase.corralBundles(bundleContext) + KarafTestBase.karafLogExcerpt());
            }
            return ps;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * The supervisor runs programs through the x86_64 helper taken from the fragment (copied to its bundle
     * data area), not through the pure-Java fallback; a run of {@code uname -m} works.
     */
    public static void assertHelperFromFragmentRunsPrograms(BundleContext bundleContext) throws InterruptedException {
        ProcessService ps = processService(bundleContext);
        Containment c = ps.containment();
        assertNotEquals("containment mode: " + c + KarafTestBase.karafLogExcerpt(), Containment.Mode.JAVA_FALLBACK, c.mode());
        assertEquals("helper architecture: " + c, "x86_64", c.architecture());
        assertTrue("helper path: " + c, c.helperPath().isPresent());
        Path helper = Paths.get(c.helperPath().get());
        assertTrue("the helper runs from Karaf's data area (the supervisor's bundle data), not from " + helper,
                helper.toAbsolutePath().normalize().startsWith(KarafTestBase.karafData().toAbsolutePath().normalize()));
        assertTrue("the helper " + helper + " is executable", Files.isExecutable(helper));

        ProcessResult r = ps.run("uname", "-m");
        assertEquals("uname -m: " + r, 0, r.exitCode());
        assertEquals("uname -m: " + r, "x86_64", r.stdoutText().trim());
    }

}
