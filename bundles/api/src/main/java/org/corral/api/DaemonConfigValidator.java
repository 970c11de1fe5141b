package org.corral.api;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Checks a daemon configuration (the properties of a factory configuration of {@code org.corral.daemon}, in
 * Karaf the file {@code etc/org.corral.daemon-<name>.cfg}) exactly as the supervisor checks it when it reads
 * one, without starting anything: every key and value, then the program, user and groups against this
 * system. Registered by the supervisor bundle, so the rules are always those of the running supervisor; the
 * console's {@code corral:create} runs it before it writes a file, and refuses what the file would be
 * refused for, in the same words.
 *
 * <p>Texts never contain the values of {@code env.<NAME>} keys, nor the values of unknown keys.
 *
 * @since 1.2
 */
@ProviderType
public interface DaemonConfigValidator {

    /**
     * Checks {@code properties}. Never throws for bad input: every problem is in the result.
     *
     * @param properties key to value, as a {@code .cfg} file gives them (strings), or as Config Admin may
     *     hold them (numbers, booleans, arrays and collections of them)
     */
    Validation validate(Map<String, ?> properties);

    /**
     * Whether the value of a daemon configuration key may be a secret: the {@code env.<NAME>} keys (not
     * {@code env.clear}, {@code env.unset} or {@code env.file}, whose values are no secrets). Corral never logs
     * such a value, never shows it over JMX, and shows it only to users with the {@code admin} role
     * ({@code corral:status}, the web console page); others see {@link #MASK}. The values of keys the supervisor
     * does not know (a mistyped {@code evn.TOKEN}) are treated alike: {@link Validation#warnings()} names them.
     *
     * @since 1.2
     */
    static boolean isSecretKey(String key) {
        return key != null && key.startsWith("env.") && !key.equals("env.clear") && !key.equals("env.unset")
                && !key.equals("env.file");
    }

    /** What is shown instead of a secret value. @since 1.2 */
    String MASK = "****";

    /**
     * One problem with a configuration.
     *
     * @param key the key it concerns, or {@code ""} when it concerns the configuration as a whole
     * @param text what the supervisor logs for it, e.g. {@code kill.grace = '5': a duration needs a unit: 5ms
     *     or 5s? (units: ms, s, m, h, d)}
     */
    record Problem(String key, String text) {
        public Problem {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * The outcome of a check.
     *
     * @param name the daemon name the configuration defines, when it defines a valid one
     * @param errors what makes the configuration invalid (the daemon would not start)
     * @param warnings what the supervisor would ignore, with a warning (unknown keys, with a "did you mean")
     */
    record Validation(Optional<String> name, List<Problem> errors, List<Problem> warnings) {
        public Validation {
            Objects.requireNonNull(name, "name");
            errors = List.copyOf(errors);
            warnings = List.copyOf(warnings);
        }

        /** Whether there are no errors. */
        public boolean ok() {
            return errors.isEmpty();
        }
    }
}
