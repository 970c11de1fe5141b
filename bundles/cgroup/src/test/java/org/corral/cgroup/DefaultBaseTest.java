package org.corral.cgroup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.corral.api.CgroupException;
import org.junit.jupiter.api.Test;

/** The rules that choose the default base, on a described hierarchy (no file system). */
class DefaultBaseTest {

    static final String MOUNT = "/sys/fs/cgroup";

    /** A hierarchy described by its cgroups: owner uid, writable, delegation mark. */
    static final class Hierarchy implements DefaultBase.Probe {
        final Map<String, Integer> owner = new HashMap<>();
        final Set<String> writable = new HashSet<>();
        final Set<String> marked = new HashSet<>();

        Hierarchy cgroup(String path, int uid, boolean canWrite, boolean mark) {
            owner.put(path, uid);
            if (canWrite) {
                writable.add(path);
            }
            if (mark) {
                marked.add(path);
            }
            return this;
        }

        @Override
        public boolean exists(String relative) {
            return owner.containsKey(relative);
        }

        @Override
        public boolean delegateMark(String relative) {
            return marked.contains(relative);
        }

        @Override
        public int ownerUid(String relative) {
            return owner.getOrDefault(relative, -1);
        }

        @Override
        public boolean writable(String relative) {
            return writable.contains(relative);
        }
    }

    static DefaultBase choose(String setting, String own, int euid, Hierarchy h) {
        return DefaultBase.choose(setting, Optional.ofNullable(own), euid, h, MOUNT);
    }

    /** A systemd host: root, slices and a service, all root-owned; root may write them all. */
    static Hierarchy systemd(boolean rootWrites, boolean markService) {
        return new Hierarchy().cgroup("", 0, rootWrites, false).cgroup("system.slice", 0, rootWrites, false)
                .cgroup("system.slice/karaf.service", 0, rootWrites, markService)
                .cgroup("system.slice/karaf.service/supervisor", 0, rootWrites, false);
    }

    @Test
    void aRootJvmInTheRootCgroupUsesCorralAtTheTop() {
        DefaultBase d = choose(null, "", 0, new Hierarchy().cgroup("", 0, true, false));
        assertEquals(Optional.of("corral"), d.base());
        assertEquals(Optional.of(""), d.delegated());
        assertEquals(DefaultBase.Source.ROOT_CGROUP, d.source());
        assertTrue(d.automatic());
        assertTrue(d.explanation().contains("/sys/fs/cgroup/corral"), d.explanation());
        assertEquals(d, choose("auto", "", 0, new Hierarchy().cgroup("", 0, true, false)));
        assertEquals(d, choose("  AUTO ", "", 0, new Hierarchy().cgroup("", 0, true, false)));
    }

    @Test
    void aJvmThatMayNotWriteTheRootCgroupGetsNone() {
        DefaultBase d = choose(null, "", 1000, new Hierarchy().cgroup("", 0, false, false));
        assertEquals(Optional.empty(), d.base());
        assertEquals(DefaultBase.Source.UNAVAILABLE, d.source());
        assertTrue(d.explanation().startsWith(DefaultBase.NO_CGROUP + ": "), d.explanation());
        assertTrue(d.explanation().contains("uid 1000"), d.explanation());
    }

    @Test
    void aDelegatedServiceKeepsItsProgramsInsideItsCgroup() {
        DefaultBase d = choose(null, "system.slice/karaf.service", 0, systemd(true, true));
        assertEquals(Optional.of("system.slice/karaf.service/corral"), d.base());
        assertEquals(Optional.of("system.slice/karaf.service"), d.delegated());
        assertEquals(DefaultBase.Source.DELEGATED, d.source());
        assertEquals(java.util.List.of(), d.notes());
        // DelegateSubgroup=supervisor: the JVM starts below the delegated cgroup; the programs go beside it
        DefaultBase sub = choose(null, "system.slice/karaf.service/supervisor", 0, systemd(true, true));
        assertEquals(Optional.of("system.slice/karaf.service/corral"), sub.base());
        assertEquals(Optional.of("system.slice/karaf.service"), sub.delegated());
        assertTrue(sub.explanation().contains("lies in /system.slice/karaf.service"), sub.explanation());
    }

