package org.corral.web.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.corral.api.Daemon;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonState;
import org.corral.api.SupervisorStatus;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the page and the metrics read from: the {@link Daemon} services (configured and programmatic
 * daemons alike), the factory configurations of {@code org.corral.daemon} in Config Admin (so that a
 * configuration without a daemon still has a row), and the {@link SupervisorStatus} service. Looks the services
 * up at each call and releases them at once, so it holds nothing between requests.
 */
final class CorralData {

    private static final Logger LOG = LoggerFactory.getLogger(CorralData.class);

    private final BundleContext context;

    CorralData(BundleContext context) {
        this.context = context;
    }

    /** Something done with one daemon service while it is held. */
    @FunctionalInterface
    interface WithDaemon<T> {
        T apply(Daemon daemon, ServiceReference<Daemon> ref);
    }

    /** Every daemon, read once each, sorted by name. */
    List<DaemonView> daemons(boolean withStats) {
        List<DaemonView> out = new ArrayList<>();
        for (ServiceReference<Daemon> ref : refs(null)) {
            String name = String.valueOf(ref.getProperty(Daemon.PROP_NAME));
            DaemonView v = with(ref, (d, r) -> DaemonView.of(name, d, withStats)
                    .withConfiguration(r.getProperty(Daemon.PROP_CONFIGURATION)));
            if (v != null) {
                out.add(v);
            }
        }
        // by name; a running daemon before an INVALID configuration claiming its name
        out.sort(Comparator.comparing(DaemonView::name).thenComparing(v -> v.state() == DaemonState.INVALID));
        return out;
    }

    /**
     * Runs {@code f} with the daemon named {@code name} (the one that runs, when an INVALID configuration claims the
     * name too); empty when there is none.
     */
    <T> Optional<T> withDaemon(String name, WithDaemon<T> f) {
        List<ServiceReference<Daemon>> refs = new ArrayList<>(refs(name));
        refs.sort(Comparator.comparing(r -> DaemonState.INVALID.name().equals(r.getProperty(Daemon.PROP_STATE))));
        for (ServiceReference<Daemon> ref : refs) {
            T t = with(ref, f);
            if (t != null) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    private <T> T with(ServiceReference<Daemon> ref, WithDaemon<T> f) {
        Daemon d;
        try {
            d = context.getService(ref);
        } catch (IllegalStateException e) {
            return null; // this bundle is stopping
        }
        if (d == null) {
            return null; // unregistered meanwhile
        }
        try {
            return f.apply(d, ref);
        } finally {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // this bundle is stopping
            }
        }
    }

    private Collection<ServiceReference<Daemon>> refs(String name) {
        try {
            String filter = name == null ? "(" + Daemon.PROP_NAME + "=*)"
                    : "(" + Daemon.PROP_NAME + "=" + escapeFilter(name) + ")";
            return context.getServiceReferences(Daemon.class, filter);
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        } catch (IllegalStateException e) {
            return List.of();
        }
    }

    /** The daemon configurations (sorted by name); empty when Config Admin is not running. */
    List<ConfigView> configurations() {
        ServiceReference<ConfigurationAdmin> ref;
        try {
            ref = context.getServiceReference(ConfigurationAdmin.class);
        } catch (IllegalStateException | NoClassDefFoundError e) {
            return List.of(); // stopping, or Config Admin's package is not wired (it is optional)
        }
        if (ref == null) {
            return List.of();
        }
        ConfigurationAdmin admin = context.getService(ref);
        if (admin == null) {
            return List.of();
        }
        try {
            Configuration[] all = admin.listConfigurations("(" + ConfigurationAdmin.SERVICE_FACTORYPID + "="
                    + ConfigView.FACTORY_PID + ")");
            List<ConfigView> out = new ArrayList<>();
            if (all != null) {
                for (Configuration c : all) {
                    Dictionary<String, Object> props = c.getProperties();
                    if (props == null) {
                        continue; // created, never updated: nothing a daemon could be made of
                    }
                    Map<String, Object> user = new TreeMap<>();
                    for (String k : Collections.list(props.keys())) {
                        if (!k.equals(Constants.SERVICE_PID) && !k.equals(ConfigurationAdmin.SERVICE_FACTORYPID)
                                && !k.equals(ConfigurationAdmin.SERVICE_BUNDLELOCATION)
                                && !k.equals("felix.fileinstall.filename")) {
                            user.put(k, props.get(k));
                        }
                    }
                    List<String> problems = new ArrayList<>();
                    Set<String> unknown = new HashSet<>();
                    Map<String, Object> every = new TreeMap<>();
                    for (String k : Collections.list(props.keys())) {
                        every.put(k, props.get(k));
                    }
                    withValidator(v -> {
                        DaemonConfigValidator.Validation check = v.validate(every);
                        check.errors().forEach(e -> problems.add(e.text()));
                        check.warnings().forEach(w -> unknown.add(w.key()));
                        return null;
                    });
                    out.add(new ConfigView(c.getPid(), ConfigView.nameOf(c.getPid(), props.get("name")),
                            fileOf(props.get("felix.fileinstall.filename")), user, problems, unknown));
                }
            }
            out.sort(Comparator.comparing(ConfigView::name));
            return out;
        } catch (IOException | InvalidSyntaxException e) {
            LOG.warn("corral web: cannot list the daemon configurations: {}", e.toString());
            return List.of();
        } finally {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // stopping
            }
        }
    }

