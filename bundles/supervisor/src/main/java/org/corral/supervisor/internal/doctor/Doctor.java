package org.corral.supervisor.internal.doctor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.corral.api.Containment;

/**
 * The checks of {@code corral:doctor} ({@code SupervisorStatus.doctor()}), as a pure function of the facts
 * {@link DoctorFacts} gathers: what containment the supervisor reports, which helper fragment is attached,
 * the cgroup2 mount, which controllers the kernel offers to cgroup v2 and which reach Karaf's own cgroup.
 * Each problem comes with the fix.
 */
public final class Doctor {

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
     */
    public record Facts(Containment containment, String osArch, String osgiProcessor, List<Fragment> fragments,
            String mount, String mountError, Map<String, String> v1Mounts, List<CgroupLevel> chain,
            boolean ownWritable, boolean ownProcesses) {
    }

    private Doctor() {
    }

    public static List<Finding> check(Facts f) {
        List<Finding> out = new ArrayList<>();
        supervisor(f, out);
        fragments(f, out);
        cgroups(f, out);
        if (f.containment() != null) {
            for (String l : f.containment().limitations()) {
                out.add(new Finding(Level.WARN, "limitation", l, null));
            }
        }
        return out;
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
                        + " Delegate=yes, or set cgroup.base in each daemon to a cgroup this user owns"));
            } else {
                out.add(new Finding(Level.OK, "delegation", "Karaf's cgroup /" + own.path() + " is writable"
                        + (f.ownProcesses() ? " (it holds processes itself: cgroup v2 lets Corral enable controllers"
                                + " only in child cgroups, so give daemons a cgroup.base below it)" : ""), null));
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
