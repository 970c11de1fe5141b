package org.corral.supervisor;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import org.corral.api.CommandSpec;
import org.corral.api.Containment;
import org.corral.api.Daemon;
import org.corral.api.DaemonSpec;
import org.corral.api.ProcessResult;
import org.corral.api.ProcessService;
import org.corral.cgroup.CgroupManager;
import org.corral.cgroup.DefaultBase;
import org.corral.supervisor.internal.ProcessServiceImpl;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.corral.supervisor.internal.engine.CommandResolver;
import org.corral.supervisor.internal.engine.Engine;
import org.corral.supervisor.internal.engine.UserDb;
import org.corral.supervisor.internal.engine.EngineConfig;
import org.corral.supervisor.internal.engine.Engines;
import org.corral.supervisor.internal.engine.HelperLocator;
import org.corral.supervisor.internal.engine.ManagedCgroupPlacement;
import org.corral.supervisor.internal.engine.StartupSweep;
import org.slf4j.LoggerFactory;

/**
 * Corral as a plain Java library (no OSGi): a {@link ProcessService} that owns what it starts.
 *
 * <pre>{@code
 * try (Corral corral = Corral.open()) {
 *     ProcessResult r = corral.run("uname", "-a");
 *     System.out.println(r.stdoutText());
 * } // close() stops every program (and daemon) still running
 * }</pre>
 *
 * <p>The native helper is taken from, in order: {@link Builder#helper(Path)}, the system property
 * {@code corral.helper.path}, or the class path resource {@code corral-native/<arch>/corral-helper} (the
 * {@code org.corral.native.<arch>} jar), which is copied into the private runtime directory (mode 0700)
 * and verified. Without a helper for the platform Corral runs programs through {@link ProcessBuilder}
 * with weaker guarantees, logs one warning, and says so in {@link #containment()}.
 *
 * <p>cgroups: wherever a writable cgroup v2 hierarchy is available, every program runs in a cgroup of its own
 * under the default base ({@link Builder#cgroupBase(String)}, the system property {@value DefaultBase#PROPERTY},
 * else chosen from the JVM's own cgroup; {@link #containment()} says which, or why there is none).
 * {@link #open()} first sweeps the cgroups that JVMs which are gone left under that base.
 *
 * <p>Threads: a constant number whatever the number of programs: {@code corral-io}, the delivery pool
 * {@code corral-deliver-1..N} (system property {@code org.corral.deliver.threads}, default 2),
 * {@code corral-control}, {@code corral-cgroup-watch} with cgroups, and the JDK's reaper thread of the broker
 * process. The daemons' output memory is bounded by the system properties {@code org.corral.output.memory.daemon}
 * and {@code org.corral.output.memory.total} (see the README).
 */
public final class Corral implements ProcessService, AutoCloseable {

    private final Engine engine;
    private final DaemonSupervisor daemons;
    private final ProcessServiceImpl service;
    private final CgroupManager cgroupManager;
    private final ManagedCgroupPlacement placement;

    private Corral(Engine engine, CgroupManager cgroupManager, ManagedCgroupPlacement placement) {
        this.engine = engine;
        this.cgroupManager = cgroupManager;
        this.placement = placement;
        String owner = "Corral@" + Integer.toHexString(System.identityHashCode(this));
        this.daemons = new DaemonSupervisor(engine, owner);
        this.service = new ProcessServiceImpl(engine, daemons::start, owner);
    }

    /** Opens Corral with the defaults (runtime directory under {@code java.io.tmpdir}). */
    public static Corral open() {
        return builder().open();
    }

    /** A builder for other settings. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ProcessResult run(CommandSpec spec) throws InterruptedException {
        return service.run(spec);
    }

    @Override
    public CompletableFuture<ProcessResult> runAsync(CommandSpec spec) {
        return service.runAsync(spec);
    }

    /** Starts a supervised daemon, owned by this instance (stopped by {@link #close()}). */
    @Override
    public Daemon start(DaemonSpec spec) {
        return service.start(spec);
    }

    @Override
    public Containment containment() {
        return service.containment();
    }

    /** The engine (internal; for the supervisor's own tests and tools). */
    public Engine engine() {
        return engine;
    }

    /** Stops every program and daemon still running (kill signal, grace, SIGKILL), then releases everything. */
    @Override
    public void close() {
        try {
            service.close();
            daemons.close();
        } finally {
            try {
                engine.close();
            } finally {
                if (placement != null) {
                    placement.close();
                }
                if (cgroupManager != null) {
                    cgroupManager.close();
                }
            }
        }
    }

