package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.corral.api.CommandSpec;

/**
 * A {@link CommandSpec} checked against the system and turned into what the helper needs: absolute
 * executable path, final argv and environment, numeric ids.
 *
 * @param spec the spec as given
 * @param executable absolute path of the program (resolved against PATH of the effective environment)
 * @param argv the argv the program sees ({@code argv[0]} replaced by {@code arg0} when set)
 * @param env the program's whole environment, in order
 * @param directory absolute working directory, or null for the JVM's
 * @param uid target uid or -1 (unchanged)
 * @param gid target gid or -1 (unchanged)
 * @param groups supplementary gids to set, or null (unchanged)
 * @param stdinFile absolute stdin file for {@link org.corral.api.Stdin.Kind#FILE}, else null
 * @param graceMs grace in milliseconds
 */
public record ResolvedCommand(CommandSpec spec, Path executable, List<String> argv, Map<String, String> env,
        Path directory, int uid, int gid, int[] groups, Path stdinFile, int graceMs) {
}
