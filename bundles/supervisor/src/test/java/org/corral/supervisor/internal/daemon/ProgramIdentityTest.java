package org.corral.supervisor.internal.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

import org.corral.api.Capability;
import org.corral.api.CgroupLimits;
import org.corral.api.CommandSpec;
import org.corral.api.Rlimit;
import org.corral.api.Signal;
import org.corral.api.StderrMode;
import org.corral.api.StdoutMode;
import org.corral.api.Stdin;
import org.junit.jupiter.api.Test;

class ProgramIdentityTest {

    private static final CommandSpec BASE = CommandSpec.builder("/bin/prog", "--flag").env("A", "1").env("B", "2")
            .unsetEnv("X").unsetEnv("Y").build();

    /** For each part: a change of that field alone. A new part of {@link ProgramIdentity#PARTS} needs one here. */
    private static final Map<String, UnaryOperator<CommandSpec.Builder>> CHANGE = new LinkedHashMap<>();

    static {
        CHANGE.put("argv", b -> b.command("/bin/prog", "--other"));
        CHANGE.put("arg0", b -> b.arg0("prog"));
        CHANGE.put("clearEnv", b -> b.clearEnv(true));
        CHANGE.put("env", b -> b.env("A", "changed"));
        CHANGE.put("unsetEnv", b -> b.unsetEnv("Z"));
        CHANGE.put("envFile", b -> b.envFile(java.nio.file.Path.of("/etc/corral/app.env")));
        CHANGE.put("directory", b -> b.directory(Path.of("/tmp")));
        CHANGE.put("stdin", b -> b.stdin(Stdin.text("input")));
        CHANGE.put("stderrMode", b -> b.stderr(StderrMode.MERGE));
        CHANGE.put("stdoutMode", b -> b.stdout(StdoutMode.DISCARD));
        CHANGE.put("user", b -> b.user("nobody"));
        CHANGE.put("group", b -> b.group("nogroup"));
        CHANGE.put("supplementaryGroups", b -> b.supplementaryGroups(List.of()));
        CHANGE.put("allowRoot", b -> b.allowRoot(true));
        CHANGE.put("cgroupBase", b -> b.cgroupBase("corral"));
        CHANGE.put("cgroupPath", b -> b.cgroupPath("corral/fixed"));
        CHANGE.put("allowPopulatedCgroup", b -> b.allowPopulatedCgroup(true));
        CHANGE.put("limits", b -> b.limits(CgroupLimits.builder().pidsMax(10).build()));
        CHANGE.put("defaultCgroup", b -> b.defaultCgroup(false));
        CHANGE.put("window", b -> b.window(8192));
        CHANGE.put("killDescendantsOnExit", b -> b.killDescendantsOnExit(false));
        CHANGE.put("noNewPrivileges", b -> b.noNewPrivileges(true));
        CHANGE.put("capabilities", b -> b.capabilities(Capability.NET_BIND_SERVICE));
        CHANGE.put("rlimits", b -> b.rlimit(Rlimit.NOFILE, 1024, 4096));
        CHANGE.put("nice", b -> b.nice(5));
        CHANGE.put("oomScoreAdj", b -> b.oomScoreAdj(500));
        CHANGE.put("umask", b -> b.umask(0027));
    }

    private static ProgramIdentity id(CommandSpec c) {
        return ProgramIdentity.of(c);
    }

