package org.corral.supervisor.internal.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.corral.api.DaemonConfigValidator;
import org.corral.api.values.Printable;
import org.osgi.framework.Constants;

/**
 * A daemon configuration's keys as JMX shows them ({@code getConfigurationKeys}): {@code key = value}, sorted,
 * without the keys Config Admin and fileinstall add, safe to show, and with the values of secret keys
 * ({@link DaemonConfigValidator#isSecretKey}) and of keys the parser does not know masked for everyone.
 */
final class ConfigKeys {

    private static final Set<String> ADDED = Set.of(Constants.SERVICE_PID, "service.factoryPid",
            "service.bundleLocation", DaemonConfigParser.FILEINSTALL_FILENAME);

    private ConfigKeys() {
    }

    static List<String> masked(Map<String, ?> props) {
        List<String> out = new ArrayList<>();
        if (props == null) {
            return out;
        }
        for (Map.Entry<String, ?> e : new TreeMap<>(props).entrySet()) {
            String k = e.getKey();
            if (ADDED.contains(k)) {
                continue;
            }
            boolean known = DaemonConfigParser.KEYS.contains(k) || DaemonConfigParser.FAMILIES.stream()
                    .anyMatch(k::startsWith);
            String v = DaemonConfigValidator.isSecretKey(k) || !known ? DaemonConfigValidator.MASK
                    : Printable.escape(DaemonConfigParser.show(e.getValue()));
            out.add(Printable.escape(k) + " = " + v);
        }
        return out;
    }
}
