package org.corral.supervisor.internal.doctor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.corral.api.CgroupException;
import org.corral.api.Containment;
import org.corral.cgroup.CgroupInfo;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.CgroupMount;
import org.corral.cgroup.DefaultBase;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.namespace.HostNamespace;
import org.osgi.framework.wiring.BundleWiring;

/** Gathers the {@link Doctor.Facts} of this framework and machine. */
public final class DoctorFacts {

    private DoctorFacts() {
    }

    /**
     * What the doctor checks: {@code containment} as the engine reports it, the {@code org.corral.native.*}
     * bundles installed in {@code context}'s framework and whether each is attached, the cgroup2 mount, the
     * cgroup v1 mounts that hold a controller, the cgroups from the mount down to this JVM's own, the JVM's uid, the
     * default-base setting ({@value DefaultBase#PROPERTY}) and what the cgroup bundle would choose now.
     */
    public static Doctor.Facts gather(BundleContext context, Containment containment) {
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
        String setting = context.getProperty(DefaultBase.PROPERTY);
        String explanation = null;
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
                explanation = cgroups.chooseDefaultBase(setting).explanation();
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
                ownWritable, ownProcesses, CgroupManager.euid(), setting, explanation);
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
