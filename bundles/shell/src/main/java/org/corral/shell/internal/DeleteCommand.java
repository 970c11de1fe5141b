package org.corral.shell.internal;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.Configuration;

/** {@code corral:delete <name>}: removes a daemon's configuration (and so stops it) and its .cfg file. */
@Command(scope = "corral", name = "delete", description = "Deletes a daemon: removes its configuration and its"
        + " etc/org.corral.daemon-<name>.cfg file, which stops the program and everything it spawned.")
@Service
public class DeleteCommand extends DaemonCommand {

    @Override
    public Object execute() throws Exception {
        Optional<Configuration> c = DaemonConfigs.find(configAdmin(configAdmin), name);
        if (c.isEmpty()) {
            if (Daemons.names(context).contains(name)) {
                throw Commands.error("corral: daemon '" + name + "' was started by a bundle, not from a configuration:"
                        + " nothing to delete (corral:stop " + name + " stops it)");
            }
            throw Commands.error(Daemons.unknown(name, Daemons.names(context)));
        }
        Map<String, Object> props = DaemonConfigs.toMap(c.get().getProperties());
        Optional<Path> file = DaemonConfigs.fileOf(props);
        // the configuration first: the daemon stops at once; fileinstall would notice a deleted file only later
        c.get().delete();
        if (file.isPresent()) {
            Files.deleteIfExists(file.get());
        }
        System.out.println("corral: deleted daemon '" + name + "'" + file.map(f -> " (removed " + f + ")").orElse(""));
        return null;
    }
}