    @Test
    void anUnprivilegedDelegatedServiceUsesItsChownedCgroup() {
        Hierarchy h = new Hierarchy().cgroup("", 0, false, false).cgroup("system.slice", 0, false, false)
                .cgroup("system.slice/karaf.service", 995, true, true);
        DefaultBase d = choose(null, "system.slice/karaf.service", 995, h);
        assertEquals(Optional.of("system.slice/karaf.service/corral"), d.base());
        assertEquals(DefaultBase.Source.DELEGATED, d.source());
        // systemd before 251 marks nothing, but chowns the delegated cgroup: its own cgroup, with a note
        h.marked.clear();
        DefaultBase old = choose(null, "system.slice/karaf.service", 995, h);
        assertEquals(Optional.of("system.slice/karaf.service/corral"), old.base());
        assertEquals(DefaultBase.Source.OWN_CGROUP, old.source());
        assertEquals(1, old.notes().size());
        assertTrue(old.notes().get(0).contains("Delegate=yes"), old.notes().toString());
    }

    @Test
    void aRootJvmInAnUnmarkedCgroupStaysInsideIt() {
        DefaultBase d = choose(null, "system.slice/karaf.service", 0, systemd(true, false));
        assertEquals(Optional.of("system.slice/karaf.service/corral"), d.base());
        assertEquals(Optional.of("system.slice/karaf.service"), d.delegated());
        assertEquals(DefaultBase.Source.OWN_CGROUP, d.source());
        assertFalse(d.notes().isEmpty());
    }

    @Test
    void anUnprivilegedJvmInSomeoneElsesCgroupGetsNoneAndTheReason() {
        Hierarchy h = new Hierarchy().cgroup("", 0, false, false).cgroup("user.slice", 0, false, false)
                .cgroup("user.slice/session-3.scope", 0, false, false);
        DefaultBase d = choose(null, "user.slice/session-3.scope", 1000, h);
        assertEquals(Optional.empty(), d.base());
        assertEquals(Optional.empty(), d.delegated());
        assertTrue(d.explanation().contains("owned by uid 0"), d.explanation());
        assertTrue(d.explanation().contains("Delegate=yes"), d.explanation());
        assertTrue(d.explanation().contains(DefaultBase.PROPERTY), d.explanation());
        // a cgroup that carries the mark but may not be written does not count
        h.marked.add("user.slice/session-3.scope");
        assertEquals(Optional.empty(), choose(null, "user.slice/session-3.scope", 1000, h).base());
        // writable by it but owned by another uid (group write, say): not its own, no mark: none
        h.marked.clear();
        h.writable.add("user.slice/session-3.scope");
        assertEquals(Optional.empty(), choose(null, "user.slice/session-3.scope", 1000, h).base());
    }

    @Test
    void theSettingOverridesOrDisables() {
        Hierarchy h = systemd(true, true);
        DefaultBase none = choose("none", "system.slice/karaf.service", 0, h);
        assertEquals(Optional.empty(), none.base());
        assertEquals(DefaultBase.Source.DISABLED, none.source());
        assertEquals(Optional.of("system.slice/karaf.service"), none.delegated(), "explicit bases below it still may move the JVM");
        assertTrue(none.explanation().contains(DefaultBase.PROPERTY + " = none"), none.explanation());
        DefaultBase path = choose("gateway/programs/", "system.slice/karaf.service", 0, h);
        assertEquals(Optional.of("gateway/programs"), path.base());
        assertEquals(DefaultBase.Source.CONFIGURED, path.source());
        assertFalse(path.automatic(), "a configured base is not removed at close unless Corral created it");
        for (String bad : new String[] {"/abs", "a/../b", "a//b", "."}) {
            DefaultBase d = choose(bad, "system.slice/karaf.service", 0, h);
            assertEquals(Optional.empty(), d.base(), bad);
            assertEquals(DefaultBase.Source.UNAVAILABLE, d.source(), bad);
            assertTrue(d.explanation().contains(DefaultBase.PROPERTY + " = '" + bad + "' is invalid"), d.explanation());
            CgroupException e = assertThrows(CgroupException.class, () -> DefaultBase.checkSetting(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
        DefaultBase.checkSetting(null);
        DefaultBase.checkSetting("auto");
        DefaultBase.checkSetting("NONE");
        DefaultBase.checkSetting("a/b");
    }

    @Test
    void anUnknownOrForeignOwnCgroupGivesNone() {
        Hierarchy h = new Hierarchy().cgroup("", 0, true, false);
        assertTrue(choose(null, null, 0, h).explanation().contains("unknown"));
        DefaultBase elsewhere = choose(null, "lxc/payload", 0, h);
        assertEquals(Optional.empty(), elsewhere.base());
        assertTrue(elsewhere.explanation().contains("not below the cgroup2 mount"), elsewhere.explanation());
    }
}
