package org.corral.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.karaf.features.Feature;
import org.corral.api.DaemonState;
import org.corral.itests.support.Await;
import org.corral.itests.support.CorralChecks;
import org.corral.itests.support.KarafOptions;
import org.corral.itests.support.DaemonTestBase;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/** The project's Karaf distribution as it boots: Corral boot-installed, its example daemon picked up. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class DistributionIT extends DaemonTestBase {

    @Configuration
    public Option[] config() {
        return KarafOptions.corralDistribution(users());
    }

    @Test
    public void corralIsBootInstalledWithTheX86_64Helper() throws Exception {
        for (String name : List.of("corral", "corral-shell")) {
            Feature f = featuresService.getFeature(name);
            assertTrue("feature " + name + " is installed at boot\n" + corralBundles() + karafLogExcerpt(),
                    f != null && featuresService.isInstalled(f));
        }
        for (String bsn : List.of("org.corral.api", "org.corral.cgroup", SUPERVISOR, "org.corral.shell")) {
            assertEquals("state of " + bsn + "\n" + corralBundles() + karafLogExcerpt(), "ACTIVE",
                    bundle(bsn) == null ? "not installed" : stateName(bundle(bsn).getState()));
        }
        assertOnlyTheX86_64FragmentIsAttached();
        CorralChecks.assertHelperFromFragmentRunsPrograms(bundleContext);
    }

    /**
     * The first boot installs the boot features in one deployment, without stopping Karaf's own bundles
     * again (which happens when a boot feature brings a package that startup bundles import optionally,
     * e.g. Event Admin's, when eventadmin is not a startup feature as in Karaf's own assembly): services
     * would vanish and come back under the operator's first commands.
     */
    @Test
    public void firstBootRestartsNoneOfKarafsOwnBundles() throws IOException {
        List<String> log = Files.readAllLines(karafLog());
        List<String> stopping = new java.util.ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            if (log.get(i).contains("| Stopping bundles:")) {
                for (int j = i + 1; j < log.size() && log.get(j).matches(".*\\|\\s{3}\\S+/\\S+$"); j++) {
                    stopping.add(log.get(j).replaceAll(".*\\|\\s+", ""));
                }
            }
        }
        assertTrue("the boot deployment stopped bundles again: " + stopping, stopping.isEmpty());
    }

    @Test
    public void theOtherArchitecturesFragmentsStayInstalledAndUnattached() {
        assertOtherFragmentsStayInstalledAndUnattached();
    }

    @Test
    public void exampleDaemonRunsOutOfTheBox() throws IOException {
        List<Path> examples;
        try (Stream<Path> etc = Files.list(karafEtc())) {
            examples = etc.filter(p -> p.getFileName().toString().matches("org\\.corral\\.daemon-.+\\.cfg"))
                    .collect(Collectors.toList());
        }
        assertFalse("the distribution ships an example etc/org.corral.daemon-<name>.cfg", examples.isEmpty());
        for (Path cfg : examples) {
            Properties p = new Properties();
            try (var in = Files.newInputStream(cfg)) {
                p.load(in);
            }
            String file = cfg.getFileName().toString();
            String name = p.getProperty("name", file.substring("org.corral.daemon-".length(), file.length() - 4)).trim();
            // the example runs out of the box: it reaches READY (it has a readiness check)
            awaitDaemon(name, "READY (from " + cfg + ")", runningIn(DaemonState.READY), Await.SECONDS);
        }
    }
}