    /**
     * The configurations that have no daemon service: none names them ({@code daemon.configuration}). The supervisor
     * registers a service for every configuration it read, an INVALID one for a configuration that cannot run, so
     * these are configurations it has not read (it is not running, or has not got to them yet).
     */
    static List<ConfigView> withoutDaemon(List<ConfigView> configs, List<DaemonView> daemons) {
        Set<String> pids = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (DaemonView d : daemons) {
            d.configuration().ifPresent(pids::add);
            if (d.configuration().isEmpty()) {
                names.add(d.name()); // a daemon of an older supervisor, whose service names no configuration
            }
        }
        List<ConfigView> out = new ArrayList<>();
        for (ConfigView c : configs) {
            if (!pids.contains(c.pid()) && !names.contains(c.name())) {
                out.add(c);
            }
        }
        return out;
    }

    /** Runs {@code f} with the supervisor's DaemonConfigValidator, when it runs. */
    <T> Optional<T> withValidator(java.util.function.Function<DaemonConfigValidator, T> f) {
        ServiceReference<DaemonConfigValidator> ref;
        try {
            ref = context.getServiceReference(DaemonConfigValidator.class);
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
        if (ref == null) {
            return Optional.empty();
        }
        DaemonConfigValidator v = context.getService(ref);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(f.apply(v));
        } finally {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // stopping
            }
        }
    }

    /** The supervisor's figures, when it runs. */
    <T> Optional<T> withStatus(java.util.function.Function<SupervisorStatus, T> f) {
        ServiceReference<SupervisorStatus> ref;
        try {
            ref = context.getServiceReference(SupervisorStatus.class);
        } catch (IllegalStateException e) {
            return Optional.empty();
        }
        if (ref == null) {
            return Optional.empty();
        }
        SupervisorStatus s = context.getService(ref);
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable(f.apply(s));
        } finally {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // stopping
            }
        }
    }

    private static Optional<String> fileOf(Object f) {
        if (f == null) {
            return Optional.empty();
        }
        String s = f.toString();
        try {
            return Optional.of(s.startsWith("file:") ? Paths.get(URI.create(s)).toString() : s);
        } catch (RuntimeException e) {
            return Optional.of(s);
        }
    }

    /** Escapes the characters that are special in an LDAP filter value (RFC 4515). */
    static String escapeFilter(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (char c : v.toCharArray()) {
            if (c == '\\' || c == '*' || c == '(' || c == ')' || c == 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
