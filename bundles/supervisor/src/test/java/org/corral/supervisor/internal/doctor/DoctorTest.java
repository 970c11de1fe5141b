package org.corral.supervisor.internal.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.corral.api.Containment;
import org.junit.jupiter.api.Test;

class DoctorTest {

    private static final Containment FULL = new Containment(Containment.Mode.HELPER_CGROUP,
            Optional.of("/k/data/cache/corral-helper"), "x86_64", Optional.of("/sys/fs/cgroup"), List.of(),
            Optional.of("system.slice/karaf.service/corral"));
    private static final List<Doctor.Fragment> X86 = List.of(new Doctor.Fragment("org.corral.native.x86_64", "Resolved",
            true));
    private static final List<String> ALL = List.of("cpuset", "cpu", "io", "memory", "pids");

    private static Doctor.Finding find(List<Doctor.Finding> fs, String subject) {
        return fs.stream().filter(f -> f.subject().equals(subject)).findFirst()
                .orElseThrow(() -> new AssertionError("no finding " + subject + " in " + fs));
    }

    @Test
    void aDelegatedCgroup2HostPassesEveryCheck() {
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(new Doctor.CgroupLevel("", ALL, ALL),
                        new Doctor.CgroupLevel("karaf.service", ALL, List.of())), true, false));
        assertEquals(List.of(), fs.stream().filter(f -> f.level() != Doctor.Level.OK).collect(Collectors.toList()));
        assertTrue(find(fs, "helper").detail().contains("/k/data/cache/corral-helper"));
        assertTrue(find(fs, "memory controller").detail().contains("/karaf.service"));
    }

    @Test
    void noSupervisorNoHelperNoMount() {
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(null, "riscv64", "riscv64", List.of(), null,
                "no cgroup2 file system is mounted", Map.of(), List.of(), false, false));
        assertEquals(Doctor.Level.FAIL, find(fs, "supervisor").level());
        assertTrue(find(fs, "supervisor").fix().contains("feature:install corral"));
        assertEquals(Doctor.Level.FAIL, find(fs, "fragments").level());
        assertEquals(Doctor.Level.FAIL, find(fs, "cgroup2 mount").level());
        assertEquals("no cgroup2 file system is mounted", find(fs, "cgroup2 mount").fix());
    }

    @Test
    void fallbackModeNamesTheArchitectureAndTheFragments() {
        Containment fallback = new Containment(Containment.Mode.JAVA_FALLBACK, Optional.empty(), "riscv64",
                Optional.empty(), List.of("descendants can escape"));
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(fallback, "riscv64", "riscv64", List.of(), null,
                "none", Map.of(), List.of(), false, false));
        assertEquals(Doctor.Level.FAIL, find(fs, "containment").level());
        Doctor.Finding helper = find(fs, "helper");
        assertEquals(Doctor.Level.FAIL, helper.level());
        assertTrue(helper.detail().contains("riscv64"));
        assertTrue(helper.fix().contains("org.corral.native.aarch64"));
        assertEquals("descendants can escape", find(fs, "limitation").detail());
    }

    @Test
    void controllersHeldByCgroupV1AskForAUnifiedBoot() {
        Containment helperOnly = new Containment(Containment.Mode.HELPER, Optional.of("/h"), "x86_64",
                Optional.of("/sys/fs/cgroup/unified"), List.of());
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(helperOnly, "amd64", "x86-64", X86,
                "/sys/fs/cgroup/unified", null, Map.of("memory", "/sys/fs/cgroup/memory"),
                List.of(new Doctor.CgroupLevel("", List.of("hugetlb"), List.of())), true, false));
        assertEquals(Doctor.Level.WARN, find(fs, "containment").level());
        Doctor.Finding memory = find(fs, "memory controller");
        assertEquals(Doctor.Level.FAIL, memory.level());
        assertTrue(memory.detail().contains("/sys/fs/cgroup/memory"));
        assertTrue(memory.fix().contains("systemd.unified_cgroup_hierarchy=1"));
        Doctor.Finding cpu = find(fs, "cpu controller");
        assertTrue(cpu.detail().contains("not offered by the kernel"));
        assertEquals(Doctor.Level.WARN, find(fs, "io controller").level());
    }

    @Test
    void aMissingMemoryControllerPointsAtTheRaspberryPiCmdline() {
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(FULL, "arm", "arm_le",
                List.of(new Doctor.Fragment("org.corral.native.armhf", "Resolved", true)), "/sys/fs/cgroup", null,
                Map.of(), List.of(new Doctor.CgroupLevel("", List.of("cpu", "io", "pids"), List.of())), true, false));
        assertTrue(find(fs, "memory controller").fix().contains("cgroup_enable=memory cgroup_memory=1"));
    }

    @Test
    void undelegatedControllersGetTheCommandsForEachLevel() {
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(new Doctor.CgroupLevel("", ALL, List.of("cpu")),
                        new Doctor.CgroupLevel("system.slice", List.of("cpu"), List.of()),
                        new Doctor.CgroupLevel("system.slice/karaf.service", List.of(), List.of())), false, true));
        Doctor.Finding memory = find(fs, "memory controller");
        assertEquals(Doctor.Level.WARN, memory.level());
        assertTrue(memory.fix().startsWith("echo +memory > /sys/fs/cgroup/cgroup.subtree_control && echo +memory >"
                + " /sys/fs/cgroup/system.slice/cgroup.subtree_control"), memory.fix());
        assertTrue(memory.fix().contains("Delegate=yes"));
        Doctor.Finding cpu = find(fs, "cpu controller");
        assertTrue(cpu.fix().startsWith("echo +cpu > /sys/fs/cgroup/system.slice/cgroup.subtree_control;"), cpu.fix());
        assertEquals(Doctor.Level.WARN, find(fs, "delegation").level());
    }

    @Test
    void fragmentsNotAttachedOrSeveral() {
        List<Doctor.Finding> none = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64",
                List.of(new Doctor.Fragment("org.corral.native.aarch64", "Installed", false)), "/m", null, Map.of(),
                List.of(), false, false));
        assertEquals(Doctor.Level.FAIL, find(none, "fragments").level());
        assertTrue(find(none, "fragments").detail().contains("org.corral.native.aarch64 (Installed)"));
        List<Doctor.Finding> two = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64",
                List.of(new Doctor.Fragment("a", "Resolved", true), new Doctor.Fragment("b", "Resolved", true)), "/m",
                null, Map.of(), List.of(), false, false));
        assertEquals(Doctor.Level.WARN, find(two, "fragments").level());
    }

    @Test
    void theDefaultBaseIsReportedAsWhereProgramsGo() {
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(new Doctor.CgroupLevel("", ALL, ALL)), true, false));
        Doctor.Finding programs = find(fs, "programs");
        assertEquals(Doctor.Level.OK, programs.level());
        assertEquals("each runs in a cgroup of its own under /sys/fs/cgroup/system.slice/karaf.service/corral (chosen"
                + " from Karaf's cgroup)", programs.detail());
        List<Doctor.Finding> set = Doctor.check(new Doctor.Facts(FULL, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(), true, false, 0, "programs", null));
        assertTrue(find(set, "programs").detail().endsWith("(org.corral.cgroup.base = programs)"), find(set, "programs").detail());
    }

    @Test
    void noDefaultCgroupSaysWhyAndHowToFixIt() {
        String why = "the JVM (uid 995) may not create cgroups in its cgroup /system.slice/karaf.service (owned by uid 0,"
                + " not delegated to it): run it as a systemd service with Delegate=yes, or set org.corral.cgroup.base"
                + " to a cgroup it may write";
        Containment none = new Containment(Containment.Mode.HELPER_CGROUP, Optional.of("/h"), "x86_64",
                Optional.of("/sys/fs/cgroup"), List.of("Programs run in no cgroup of their own by default: " + why
                        + "; a descendant that left a program's process group survives a kill -9 of the program's helper.",
                        "another limitation"));
        List<Doctor.Finding> fs = Doctor.check(new Doctor.Facts(none, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(new Doctor.CgroupLevel("", ALL, ALL)), false, true, 995, null, null));
        Doctor.Finding programs = find(fs, "programs");
        assertEquals(Doctor.Level.WARN, programs.level());
        assertTrue(programs.detail().startsWith("run in no cgroup of their own by default: " + why + "; a descendant"),
                programs.detail());
        assertTrue(programs.fix().contains("Delegate=yes") && programs.fix().contains("chown 995"), programs.fix());
        assertEquals(List.of("another limitation"), fs.stream().filter(f -> f.subject().equals("limitation"))
                .map(Doctor.Finding::detail).collect(Collectors.toList()), "the reason is shown once, in the programs line");

        Containment off = new Containment(Containment.Mode.HELPER_CGROUP, Optional.of("/h"), "x86_64",
                Optional.of("/sys/fs/cgroup"), List.of("Programs run in no cgroup of their own by default:"
                        + " org.corral.cgroup.base = none; a descendant that left ..."));
        Doctor.Finding disabled = find(Doctor.check(new Doctor.Facts(off, "amd64", "x86-64", X86, "/sys/fs/cgroup", null,
                Map.of(), List.of(), true, false, 0, "none", null)), "programs");
        assertEquals("run in no cgroup of their own by default: org.corral.cgroup.base = none; a descendant that left"
                + " a program's process group survives a kill -9 of its helper", disabled.detail());
        assertTrue(disabled.fix().startsWith("remove org.corral.cgroup.base = none"), disabled.fix());

        Containment helperOnly = new Containment(Containment.Mode.HELPER, Optional.of("/h"), "x86_64", Optional.empty(),
                List.of());
        assertEquals(Doctor.Level.WARN, find(Doctor.check(new Doctor.Facts(helperOnly, "amd64", "x86-64", X86, null,
                "no cgroup2", Map.of(), List.of(), false, false)), "programs").level());
    }
}
