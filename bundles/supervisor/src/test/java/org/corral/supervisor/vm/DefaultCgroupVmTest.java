package org.corral.supervisor.vm;

import static org.corral.supervisor.support.TestSupport.prog;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.ProcessResult;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.Corral;
import org.corral.supervisor.support.DelegatedChildMain;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * cgroups by default with real controllers (the guest's pure cgroup v2 kernel): a JVM in the root cgroup puts
 * limited programs under {@code corral} at the top; a JVM in a delegated "service" cgroup keeps every program
 * inside it and moves itself into {@code supervisor} only when a limit first needs a controller; with systemd's
 * {@code DelegateSubgroup=} layout nothing moves; an unprivileged JVM in a cgroup chowned to it does the same.
 * The test plays systemd: it enables the controllers in the root cgroup (as systemd does for a delegated unit)
 * and marks the service cgroup with {@code user.delegate=1}.
 */
@Tag("vm")
@ExtendWith(NoLeftovers.class)
class DefaultCgroupVmTest {

    static final Path ROOT = Path.of("/sys/fs/cgroup");
    Path svc;
    final List<Process> children = new ArrayList<>();

    @BeforeEach
    void service() throws IOException {
        Files.writeString(ROOT.resolve("cgroup.subtree_control"), "+memory +pids +cpu");
        svc = Files.createDirectory(ROOT.resolve("svc-" + UUID.randomUUID().toString().substring(0, 8) + ".service"));
    }

    @AfterEach
    void removeService() throws Exception {
        for (Process c : children) {
            c.descendants().forEach(ProcessHandle::destroyForcibly);
            c.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
        }
        try (CgroupManager m = CgroupManager.open()) {
            if (Files.isDirectory(svc)) {
                m.kill(svc, Duration.ZERO);
                m.remove(List.of(svc));
            }
        }
    }

    static void mark(Path dir) throws IOException {
        Files.getFileAttributeView(dir, UserDefinedFileAttributeView.class)
                .write(DefaultBase.DELEGATE_XATTR, ByteBuffer.wrap("1".getBytes(StandardCharsets.US_ASCII)));
    }

    static List<String> procs(Path cgroup) throws IOException {
        String t = Files.readString(cgroup.resolve("cgroup.procs")).trim();
        return t.isEmpty() ? List.of() : List.of(t.split("\\s+"));
    }

    static String rel(Path cgroup) {
        return ROOT.relativize(cgroup).toString();
    }

    /** Starts {@link DelegatedChildMain} inside {@code cgroup}, as {@code uid} (0: root); returns its facts. */
    Map<String, List<String>> child(Path cgroup, int uid, Process[] started) throws Exception {
        String cp = System.getProperty("java.class.path");
        Path runtime = Files.createTempDirectory("corral-vm-child-");
        if (uid != 0) {
            cp = readableCopy(cp, uid);
            Files.setAttribute(runtime, "unix:uid", uid);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cmd = "echo $$ > '" + cgroup.resolve("cgroup.procs") + "' && exec "
                + (uid != 0 ? "setpriv --reuid=" + uid + " --regid=" + uid + " --clear-groups " : "")
                + "'" + java + "' -Xmx64m -XX:TieredStopAtLevel=1 -Dcorral.test.tag=" + TestSupport.TAG
                + " -cp '" + cp + "' " + DelegatedChildMain.class.getName() + " '" + runtime + "' '"
                + TestSupport.testprogs() + "'";
        Process p = new ProcessBuilder("/bin/sh", "-c", cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        children.add(p);
        started[0] = p;
        Map<String, List<String>> facts = new LinkedHashMap<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        for (String line; (line = r.readLine()) != null && !line.equals("ready"); ) {
            int sp = line.indexOf(' ');
            facts.computeIfAbsent(sp < 0 ? line : line.substring(0, sp), k -> new ArrayList<>())
                    .add(sp < 0 ? "" : line.substring(sp + 1));
        }
        assertTrue(facts.containsKey("daemon.after"), "the child reported everything: " + facts);
        return facts;
    }

    /** Closes the child's stdin: it closes Corral and exits. */
    static void finish(Process p) throws Exception {
        p.getOutputStream().close();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child closed Corral and exited");
        assertEquals(0, p.exitValue());
    }

    /** A copy of the class path that {@code uid} can read (the build's repository is root's only). */
    static String readableCopy(String cp, int uid) throws IOException {
        Path dir = Files.createTempDirectory("corral-vm-cp-");
        List<String> out = new ArrayList<>();
        int i = 0;
        for (String entry : cp.split(":")) {
            if (entry.isEmpty()) {
                continue;
            }
            Path src = Path.of(entry);
            Path dst = dir.resolve((i++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path f : s.collect(Collectors.toList())) {
                        Path t = dst.resolve(src.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(t);
                        } else {
                            Files.copy(f, t, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else if (Files.exists(src)) {
                Files.copy(src, dst);
            } else {
                continue;
            }
            out.add(dst.toString());
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.collect(Collectors.toList())) {
                Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString(
                        Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return String.join(":", out);
    }

    @Test
    void aJvmInTheRootCgroupPutsLimitedProgramsUnderCorralAtTheTop() throws Exception {
        Path base = ROOT.resolve("corral");
        try (Corral corral = TestSupport.open()) {
            assertEquals(Optional.of("corral"), corral.containment().defaultCgroupBase());
            ProcessResult r = corral.run(CommandSpec.builder(prog("memory_hog"), "200")
                    .limits(CgroupLimits.builder().memoryMax("32M").build()).build());
            assertTrue(r.oomKilled(), r.toString());
            assertTrue(r.cgroupStats().orElseThrow().path().startsWith("corral/corral-"), r.toString());
        }
        assertFalse(Files.exists(base), "the automatic base is removed at close");
    }

    @Test
    void aDelegatedServiceKeepsItsProgramsAndMovesItselfOnlyForALimit() throws Exception {
        mark(svc);
        Process[] p = new Process[1];
        Map<String, List<String>> f = child(svc, 0, p);
        String s = rel(svc);
        assertEquals(List.of(s + "/corral"), f.get("base"));
        assertTrue(f.get("daemon").get(0).startsWith(s + "/corral/corral-"), f.toString());
        assertTrue(f.get("plain").get(0).startsWith(s + "/corral/corral-"), f.toString());
        List<String> own = f.get("own");
        assertEquals("/" + s, own.get(0), "the JVM starts in the service's cgroup");
        assertEquals("/" + s, own.get(1), "programs without limits move nothing");
        assertEquals("/" + s + "/supervisor", own.get(2), "the first limit moved the JVM into supervisor");
        assertTrue(f.get("limited").get(0).startsWith(s + "/corral/corral-") && f.get("limited").get(0).endsWith(" oom true"),
                f.toString());
        assertEquals(List.of("max"), f.get("own.memory.max"), "the JVM is in no limited cgroup");
        assertEquals(List.of("READY " + f.get("daemon").get(0)), f.get("daemon.after"), "the daemon ran on in its cgroup");
        // while the JVM runs: the service's cgroup holds no process, passes memory down, and nothing escaped it
        assertEquals(List.of(), procs(svc));
        assertTrue(procs(svc.resolve("supervisor")).contains(Long.toString(p[0].pid())), procs(svc.resolve("supervisor")).toString());
        assertTrue(Files.readString(svc.resolve("cgroup.subtree_control")).contains("memory"));
        finish(p[0]);
        assertFalse(Files.exists(svc.resolve("corral")), "the automatic base is removed at close");
    }

    @Test
    void withDelegateSubgroupNothingMoves() throws Exception {
        mark(svc);
        Path sup = Files.createDirectory(svc.resolve("supervisor"));
        Process[] p = new Process[1];
        Map<String, List<String>> f = child(sup, 0, p);
        String s = rel(svc);
        assertEquals(List.of(s + "/corral"), f.get("base"), "programs go beside supervisor, not below it");
        assertEquals(List.of("/" + s + "/supervisor", "/" + s + "/supervisor", "/" + s + "/supervisor"), f.get("own"));
        assertTrue(f.get("limited").get(0).endsWith(" oom true"), f.toString());
        assertFalse(Files.exists(sup.resolve("supervisor")), "no second leaf");
        finish(p[0]);
    }

    @Test
    void anUnprivilegedJvmInACgroupChownedToIt() throws Exception {
        int nobody = 65534;
        for (String file : List.of("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads")) {
            Files.setAttribute(file.isEmpty() ? svc : svc.resolve(file), "unix:uid", nobody, LinkOption.NOFOLLOW_LINKS);
        }
        mark(svc);
        Process[] p = new Process[1];
        Map<String, List<String>> f = child(svc, nobody, p);
        String s = rel(svc);
        assertEquals(List.of(s + "/corral"), f.get("base"));
        assertEquals("/" + s + "/supervisor", f.get("own").get(2));
        assertTrue(f.get("limited").get(0).endsWith(" oom true"), f.toString());
        assertEquals(nobody, (int) (Integer) Files.getAttribute(svc.resolve("supervisor"), "unix:uid"),
                "the JVM made its own leaf");
        finish(p[0]);
        assertFalse(Files.exists(svc.resolve("corral")));
    }
}
