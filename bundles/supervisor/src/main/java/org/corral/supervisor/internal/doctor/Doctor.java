package org.corral.supervisor.internal.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.corral.api.Containment;

/**
 * The checks of {@code corral:doctor} ({@code SupervisorStatus.doctor()}), as a pure function of the facts
 * {@link DoctorFacts} gathers: what containment the supervisor reports, which helper fragment is attached,
 * where programs go by default (the default cgroup base, or why there is none), the cgroup2 mount, which
 * controllers the kernel offers to cgroup v2 and which reach Karaf's own cgroup. Each problem comes with the fix.
 */
public final class Doctor {

    /** The framework property that sets the default cgroup base. */
    static final String BASE_PROPERTY = org.corral.cgroup.DefaultBase.PROPERTY;
    /** How the supervisor's limitation about programs without a cgroup begins (shown in the "programs" line). */
    static final String NO_CGROUP_LIMITATION = "Programs run in no cgroup of their own by default";

    /** Controllers whose absence disables a limit Corral offers. */
    public static final List<String> CONTROLLERS = List.of("cpu", "memory", "pids", "io");

    public enum Level { OK, WARN, FAIL }

    /** One line of the report. */
    public record Finding(Level level, String subject, String detail, String fix) {
    }

    /** A helper fragment bundle and whether it is attached to the supervisor. */
    public record Fragment(String symbolicName, String state, boolean attached) {
    }

    /** One cgroup from the mount down to Karaf's own cgroup. */
    public record CgroupLevel(String path, List<String> controllers, List<String> subtreeControl) {
    }

    /**
     * What the command found.
     *
     * @param containment what the supervisor reports, or null when no ProcessService is registered
     * @param osArch the JVM's {@code os.arch}
     * @param osgiProcessor the framework's {@code org.osgi.framework.processor}
     * @param fragments the {@code org.corral.native.*} bundles
     * @param mount the cgroup2 mount point, or null
     * @param mountError why none was found (when mount is null)
     * @param v1Mounts controller to the cgroup v1 mount that holds it (hybrid hosts)
     * @param chain the cgroups from the mount root ({@code ""}) down to Karaf's own cgroup
     * @param ownWritable whether Karaf's cgroup is writable by this JVM (delegated to it)
     * @param ownProcesses whether processes sit directly in Karaf's cgroup
     * @param euid the JVM's effective uid (-1: unknown)
     * @param baseSetting the value of {@value #BASE_PROPERTY}, or null
     * @param defaultExplanation where programs would go, or why nowhere, as the cgroup bundle sees it now (null:
     *     unknown)
     */
    public record Facts(Containment containment, String osArch, String osgiProcessor, List<Fragment> fragments,
            String mount, String mountError, Map<String, String> v1Mounts, List<CgroupLevel> chain,
            boolean ownWritable, boolean ownProcesses, int euid, String baseSetting, String defaultExplanation) {

        Facts(Containment containment, String osArch, String osgiProcessor, List<Fragment> fragments, String mount,
                String mountError, Map<String, String> v1Mounts, List<CgroupLevel> chain, boolean ownWritable,
                boolean ownProcesses) {
            this(containment, osArch, osgiProcessor, fragments, mount, mountError, v1Mounts, chain, ownWritable,
                    ownProcesses, 0, null, null);
        }
    }

    private Doctor() {
    }

    public static List<Finding> check(Facts f) {
        List<Finding> out = new ArrayList<>();
        supervisor(f, out);
        fragments(f, out);
        programs(f, out);
        cgroups(f, out);
        if (f.containment() != null) {
            for (String l : f.containment().limitations()) {
                if (!l.startsWith(NO_CGROUP_LIMITATION)) {
                    out.add(new Finding(Level.WARN, "limitation", l, null));
                }
            }
        }
        return out;
    }

