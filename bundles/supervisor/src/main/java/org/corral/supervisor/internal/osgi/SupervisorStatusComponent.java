package org.corral.supervisor.internal.osgi;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import org.corral.api.Containment;
import org.corral.api.SupervisorStatus;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.doctor.Doctor;
import org.corral.supervisor.internal.doctor.DoctorFacts;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link SupervisorStatus} as a singleton service, for the console's {@code corral:doctor}, the web console page
 * and the Prometheus endpoint: the engine's containment and helpers, the one-shot runs of every bundle's
 * ProcessService, and the doctor's checks (gathered anew at each call).
 */
@Component(service = SupervisorStatus.class)
public final class SupervisorStatusComponent implements SupervisorStatus {

    @Reference
    private Core core;

    private BundleContext context;

    @Activate
    void activate(BundleContext ctx) {
        context = ctx;
    }

    @Override
    public Containment containment() {
        return core.engine().containment();
    }

    @Override
    public int helpersRunning() {
        return core.engine().helpersRunning();
    }

    @Override
    public Map<RunResult, Long> runs() {
        return core.runs().snapshot();
    }

    @Override
    public List<Finding> doctor() {
        return toApi(Doctor.check(DoctorFacts.gather(context, containment())));
    }

    static List<Finding> toApi(List<Doctor.Finding> findings) {
        return findings.stream().map(f -> new Finding(Severity.valueOf(f.level().name()), f.subject(), f.detail(),
                Optional.ofNullable(f.fix()))).collect(Collectors.toList());
    }

    @Override
    public String toString() {
        return "SupervisorStatus[" + core.engine().containment().mode() + "]";
    }
}