    @Test
    void everyAccessorOfCommandSpecIsAPartOrDeliberatelyNot() {
        Set<String> parts = ProgramIdentity.PARTS.stream().map(ProgramIdentity.Part::accessor).collect(Collectors.toSet());
        List<String> unclassified = new ArrayList<>();
        for (Method m : CommandSpec.class.getDeclaredMethods()) {
            if (!Modifier.isPublic(m.getModifiers()) || Modifier.isStatic(m.getModifiers()) || m.getParameterCount() > 0
                    || Set.of("toString", "hashCode", "equals").contains(m.getName())) {
                continue;
            }
            boolean part = parts.contains(m.getName());
            boolean notPart = ProgramIdentity.NOT_PART.containsKey(m.getName());
            assertFalse(part && notPart, m.getName() + " is both a part and not");
            if (!part && !notPart) {
                unclassified.add(m.getName());
            }
        }
        assertTrue(unclassified.isEmpty(), "CommandSpec." + unclassified + " must be added to ProgramIdentity.PARTS"
                + " (a change needs a new process) or NOT_PART (with the reason)");
        for (String p : parts) {
            assertTrue(hasAccessor(p), "part " + p + " is no accessor of CommandSpec");
        }
    }

    private static boolean hasAccessor(String name) {
        try {
            return CommandSpec.class.getMethod(name) != null;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    @Test
    void eachPartAloneChangesTheIdentityAndTheFingerprint() {
        assertEquals(ProgramIdentity.PARTS.stream().map(ProgramIdentity.Part::accessor).collect(Collectors.toList()),
                new ArrayList<>(CHANGE.keySet()), "every part has a change in this test, in the order of PARTS");
        ProgramIdentity base = id(BASE);
        Set<String> fingerprints = new TreeSet<>();
        fingerprints.add(base.fingerprint());
        for (Map.Entry<String, UnaryOperator<CommandSpec.Builder>> e : CHANGE.entrySet()) {
            CommandSpec changed = e.getValue().apply(BASE.toBuilder()).build();
            ProgramIdentity other = id(changed);
            assertNotEquals(base, other, e.getKey());
            assertEquals(List.of(e.getKey()), base.differences(other), e.getKey());
            assertTrue(ProgramIdentity.changed(BASE, changed), e.getKey());
            assertTrue(fingerprints.add(other.fingerprint()), e.getKey() + " gives a fingerprint of its own");
        }
    }

    @Test
    void whatIsNotAPartNeedsNoRestart() {
        CommandSpec changed = BASE.toBuilder().killSignal(Signal.INT).grace(Duration.ofSeconds(9))
                .timeout(Duration.ofSeconds(1)).collectOutput(false).maxOutputBytes(10).consumer((s, b) -> { })
                .build();
        assertEquals(id(BASE), id(changed));
        assertEquals(id(BASE).hashCode(), id(changed).hashCode());
        assertEquals(id(BASE).fingerprint(), id(changed).fingerprint());
        assertFalse(ProgramIdentity.changed(BASE, changed));
    }

    @Test
    void orderOfEnvironmentAndUnsetDoesNotMatter() {
        CommandSpec reordered = CommandSpec.builder("/bin/prog", "--flag").env("B", "2").env("A", "1").unsetEnv("Y")
                .unsetEnv("X").build();
        assertEquals(id(BASE), id(reordered));
        assertEquals(id(BASE).fingerprint(), id(reordered).fingerprint());
    }

    @Test
    void stdinIsComparedByContent() {
        CommandSpec a = BASE.toBuilder().stdin(Stdin.bytes(new byte[] {1, 2, 3})).build();
        CommandSpec same = BASE.toBuilder().stdin(Stdin.bytes(new byte[] {1, 2, 3})).build();
        CommandSpec other = BASE.toBuilder().stdin(Stdin.bytes(new byte[] {1, 2, 4})).build();
        assertEquals(id(a), id(same), "equal bytes in another array: the same program");
        assertNotEquals(id(a), id(other), "other bytes of the same length");
        assertNotEquals(id(BASE.toBuilder().stdin(Stdin.file(Path.of("/a"))).build()),
                id(BASE.toBuilder().stdin(Stdin.file(Path.of("/b"))).build()));
    }

    /** The cases where the two hand-kept lists of before gave different answers, or none that was right. */
    @Test
    void valuesThatOnceReadTheSameAreTold() {
        assertNotEquals(id(BASE.toBuilder().supplementaryGroups(List.of()).build()), id(BASE),
                "no supplementary groups is not the user's groups");
        CommandSpec oneVar = CommandSpec.builder("/bin/prog").env("A", "1, B=2").build();
        CommandSpec twoVars = CommandSpec.builder("/bin/prog").env("A", "1").env("B", "2").build();
        assertNotEquals(id(oneVar), id(twoVars));
        assertNotEquals(id(oneVar).fingerprint(), id(twoVars).fingerprint());
        assertNotEquals(id(CommandSpec.builder("/bin/prog", "a,b").build()),
                id(CommandSpec.builder("/bin/prog", "a", "b").build()));
        assertNotEquals(id(CommandSpec.builder("/bin/prog").arg0("").build()), id(CommandSpec.of("/bin/prog")),
                "an empty arg0 is not an absent one");
        assertNotEquals(id(CommandSpec.builder("/bin/prog", "x\"]").build()),
                id(CommandSpec.builder("/bin/prog", "x", "]").build()));
    }

    @Test
    void hardeningValuesAreTold() {
        assertNotEquals(id(BASE.toBuilder().capabilities().build()), id(BASE), "no capability at all is not unchanged");
        assertNotEquals(id(BASE.toBuilder().rlimit(Rlimit.NOFILE, 10, 20).build()),
                id(BASE.toBuilder().rlimit(Rlimit.NOFILE, 10, 30).build()), "another hard limit");
        assertNotEquals(id(BASE.toBuilder().rlimit(Rlimit.NOFILE, 10, 20).build()),
                id(BASE.toBuilder().rlimit(Rlimit.NPROC, 10, 20).build()), "another resource");
        assertEquals(id(BASE.toBuilder().capabilities(Capability.KILL, Capability.CHOWN).build()),
                id(BASE.toBuilder().capabilities(Capability.CHOWN, Capability.KILL).build()), "a set: order is no change");
        assertNotEquals(id(BASE.toBuilder().nice(0).build()), id(BASE), "nice 0 is not the JVM's nice");
    }

    @Test
    void fingerprintHasAVersionedFormAndAnOldOneNeverMatches() {
        String f = id(BASE).fingerprint();
        assertTrue(f.matches("p2-[0-9a-f]{64}"), f);
        assertTrue(id(BASE).matches(f));
        assertFalse(id(BASE).matches(f.substring(3)), "a fingerprint of the previous form");
    }

    /**
     * Parts at their default are left out, so that a field added to {@code CommandSpec} later changes neither the
     * form nor the fingerprint of a spec that does not set it: handed-over programs are not restarted for it. The
     * pinned fingerprint fails when the form changes by accident.
     */
    @Test
    void partsAtTheirDefaultAreLeftOutAndTheFormIsPinned() {
        CommandSpec plain = CommandSpec.of("/usr/sbin/mosquitto", "-c", "/etc/mosquitto/mosquitto.conf");
        assertEquals("argv=[\"/usr/sbin/mosquitto\",\"-c\",\"/etc/mosquitto/mosquitto.conf\"]\n",
                id(plain).canonical());
        assertEquals("p2-757b665314e49af0dcfe319728f2e8f36f67f71c9d39ecfa9a25abb972952778", id(plain).fingerprint(),
                "sha256sum of the line above");
        CommandSpec user = plain.toBuilder().user("mosquitto").env("LANG", "C").build();
        assertEquals("argv=[\"/usr/sbin/mosquitto\",\"-c\",\"/etc/mosquitto/mosquitto.conf\"]\n"
                + "env={\"LANG\"=\"C\"}\nuser=\"mosquitto\"\n", id(user).canonical());
    }

    @Test
    void secretsStayOutOfTheTextShown() {
        CommandSpec secret = BASE.toBuilder().env("PASSWORD", "hunter2").build();
        assertFalse(id(secret).toString().contains("hunter2"));
        assertEquals(List.of("env"), id(BASE).differences(id(secret)));
        assertTrue(id(secret).canonical().contains("\"PASSWORD\"=\"hunter2\""));
    }
}
