package org.corral.shell.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.CgroupException;
import org.corral.api.Containment;
import org.corral.api.ProcessService;
import org.corral.cgroup.CgroupInfo;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupMount;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.wiring.BundleWiring;

/** {@code corral:doctor}: is this machine set up for Corral, and what to do where it is not. */
@Command(scope = "corral", name = "doctor", description = "Checks what Corral needs here: the supervisor and its"
        + " containment mode, the native helper for this architecture and its fragment, the cgroup2 mount, which"
        + " controllers the kernel offers and whether they reach Karaf's cgroup. Prints the fix for each problem.")
@Service
public class DoctorCommand implements Action {

    @Reference
    BundleContext context;

    @Reference(optional = true)
    ProcessService processes;

    @Override
    public Object execute() throws Exception {
        List<Doctor.Finding> findings = Doctor.check(facts());
        for (Doctor.Finding f : findings) {
            System.out.println(f);
        }
        long fails = findings.stream().filter(f -> f.level() == Doctor.Level.FAIL).count();
        long warns = findings.stream().filter(f -> f.level() == Doctor.Level.WARN).count();
        System.out.println(fails == 0 && warns == 0 ? "corral: all checks passed"
                : "corral: " + fails + (fails == 1 ? " problem, " : " problems, ") + warns
                        + (warns == 1 ? " warning" : " warnings"));
        return null;
    }

    private Doctor.Facts facts() {
        Containment containment = null;
        if (processes != null) {
            containment = processes.containment();
        }
        List<Doctor.Fragment> fragments = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            String bsn = b.getSymbolicName();
            if (bsn != null && bsn.startsWith("org.corral.native.")) {
                BundleWiring wiring = b.adapt(BundleWiring.class);
                boolean attached = wiring != null && wiring.isInUse()
                        && !wiring.getRequiredWires(HostNamespace.HOST_NAMESPACE).isEmpty();
                fragments.add(new Doctor.Fragment(bsn, state(b.getState()), attached));
            }
        }
        String mount = null;
        String mountError = null;
        Map<String, String> v1 = new LinkedHashMap<>();
        List<Doctor.CgroupLevel> chain = new ArrayList<>();
        boolean ownWritable = false;
        boolean ownProcesses = false;
        try {
            CgroupMount m = CgroupMount.findCgroup2();
            mount = m.mountPoint().toString();
            for (String c : Doctor.CONTROLLERS) {
                // cgroup v1 calls the io controller blkio
                List<CgroupMount> held = CgroupMount.v1MountsOf(c.equals("io") ? "blkio" : c);
                if (!held.isEmpty()) {
                    v1.put(c, held.get(0).mountPoint().toString());
                }
            }
            try (CgroupManager cgroups = CgroupManager.at(m.mountPoint())) {
                String own = cgroups.ownCgroup().orElse("");
                String path = "";
                List<String> levels = new ArrayList<>();
                levels.add("");
                if (!own.isEmpty()) {
                    for (String seg : own.split("/")) {
                        path = path.isEmpty() ? seg : path + "/" + seg;
                        levels.add(path);
                    }
                }
                for (String p : levels) {
                    CgroupInfo info = cgroups.inspect(p);
                    chain.add(new Doctor.CgroupLevel(p, info.controllers(), info.subtreeControl()));
                    ownWritable = info.writable();
                    ownProcesses = info.ownProcesses();
                }
            } catch (CgroupException e) {
                // a cgroup on the way could not be read: report what was read
            }
        } catch (CgroupException e) {
            mountError = e.getMessage();
        }
        return new Doctor.Facts(containment, System.getProperty("os.arch"),
                context.getProperty("org.osgi.framework.processor"), fragments, mount, mountError, v1, chain,
                ownWritable, ownProcesses);
    }

    private static String state(int state) {
        switch (state) {
            case Bundle.INSTALLED: return "Installed";
            case Bundle.RESOLVED: return "Resolved";
            case Bundle.STARTING: return "Starting";
            case Bundle.ACTIVE: return "Active";
            case Bundle.STOPPING: return "Stopping";
            default: return "Uninstalled";
        }
    }
}
