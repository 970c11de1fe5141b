package org.corral.supervisor.internal.daemon;

import java.util.List;

/**
 * A daemon that comes from a configuration ({@code etc/org.corral.daemon-<name>.cfg}): which one, for its service
 * properties, its events and its MBean. Null and empty for a daemon started through {@code ProcessService.start}.
 */
public interface Configured {

    /** The configuration's PID ({@code org.corral.daemon~mqtt}), or null. */
    String configurationPid();

    /** The file it was read from, or null. */
    String configurationFile();

    /**
     * Its keys as {@code key = value}, sorted, with the values of secret and unknown keys masked (what JMX shows:
     * {@code env.<NAME>} values are shown to nobody there).
     */
    List<String> configurationKeys();
}
