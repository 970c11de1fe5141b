package org.corral.itests.support;

import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.systemTimeout;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.container.remote.RBCRemoteTargetOptions;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;

/**
 * Pax Exam options for one Karaf container per test class (evaluated in the test JVM, never in Karaf).
 *
 * <p>Pax Exam 4.14 no longer adds the JVM options Karaf needs on Java 9+ (bin/karaf adds them): without
 * the {@code --patch-module} of the specs locator, Karaf fails with {@code NoClassDefFoundError:
 * org/apache/karaf/specs/locator/OsgiLocator}. Ports are chosen free at runtime, the Maven local
 * repository is passed on (Pax Exam ignores {@code maven.repo.local}), and the runtime folder is kept
 * under {@code target/it/exam} for post-mortems (its {@code data/log/karaf.log}).
 */
public final class KarafOptions {

    /** Bound on Karaf's boot and on each Pax Exam service wait: a hang fails instead of blocking CI. */
    public static final long SYSTEM_TIMEOUT_MS = 180_000;

    private KarafOptions() {
    }

    /** The project's own distribution (target/dist, copied there by the build). */
    public static Option[] corralDistribution(Option... extra) {
        return karaf(ItestPaths.distributionArchive(), extra);
    }

    /** A stock Apache Karaf of the same version, for installing the feature on a fresh Karaf. */
    public static Option[] stockKaraf(Option... extra) {
        return karaf(ItestPaths.stockKarafArchive(), extra);
    }

    private static Option[] karaf(Path archive, Option... extra) {
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException("Karaf archive " + archive + " does not exist: run the itests through Maven "
                    + "(mvn verify), which builds the distribution and copies it there");
        }
        String karafVersion = ItestPaths.require("karaf.version");
        String localRepository = ItestPaths.require("org.ops4j.pax.url.mvn.localRepository");
        File unpack = ItestPaths.itestDir().resolve("exam").toFile();

        List<Option> options = new ArrayList<>();
        options.add(karafDistributionConfiguration()
                .frameworkUrl(archive.toUri().toString())
                .karafVersion(karafVersion)
                .name("Apache Karaf")
                .unpackDirectory(unpack)
                .useDeployFolder(false));
        options.add(keepRuntimeFolder());
        options.add(configureConsole().ignoreLocalConsole());
        options.add(logLevel(LogLevel.INFO));
        options.add(systemTimeout(SYSTEM_TIMEOUT_MS));
        options.add(RBCRemoteTargetOptions.waitForRBCFor((int) SYSTEM_TIMEOUT_MS));
        // @Inject waits 10 s by default: too short when a service is re-registered on a busy machine
        options.add(systemProperty("pax.exam.service.timeout").value("120000"));
        options.add(systemProperty("org.ops4j.pax.exam.raw.extender.intern.Parser.DEFAULT_TIMEOUT").value("120000"));

        // free ports for everything Karaf listens on, so that containers never collide
        options.add(editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", freePort()));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshHost", "127.0.0.1"));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", freePort()));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", freePort()));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryHost", "127.0.0.1"));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerHost", "127.0.0.1"));

        options.add(editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg",
                "org.ops4j.pax.url.mvn.localRepository", localRepository));
        options.add(editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "updateSnapshots", "none"));
        options.add(editConfigurationFilePut("etc/branding.properties", "welcome", ""));

        // where the tests find their programs and the build directory, inside Karaf
        for (String key : ItestPaths.PASSED_TO_KARAF) {
            options.add(systemProperty(key).value(ItestPaths.require(key)));
        }

        options.addAll(java17Options(karafVersion));
        options.addAll(Arrays.asList(extra));
        return options.toArray(new Option[0]);
    }

    /** What bin/karaf adds on Java 9+ (Karaf 4.4.x), relative to KARAF_HOME (the container's working directory). */
    static List<Option> java17Options(String karafVersion) {
        List<Option> vm = new ArrayList<>();
        for (String arg : new String[] {
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
                "--add-exports=java.security.sasl/com.sun.security.sasl=ALL-UNNAMED",
                "--add-exports=java.naming/com.sun.jndi.ldap=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*",
                "-Xmx512m",
        }) {
            vm.add(new VMOption(arg));
        }
        return vm;
    }

    /** A port free on loopback right now. */
    static String freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return Integer.toString(socket.getLocalPort());
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on loopback", e);
        }
    }
}