    /** Settings for {@link Corral}. */
    public static final class Builder {
        private Path runtimeParent;
        private Path helper;
        private List<String> prefix;
        private boolean requireHelper;
        private boolean cgroups = true;
        private String cgroupBase;
        private java.util.Map<String, String> baseEnv;

        private Builder() {
        }

        /**
         * Directory under which the private runtime directory is created (default {@code java.io.tmpdir}). Used
         * when it is private (it and the directories above it belong to this user or root, and nobody else can
         * write into it) and short enough for the Unix sockets in it; otherwise root uses {@code /run/corral} and
         * other users {@code $XDG_RUNTIME_DIR} (README: "Runtime directories and local users").
         */
        public Builder runtimeDirectory(Path parent) {
            this.runtimeParent = Objects.requireNonNull(parent, "runtime directory");
            return this;
        }

        /** The helper executable to use as is. */
        public Builder helper(Path helper) {
            this.helper = helper;
            return this;
        }

        /** Words to put before the helper command, e.g. {@code qemu-aarch64-static} for tests under emulation. */
        public Builder helperPrefix(String... prefix) {
            this.prefix = List.of(prefix);
            return this;
        }

        /** Fail instead of falling back to {@link ProcessBuilder} when the helper is missing or broken. */
        public Builder requireHelper(boolean require) {
            this.requireHelper = require;
            return this;
        }

        /** The environment programs inherit (default: the JVM's, {@link System#getenv()}). */
        public Builder baseEnvironment(java.util.Map<String, String> env) {
            this.baseEnv = java.util.Map.copyOf(env);
            return this;
        }

        /**
         * Whether cgroup options are supported (default true: the cgroup2 mount is found in
         * {@code /proc/self/mountinfo}; without one, specs with cgroup options are refused).
         */
        public Builder cgroups(boolean use) {
            this.cgroups = use;
            return this;
        }

        /**
         * Where programs that set no cgroup option go: {@code auto} (the default: chosen from the JVM's own cgroup,
         * see docs/cgroups.md), {@code none} (no cgroup of their own), or a cgroup path relative to the cgroup2
         * mount. Without this setting the system property {@value DefaultBase#PROPERTY} decides, else {@code auto}.
         *
         * @throws org.corral.api.CgroupException the value is neither auto, none nor a relative path
         */
        public Builder cgroupBase(String base) {
            DefaultBase.checkSetting(base);
            this.cgroupBase = base;
            return this;
        }

        /**
         * Starts the engine (and the helper broker). Before that, chooses the default cgroup base and sweeps
         * it: cgroups that JVMs which are gone left there are killed and removed (one INFO line gives the count).
         */
        public Corral open() {
            EngineConfig.Builder b = EngineConfig.builder();
            if (runtimeParent != null) {
                b.runtimeParent(runtimeParent);
            }
            if (baseEnv != null) {
                b.resolver(new CommandResolver(baseEnv, UserDb.system(), CommandResolver.selfUid()));
            }
            CgroupManager manager = null;
            ManagedCgroupPlacement placement = null;
            if (cgroups) {
                try {
                    manager = CgroupManager.open();
                } catch (RuntimeException e) {
                    LoggerFactory.getLogger(Corral.class).debug("no cgroup v2 support: {}", e.getMessage());
                }
            }
            if (manager != null) {
                String setting = cgroupBase != null ? cgroupBase : System.getProperty(DefaultBase.PROPERTY);
                placement = StartupSweep.placement(manager, setting, List.of(), base -> { });
                b.cgroups(placement);
            }
            Path explicit = helper != null ? HelperLocator.checkExecutable(helper, "Corral.builder().helper")
                    : HelperLocator.explicitPath().orElse(null);
            List<String> pre = prefix != null ? prefix : HelperLocator.explicitPrefix();
            java.net.URL packaged = explicit != null ? null
                    : HelperLocator.fromClassLoader(Corral.class.getClassLoader(), HelperLocator.architecture()).orElse(null);
            Engine engine;
            try {
                engine = Engines.start(b, explicit, null, packaged, pre, requireHelper);
            } catch (RuntimeException e) {
                if (placement != null) {
                    placement.close();
                }
                if (manager != null) {
                    manager.close();
                }
                throw e;
            }
            return new Corral(engine, manager, placement);
        }
    }
}
