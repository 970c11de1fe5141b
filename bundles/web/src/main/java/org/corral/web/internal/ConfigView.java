package org.corral.web.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Optional;

/**
 * One factory configuration of {@code org.corral.daemon} as Config Admin holds it: the source of the rows for
 * daemons that have no {@code Daemon} service (a configuration that is invalid, whose name clashes, or whose
 * daemon has not started yet).
 *
 * @param pid the configuration's PID, e.g. {@code org.corral.daemon~mqtt}
 * @param name the daemon name it defines (its {@code name} key, or the part of the PID after {@code ~})
 * @param file the file it was read from ({@code felix.fileinstall.filename}), if any
 * @param properties the keys a user wrote (without the ones Config Admin and fileinstall add)
 * @param problems what the supervisor's validator finds wrong with it (empty: nothing, or no validator)
 * @param unknownKeys keys the validator does not know (their values are masked like secrets)
 */
record ConfigView(String pid, String name, Optional<String> file, Map<String, Object> properties,
        List<String> problems, Set<String> unknownKeys) {

    ConfigView {
        problems = List.copyOf(problems);
        unknownKeys = Set.copyOf(unknownKeys);
    }

    /** A configuration checked by nobody (no validator service). */
    ConfigView(String pid, String name, Optional<String> file, Map<String, Object> properties) {
        this(pid, name, file, properties, List.of(), Set.of());
    }

    static final String FACTORY_PID = "org.corral.daemon";

    /** The daemon name a configuration defines: its {@code name} key, or the part of the PID after {@code ~}. */
    static String nameOf(String pid, Object nameKey) {
        if (nameKey != null && !nameKey.toString().isBlank()) {
            return nameKey.toString().trim();
        }
        int tilde = pid.indexOf('~');
        return tilde >= 0 && tilde + 1 < pid.length() ? pid.substring(tilde + 1) : pid;
    }
}
