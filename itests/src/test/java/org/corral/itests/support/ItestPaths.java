package org.corral.itests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where things are, from the system properties the build sets (failsafe in the test JVM, Pax Exam
 * {@code systemProperty} options inside Karaf). Every path is absolute.
 */
public final class ItestPaths {

    /** Properties the test JVM passes on to the Karaf container. */
    static final List<String> PASSED_TO_KARAF = List.of("itest.testprogs", "itest.dir", "itest.buildDir");

    private ItestPaths() {
    }

    static String require(String key) {
        String value = System.getProperty(key);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: run the itests through Maven "
                    + "(mvn verify in the reactor or in itests/)");
        }
        return value;
    }

    /** The project's Karaf distribution archive. */
    public static Path distributionArchive() {
        return Paths.get(require("itest.distribution"));
    }

    /** The stock Apache Karaf archive of the same version. */
    public static Path stockKarafArchive() {
        return Paths.get(require("itest.stockKaraf"));
    }

    /** target/it: runtime folders, copies of the test programs, unpacked distributions. */
    public static Path itestDir() {
        return Paths.get(require("itest.dir"));
    }

    /** The module's target directory: no test process may run an executable from under it after the tests. */
    public static Path buildDir() {
        return Paths.get(require("itest.buildDir"));
    }

    /** The built test programs (native/testprogs). */
    public static Path testprogs() {
        Path dir = Paths.get(require("itest.testprogs"));
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("test programs missing at " + dir
                    + ": the build runs make -C native testprogs OUT=target/native before the itests");
        }
        return dir;
    }

    /**
     * A private copy of the test programs for one test class, under target/it/progs/{@code label}-{@code
     * random}: every process running one of them (forks included, the programs do not exec) is
     * attributable to that test through {@code /proc/<pid>/exe}.
     */
    public static Path privateTestprogs(String label) {
        Path dir = itestDir().resolve("progs").resolve(label + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectories(dir);
            try (Stream<Path> progs = Files.list(testprogs())) {
                for (Path prog : (Iterable<Path>) progs::iterator) {
                    if (Files.isRegularFile(prog) && Files.isExecutable(prog)) {
                        Files.copy(prog, dir.resolve(prog.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy the test programs to " + dir, e);
        }
        return dir;
    }

    /**
     * Unpacks a Karaf archive (tar.gz or zip) into a new directory under target/it/{@code label} and
     * returns the Karaf home inside it (the archive's single top-level directory).
     */
    public static Path unpack(Path archive, String label) {
        Path dest = itestDir().resolve(label + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectories(dest);
            String name = archive.getFileName().toString();
            List<String> command = name.endsWith(".zip")
                    ? List.of("unzip", "-q", archive.toString(), "-d", dest.toString())
                    : List.of("tar", "-xzf", archive.toString(), "-C", dest.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(dest.resolve("unpack.log").toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("unpacking " + archive + " took more than 120 s");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("unpacking " + archive + " failed (exit " + p.exitValue() + "), see "
                        + dest.resolve("unpack.log"));
            }
            try (Stream<Path> entries = Files.list(dest)) {
                List<Path> homes = entries.filter(Files::isDirectory).toList();
                if (homes.size() != 1) {
                    throw new IllegalStateException(archive + " should hold one top-level directory, found " + homes);
                }
                return homes.get(0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + archive + " into " + dest, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while unpacking " + archive, e);
        }
    }
}
