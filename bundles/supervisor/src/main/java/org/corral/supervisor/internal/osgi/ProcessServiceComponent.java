package org.corral.supervisor.internal.osgi;

import java.util.concurrent.CompletableFuture;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.ProcessServiceImpl;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.osgi.framework.Bundle;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/**
 * {@link ProcessService} as a bundle-scoped service: each consuming bundle gets its own instance, which owns
 * every program and daemon started through it. When the bundle ungets the service or stops, the instance is
 * deactivated and all of them are stopped (kill signal, grace, SIGKILL).
 */
@Component(service = ProcessService.class, scope = ServiceScope.BUNDLE)
public final class ProcessServiceComponent implements ProcessService {

    @Reference
    private Core core;

    private DaemonSupervisor daemons;
    private ProcessServiceImpl impl;

    @Activate
    void activate(ComponentContext cc) {
        Bundle user = cc.getUsingBundle();
        String owner = user == null ? "?" : user.getSymbolicName() + " [" + user.getBundleId() + "]";
        daemons = new DaemonSupervisor(core.engine(), owner);
        impl = new ProcessServiceImpl(core.engine(), daemons::start, owner, core.runs());
    }

    @Deactivate
    void deactivate() {
        try {
            impl.close();
        } finally {
            daemons.close();
        }
    }

    @Override
    public ProcessResult run(CommandSpec spec) throws InterruptedException {
        return impl.run(spec);
    }

    @Override
    public CompletableFuture<ProcessResult> runAsync(CommandSpec spec) {
        return impl.runAsync(spec);
    }

    @Override
    public Daemon start(DaemonSpec spec) {
        return impl.start(spec);
    }

    @Override
    public Containment containment() {
        return impl.containment();
    }

    @Override
    public String toString() {
        return impl.toString();
    }
}