    /** Where programs go by default: the default cgroup base, or why they get no cgroup of their own. */
    private static void programs(Facts f, List<Finding> out) {
        Containment c = f.containment();
        if (c == null || c.mode() == Containment.Mode.JAVA_FALLBACK) {
            return; // the containment line says it all
        }
        String mount = c.cgroupMount().orElse(f.mount());
        if (c.defaultCgroupBase().isPresent()) {
            String base = c.defaultCgroupBase().get();
            out.add(new Finding(Level.OK, "programs", "each runs in a cgroup of its own under "
                    + (mount == null ? base : join(mount, base)) + " (" + (f.baseSetting() == null
                            || f.baseSetting().isBlank() ? "chosen from Karaf's cgroup" : BASE_PROPERTY + " = "
                                    + f.baseSetting().trim()) + ")", null));
            return;
        }
        if (c.mode() == Containment.Mode.HELPER) {
            out.add(new Finding(Level.WARN, "programs", "run in no cgroup of their own: no cgroup v2 hierarchy is in use",
                    "make cgroup v2 usable, see the cgroup lines below"));
            return;
        }
        String why = c.limitations().stream().filter(l -> l.startsWith(NO_CGROUP_LIMITATION)).findFirst()
                .map(l -> l.substring(NO_CGROUP_LIMITATION.length()).replaceFirst("^:\\s*", "")
                        .replaceFirst("; a descendant that left.*$", ""))
                .orElse(f.defaultExplanation() != null ? f.defaultExplanation() : "no default cgroup base");
        String setting = f.baseSetting() == null ? "" : f.baseSetting().trim();
        String fix;
        if (setting.equalsIgnoreCase("none")) {
            fix = "remove " + BASE_PROPERTY + " = none (etc/config.properties or etc/system.properties) unless"
                    + " this is on purpose, then restart Karaf";
        } else if (!setting.isEmpty() && !setting.equalsIgnoreCase("auto")) {
            fix = "set " + BASE_PROPERTY + " to auto, none, or a cgroup path relative to " + mount
                    + " (etc/config.properties), then restart Karaf";
        } else if (f.euid() != 0) {
            fix = "run Karaf as a systemd service with Delegate=yes (Karaf's cgroup is then its own), or create a"
                    + " cgroup for it (mkdir " + (mount == null ? "/sys/fs/cgroup" : mount) + "/karaf && chown "
                    + (f.euid() < 0 ? "<karaf user>" : Integer.toString(f.euid())) + " it) and set " + BASE_PROPERTY
                    + " = karaf";
        } else {
            fix = "check that " + (mount == null ? "the cgroup2 mount" : mount) + " is mounted read-write";
        }
        out.add(new Finding(Level.WARN, "programs", "run in no cgroup of their own by default: " + why
                + "; a descendant that left a program's process group survives a kill -9 of its helper", fix));
    }

    private static void supervisor(Facts f, List<Finding> out) {
        Containment c = f.containment();
        if (c == null) {
            out.add(new Finding(Level.FAIL, "supervisor", "no ProcessService is registered",
                    "feature:install corral, then check bundle:list | grep -i corral and log:display for errors"));
            return;
        }
        switch (c.mode()) {
            case HELPER_CGROUP:
                out.add(new Finding(Level.OK, "containment", "native helper with cgroup v2 (mode HELPER_CGROUP)", null));
                break;
            case HELPER:
                out.add(new Finding(Level.WARN, "containment", "native helper without cgroups (mode HELPER): cleanup by"
                        + " process group and subreaper, no resource limits or statistics",
                        "make cgroup v2 usable, see the cgroup lines below"));
                break;
            default:
                out.add(new Finding(Level.FAIL, "containment", "pure-Java fallback (mode JAVA_FALLBACK): descendants can"
                        + " escape, kill -9 of Karaf leaves programs running, no limits",
                        "install the helper fragment for this architecture (see 'helper' below)"));
        }
        String helper = c.helperPath().orElse(null);
        if (helper != null) {
            out.add(new Finding(Level.OK, "helper", c.architecture() + " helper " + helper + " (JVM os.arch "
                    + f.osArch() + ", OSGi processor " + f.osgiProcessor() + ")", null));
        } else {
            out.add(new Finding(Level.FAIL, "helper", "no native helper for os.arch " + f.osArch() + " (OSGi processor "
                    + f.osgiProcessor() + ")", "Corral ships helpers for x86_64 (org.corral.native.x86_64), aarch64"
                    + " (org.corral.native.aarch64) and 32-bit ARM (org.corral.native.armhf, ARMv6 and later):"
                    + " feature:install corral installs them and the one matching osgi.native attaches; other"
                    + " architectures need a helper built from native/ (make -C native helper ARCH=...)"));
        }
    }

