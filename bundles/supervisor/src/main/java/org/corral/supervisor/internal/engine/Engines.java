package org.corral.supervisor.internal.engine;

import java.net.URL;
import java.nio.file.Path;
import java.util.List;

import org.corral.api.ProcessException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses and starts the engine: the native helper when one is available (explicit path, installed copy or
 * packaged resource), the pure-Java fallback otherwise (one warning). With {@value #PROP_REQUIRED}
 * {@code =true} a missing or broken helper is an error instead.
 */
public final class Engines {

    private static final Logger LOG = LoggerFactory.getLogger(Engines.class);

    /** System property: refuse the Java fallback (tests, deployments that need the guarantees). */
    public static final String PROP_REQUIRED = "corral.helper.required";

    private Engines() {
    }

    /**
     * Starts an engine.
     *
     * @param base the configuration (runtime directory, resolver, cgroups); its helper fields are filled here
     * @param explicitHelper a helper executable to use as is, or null
     * @param installedHelper a helper already copied and verified (OSGi data area), or null
     * @param packaged a packaged helper to install into the runtime directory, or null
     * @param prefix command words before the helper (qemu), may be empty
     * @param required fail instead of falling back to Java
     */
    public static Engine start(EngineConfig.Builder base, Path explicitHelper, Path installedHelper, URL packaged,
            List<String> prefix, boolean required) {
        required |= Boolean.getBoolean(PROP_REQUIRED);
        String why;
        if (!HelperLocator.isLinux()) {
            why = "the operating system is " + System.getProperty("os.name") + ", the helper is built for Linux only";
        } else if (explicitHelper == null && installedHelper == null && packaged == null) {
            String arch = HelperLocator.architecture();
            why = arch == null ? "no helper is built for os.arch " + System.getProperty("os.arch")
                    : "no helper for " + arch + " was found (native fragment not attached / "
                        + HelperLocator.resourcePath(arch) + " not on the class path)";
        } else {
            base.helper(explicitHelper != null ? explicitHelper : installedHelper).helperResource(packaged)
                    .helperPrefix(prefix);
            try {
                return HelperEngine.start(base.build());
            } catch (ProcessException e) {
                if (required) {
                    throw e;
                }
                why = "the helper could not be started: " + e.getMessage();
            }
        }
        if (required) {
            throw new ProcessException("Corral's native helper is required (" + PROP_REQUIRED + ") but " + why);
        }
        return new JavaFallbackEngine(base.build(), why);
    }
}
