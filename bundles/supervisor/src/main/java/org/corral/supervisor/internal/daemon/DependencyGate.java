package org.corral.supervisor.internal.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Tells whether the daemons a daemon depends on ({@code depends.on}) are READY. Two implementations: the
 * OSGi service registry (Daemon services with {@code daemon.state=READY}), and the daemons of one engine
 * ({@link DaemonRegistry}) for programmatic use.
 */
public interface DependencyGate {

    /** A gate for daemons without dependencies. */
    DependencyGate NONE = new DependencyGate() {
        @Override
        public List<String> missing(List<String> names) {
            return List.of();
        }

        @Override
        public AutoCloseable watch(Runnable changed) {
            return () -> { };
        }
    };

    /** Those of {@code names} that are not READY now (empty: all are). */
    List<String> missing(List<String> names);

    /** Those of {@code names}, in order, for which {@code ready} is false: the body of {@link #missing}. */
    static List<String> notReady(List<String> names, Predicate<String> ready) {
        List<String> out = new ArrayList<>();
        for (String n : names) {
            if (!ready.test(n)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Calls {@code changed} (on any thread, possibly while the caller holds locks of its own: do not block,
     * hand over) whenever the readiness of some daemon may have changed.
     *
     * @return closes the watch
     */
    AutoCloseable watch(Runnable changed);
}
