package org.corral.shell.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import org.apache.karaf.shell.support.CommandException;
import org.corral.api.Daemon;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * The daemons the console can see: OSGi services of type {@link Daemon} with a {@code daemon.name}
 * property (registered by the supervisor for each daemon configuration). Holds the service objects it
 * handed out until {@link #close()}.
 */
final class Daemons implements AutoCloseable {

    /** One daemon service. */
    static final class Entry {
        final String name;
        final ServiceReference<Daemon> ref;
        final Daemon daemon;

        Entry(String name, ServiceReference<Daemon> ref, Daemon daemon) {
            this.name = name;
            this.ref = ref;
            this.daemon = daemon;
        }
    }

    private final BundleContext context;
    private final List<ServiceReference<Daemon>> taken = new ArrayList<>();

    Daemons(BundleContext context) {
        this.context = context;
    }

    /** The names of every registered daemon, sorted, each once. */
    static List<String> names(BundleContext context) {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        for (ServiceReference<Daemon> ref : refs(context)) {
            Object n = ref.getProperty(Daemon.PROP_NAME);
            if (n != null) {
                names.add(n.toString());
            }
        }
        return new ArrayList<>(names);
    }

    /**
     * The state of the daemon named {@code name} as its service shows it (the running one when an INVALID
     * configuration claims the name too), or empty when no daemon has the name.
     */
    static java.util.Optional<String> stateOf(BundleContext context, String name) {
        String found = null;
        for (ServiceReference<Daemon> ref : refs(context)) {
            if (name.equals(String.valueOf(ref.getProperty(Daemon.PROP_NAME)))) {
                String state = String.valueOf(ref.getProperty(Daemon.PROP_STATE));
                if (found == null || "INVALID".equals(found)) {
                    found = state;
                }
            }
        }
        return java.util.Optional.ofNullable(found);
    }

    /** {@code name (STARTING)}, or {@code name (no daemon has this name)}: what a waiting daemon waits for. */
    static String dependency(BundleContext context, String name) {
        return name + " (" + stateOf(context, name).orElse("no daemon has this name") + ")";
    }

    /** Every daemon, sorted by name (daemons that went away meanwhile are left out). */
    List<Entry> all() {
        List<Entry> out = new ArrayList<>();
        for (ServiceReference<Daemon> ref : refs(context)) {
            Object n = ref.getProperty(Daemon.PROP_NAME);
            if (n == null) {
                continue;
            }
            Daemon d = context.getService(ref);
            if (d != null) {
                taken.add(ref);
                out.add(new Entry(n.toString(), ref, d));
            }
        }
        // by name; a daemon before an INVALID configuration of the same name
        out.sort(Comparator.comparing((Entry e) -> e.name).thenComparing(e -> isInvalid(e.ref)));
        return out;
    }

    /** Whether the service is an INVALID daemon (a configuration that cannot run). */
    static boolean isInvalid(ServiceReference<?> ref) {
        return "INVALID".equals(String.valueOf(ref.getProperty(Daemon.PROP_STATE)));
    }

    /**
     * The other services of {@code name} besides {@code e}: INVALID configurations that claim the name of a
     * running daemon (or of another INVALID one).
     */
    List<Entry> others(Entry e) {
        List<Entry> out = new ArrayList<>();
        for (ServiceReference<Daemon> ref : refs(context)) {
            if (!ref.equals(e.ref) && e.name.equals(String.valueOf(ref.getProperty(Daemon.PROP_NAME)))) {
                Daemon d = context.getService(ref);
                if (d != null) {
                    taken.add(ref);
                    out.add(new Entry(e.name, ref, d));
                }
            }
        }
        return out;
    }

    /**
     * The daemon named {@code name}.
     *
     * @throws CommandException "corral: no daemon named 'x' (known: a, b)"
     */
    Entry find(String name) throws CommandException {
        // the daemon that runs under the name first; an INVALID configuration claiming it after
        List<ServiceReference<Daemon>> matching = new ArrayList<>();
        for (ServiceReference<Daemon> ref : refs(context)) {
            if (name.equals(String.valueOf(ref.getProperty(Daemon.PROP_NAME)))) {
                matching.add(ref);
            }
        }
        matching.sort(Comparator.comparing(Daemons::isInvalid));
        for (ServiceReference<Daemon> ref : matching) {
            Daemon d = context.getService(ref);
            if (d != null) {
                taken.add(ref);
                return new Entry(name, ref, d);
            }
        }
        throw Commands.error(unknown(name, names(context)));
    }

    /** The one-line error for an unknown daemon name. */
    static String unknown(String name, Collection<String> known) {
        return "corral: no daemon named '" + name + "' (known: "
                + (known.isEmpty() ? "none" : known.stream().sorted().collect(Collectors.joining(", "))) + ")";
    }

    @Override
    public void close() {
        for (ServiceReference<Daemon> ref : taken) {
            try {
                context.ungetService(ref);
            } catch (IllegalStateException e) {
                // the console bundle is stopping: nothing to release
            }
        }
        taken.clear();
    }

    private static Collection<ServiceReference<Daemon>> refs(BundleContext context) {
        try {
            return context.getServiceReferences(Daemon.class, "(" + Daemon.PROP_NAME + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
