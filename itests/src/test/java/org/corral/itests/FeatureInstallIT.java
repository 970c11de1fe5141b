package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.apache.karaf.features.Feature;
import org.corral.itests.support.ItestPaths;
import org.corral.itests.support.CorralChecks;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.KarafTestBase;
import org.corral.itests.support.Procs;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.OptionUtils;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * The {@code corral} and {@code corral-shell} features install on a fresh stock Karaf of the same version,
 * from the features repository and bundles that the project's distribution carries in its {@code system/}
 * folder (added as one more default Maven repository, as an operator with a local mirror would), and the
 * resolver attaches exactly the x86_64 native fragment.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class FeatureInstallIT extends KarafTestBase {

    private static final Duration INSTALL_BOUND = Duration.ofMinutes(3);

    private AssertionError otherFragmentsProblem;

    @Configuration
    public Option[] config() {
        // evaluated in the test JVM: unpack the distribution to use its system/ folder as a Maven repository
        Path distribution = ItestPaths.unpack(ItestPaths.distributionArchive(), "feature-install-repo");
        Path system = distribution.resolve("system");
        String repositories = "${karaf.home.uri}${karaf.default.repository}@id=system.repository@snapshots,"
                + "${karaf.data.uri}kar@id=kar.repository@multi@snapshots,"
                + "${karaf.base.uri}${karaf.default.repository}@id=child.system.repository@snapshots,"
                + system.toUri() + "@id=corral.distribution@snapshots";
        return KarafOptions.stockKaraf(OptionUtils.combine(users(),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.defaultRepositories",
                        repositories)));
    }

    private static String featuresRepository() {
        return "mvn:org.corral/corral-features/" + System.getProperty("corral.version", "0.1.0-SNAPSHOT")
                + "/xml/features";
    }

    @Test
    public void featureInstallsOnAFreshKarafAndOnlyTheMatchingFragmentAttaches() throws Exception {
        assertNull("a stock Karaf has no Corral bundle yet\n" + corralBundles(), bundle(SUPERVISOR));

        CommandResult add = run(admin(), "feature:repo-add " + featuresRepository(), INSTALL_BOUND);
        assertFalse(add + karafLogExcerpt(), add.failed());
        CommandResult install = run(admin(), "feature:install corral corral-shell", INSTALL_BOUND);
        assertFalse(install + karafLogExcerpt(), install.failed());

        for (String name : List.of("corral", "corral-shell")) {
            Feature f = featuresService.getFeature(name);
            assertTrue("feature " + name + " is installed", f != null && featuresService.isInstalled(f));
        }
        for (String bsn : List.of("org.corral.api", "org.corral.cgroup", SUPERVISOR, "org.corral.shell")) {
            assertEquals("state of " + bsn + "\n" + corralBundles() + karafLogExcerpt(), "ACTIVE",
                    bundle(bsn) == null ? "not installed" : stateName(bundle(bsn).getState()));
        }
        assertOnlyTheX86_64FragmentIsAttached();
        CorralChecks.assertHelperFromFragmentRunsPrograms(bundleContext);
        try {
            assertOtherFragmentsStayInstalledAndUnattached();
        } catch (AssertionError e) {
            otherFragmentsProblem = e;
        }

        String doctor = execute("corral:doctor");
        assertTrue("corral:doctor names the attached fragment:\n" + doctor, doctor.contains(FRAGMENT_X86_64));

        // and it goes away cleanly: no Corral bundle, no helper left running. Without a refresh (-r): this test
        // bundle imports Corral's API dynamically, and a refresh would restart it under the running test
        Path data = karafData();
        CommandResult uninstall = run(admin(), "feature:uninstall -r corral-shell corral", INSTALL_BOUND);
        assertFalse(uninstall + karafLogExcerpt(), uninstall.failed());
        assertNull("supervisor uninstalled\n" + corralBundles(), bundle(SUPERVISOR));
        List<ProcessHandle> left = Procs.awaitGone(Procs.runningFrom(data), Duration.ofSeconds(30));
        assertTrue("programs still running from Karaf's data area after feature:uninstall:\n"
                + Procs.describe(left), left.isEmpty());

        // checked last, so that the outcome of everything above is known whatever this says
        if (otherFragmentsProblem != null) {
            throw otherFragmentsProblem;
        }
    }
}
