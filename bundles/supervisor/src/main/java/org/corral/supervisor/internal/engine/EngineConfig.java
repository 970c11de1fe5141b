package org.corral.supervisor.internal.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How an engine is set up. Immutable; build with {@link #builder()}.
 *
 * @param runtimeParent directory under which the engine's runtime directory {@code corral-<uid>-<random>}
 *     is requested (default {@code java.io.tmpdir}); RuntimeDir uses another private place when it is not
 *     private or too long for the sockets in it
 * @param helper the helper executable to run (already verified), or null
 * @param helperResource a packaged helper to install into the runtime directory when {@code helper} is null
 * @param helperPrefix command words put before the helper (e.g. {@code qemu-aarch64-static})
 * @param brokerStartTimeout how long to wait for the broker's HELLO
 * @param resolver validation and resolution of specs
 * @param cgroups cgroup placement (the seam for the cgroup bundle)
 * @param architecture the helper's architecture (x86_64, aarch64, armhf) or the JVM's os.arch
 * @param deliveryThreads threads of the delivery pool ({@link Delivery}), 1 to 16
 * @param answerTimeout how long a helper asked to stop may take to acknowledge it (and may stay silent
 *     afterwards beyond its grace and teardown bound) before it counts as lost
 * @param helloTimeout how long a connection to the control socket may stay without its HELLO before it is
 *     closed
 */
public record EngineConfig(Path runtimeParent, Path helper, java.net.URL helperResource, List<String> helperPrefix, Duration brokerStartTimeout,
        CommandResolver resolver, CgroupPlacement cgroups, String architecture, int deliveryThreads,
        Duration answerTimeout, Duration helloTimeout) {

    public EngineConfig {
        Objects.requireNonNull(runtimeParent, "runtimeParent");
        helperPrefix = List.copyOf(helperPrefix);
        Objects.requireNonNull(brokerStartTimeout, "brokerStartTimeout");
        Objects.requireNonNull(resolver, "resolver");
        Objects.requireNonNull(cgroups, "cgroups");
        if (deliveryThreads < 1 || deliveryThreads > 16) {
            throw new IllegalArgumentException("delivery threads must be 1 to 16, got " + deliveryThreads);
        }
        Objects.requireNonNull(answerTimeout, "answerTimeout");
        Objects.requireNonNull(helloTimeout, "helloTimeout");
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds an {@link EngineConfig}. */
    public static final class Builder {
        private Path runtimeParent = Path.of(System.getProperty("java.io.tmpdir", "/tmp"));
        private Path helper;
        private java.net.URL helperResource;
        private List<String> helperPrefix = List.of();
        private Duration brokerStartTimeout = Duration.ofSeconds(20);
        private CommandResolver resolver;
        private CgroupPlacement cgroups = CgroupPlacement.NONE;
        private String architecture = HelperLocator.architecture();
        private int deliveryThreads = Delivery.threads(System.getProperty(Delivery.THREADS_PROPERTY));
        private Duration answerTimeout = Duration.ofSeconds(5);
        private Duration helloTimeout = Duration.ofSeconds(10);

        public Builder runtimeParent(Path p) {
            this.runtimeParent = Objects.requireNonNull(p);
            return this;
        }

        public Builder helper(Path p) {
            this.helper = p;
            return this;
        }

        public Builder helperResource(java.net.URL url) {
            this.helperResource = url;
            return this;
        }

        public Builder helperPrefix(List<String> prefix) {
            this.helperPrefix = List.copyOf(prefix);
            return this;
        }

        public Builder brokerStartTimeout(Duration d) {
            this.brokerStartTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder resolver(CommandResolver r) {
            this.resolver = r;
            return this;
        }

        public Builder cgroups(CgroupPlacement c) {
            this.cgroups = Objects.requireNonNull(c);
            return this;
        }

        public Builder architecture(String arch) {
            this.architecture = arch;
            return this;
        }

        /** Threads of the delivery pool (default {@link Delivery#DEFAULT_THREADS}, or the system property). */
        public Builder deliveryThreads(int n) {
            this.deliveryThreads = n;
            return this;
        }

        /** How long a helper asked to stop may take to acknowledge it (default 5 s). */
        public Builder answerTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("answerTimeout must be positive: " + d);
            }
            this.answerTimeout = d;
            return this;
        }

        /** How long a control connection may stay without its HELLO (default 10 s). */
        public Builder helloTimeout(Duration d) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("helloTimeout must be positive: " + d);
            }
            this.helloTimeout = d;
            return this;
        }

        public EngineConfig build() {
            return new EngineConfig(runtimeParent, helper, helperResource, helperPrefix, brokerStartTimeout,
                    resolver != null ? resolver : CommandResolver.system(), cgroups, architecture, deliveryThreads,
                    answerTimeout, helloTimeout);
        }
    }
}