    private static void fragments(Facts f, List<Finding> out) {
        if (f.fragments().isEmpty()) {
            out.add(new Finding(f.containment() != null && f.containment().helperPath().isPresent() ? Level.WARN
                    : Level.FAIL, "fragments", "no org.corral.native.* bundle is installed",
                    "feature:install corral (it lists the three helper fragments)"));
            return;
        }
        List<String> attached = f.fragments().stream().filter(Fragment::attached).map(Fragment::symbolicName)
                .collect(Collectors.toList());
        String others = f.fragments().stream().filter(x -> !x.attached())
                .map(x -> x.symbolicName() + " (" + x.state() + ")").collect(Collectors.joining(", "));
        if (attached.size() == 1) {
            out.add(new Finding(Level.OK, "fragments", attached.get(0) + " attached"
                    + (others.isEmpty() ? "" : "; inert (other architectures): " + others), null));
        } else if (attached.isEmpty()) {
            out.add(new Finding(Level.FAIL, "fragments", "none attached: " + others, "no fragment matches osgi.native"
                    + " processor " + f.osgiProcessor() + "; if one should (bundle:headers <id> shows its"
                    + " Require-Capability), bundle:refresh org.corral.supervisor attaches it"));
        } else {
            out.add(new Finding(Level.WARN, "fragments", "several attached: " + String.join(", ", attached),
                    "uninstall the ones for other architectures"));
        }
    }

    private static void cgroups(Facts f, List<Finding> out) {
        if (f.mount() == null) {
            out.add(new Finding(Level.FAIL, "cgroup2 mount", "none found in /proc/self/mountinfo", f.mountError()));
            return;
        }
        out.add(new Finding(Level.OK, "cgroup2 mount", f.mount(), null));
        List<CgroupLevel> chain = f.chain();
        if (chain.isEmpty()) {
            return;
        }
        List<String> root = chain.get(0).controllers();
        CgroupLevel own = chain.get(chain.size() - 1);
        for (String c : CONTROLLERS) {
            Level missing = c.equals("io") ? Level.WARN : Level.FAIL;
            if (!root.contains(c)) {
                String v1 = f.v1Mounts().get(c);
                if (v1 != null) {
                    out.add(new Finding(missing, c + " controller", "held by the cgroup v1 hierarchy at " + v1
                            + ", not offered to cgroup v2 (" + limitsOf(c) + " unavailable)",
                            "boot with cgroup v2 only: add systemd.unified_cgroup_hierarchy=1 (or cgroup_no_v1="
                                    + (c.equals("io") ? "blkio" : c) + ") to the kernel command line and reboot"));
                } else {
                    out.add(new Finding(missing, c + " controller", "not offered by the kernel (root cgroup.controllers: "
                            + (root.isEmpty() ? "none" : String.join(" ", root)) + "; " + limitsOf(c) + " unavailable)",
                            c.equals("memory") ? "on Raspberry Pi OS add 'cgroup_enable=memory cgroup_memory=1' to"
                                    + " /boot/firmware/cmdline.txt (/boot/cmdline.txt on older images) and reboot"
                                    : "enable the " + c + " controller in the kernel (CONFIG_CGROUP_*) and at boot"));
                }
                continue;
            }
            if (own.controllers().contains(c) || chain.size() == 1) {
                out.add(new Finding(Level.OK, c + " controller", "offered to Karaf's cgroup /" + own.path(), null));
                continue;
            }
            List<String> commands = new ArrayList<>();
            for (int i = 0; i < chain.size() - 1; i++) {
                if (!chain.get(i).subtreeControl().contains(c)) {
                    commands.add("echo +" + c + " > " + join(f.mount(), chain.get(i).path()) + "/cgroup.subtree_control");
                }
            }
            out.add(new Finding(Level.WARN, c + " controller", "offered by the kernel but not delegated down to Karaf's"
                    + " cgroup /" + own.path(), (commands.isEmpty() ? "" : String.join(" && ", commands) + "; ")
                    + "under systemd set Delegate=yes in Karaf's service unit instead"));
        }
        if (chain.size() > 1) {
            if (!f.ownWritable()) {
                out.add(new Finding(Level.WARN, "delegation", "Karaf's cgroup /" + own.path() + " is not writable by"
                        + " this JVM: Corral cannot create cgroups below it", "run Karaf as a systemd service with"
                        + " Delegate=yes, or set " + BASE_PROPERTY + " to a cgroup this user owns"));
            } else {
                out.add(new Finding(Level.OK, "delegation", "Karaf's cgroup /" + own.path() + " is writable"
                        + (f.ownProcesses() ? " (it holds processes itself: the first time a limit needs a controller"
                                + " enabled in it, Corral moves them into its leaf 'supervisor', since cgroup v2 passes"
                                + " controllers down only from cgroups without processes of their own)" : ""), null));
            }
        }
    }

    private static String limitsOf(String c) {
        switch (c) {
            case "memory": return "memory.max/high/min/low, OOM statistics";
            case "cpu": return "cpu.max and cpu.weight";
            case "pids": return "pids.max";
            default: return "io.weight";
        }
    }

    private static String join(String mount, String path) {
        return path.isEmpty() ? mount : mount + "/" + path;
    }
}
