package org.corral.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A Linux capability (capabilities(7)), with the kernel's number. Used by
 * {@link CommandSpec.Builder#capabilities(java.util.Set)}: for a program that runs as a user other than root the
 * capabilities it holds (ambient, inheritable, permitted, effective), so that it can for example bind port 80
 * with {@link #NET_BIND_SERVICE}; for a root program the bounding set, the most it can have.
 *
 * @since 1.2
 */
public enum Capability {
    CHOWN(0), DAC_OVERRIDE(1), DAC_READ_SEARCH(2), FOWNER(3), FSETID(4), KILL(5), SETGID(6), SETUID(7),
    SETPCAP(8), LINUX_IMMUTABLE(9), NET_BIND_SERVICE(10), NET_BROADCAST(11), NET_ADMIN(12), NET_RAW(13),
    IPC_LOCK(14), IPC_OWNER(15), SYS_MODULE(16), SYS_RAWIO(17), SYS_CHROOT(18), SYS_PTRACE(19), SYS_PACCT(20),
    SYS_ADMIN(21), SYS_BOOT(22), SYS_NICE(23), SYS_RESOURCE(24), SYS_TIME(25), SYS_TTY_CONFIG(26), MKNOD(27),
    LEASE(28), AUDIT_WRITE(29), AUDIT_CONTROL(30), SETFCAP(31), MAC_OVERRIDE(32), MAC_ADMIN(33), SYSLOG(34),
    WAKE_ALARM(35), BLOCK_SUSPEND(36), AUDIT_READ(37), PERFMON(38), BPF(39), CHECKPOINT_RESTORE(40);

    private final int number;

    Capability(int number) {
        this.number = number;
    }

    /** The kernel's number ({@code CAP_NET_BIND_SERVICE} is 10). */
    public int number() {
        return number;
    }

    /** The kernel's name, e.g. {@code CAP_NET_BIND_SERVICE}. */
    public String capName() {
        return "CAP_" + name();
    }

    /** The capability with this number. */
    public static Capability of(int number) {
        for (Capability c : values()) {
            if (c.number == number) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown capability number " + number + " (0.." + (values().length - 1) + ")");
    }

    /**
     * Parses {@code CAP_NET_BIND_SERVICE}, {@code cap_net_bind_service} or {@code net_bind_service} (any case,
     * {@code -} for {@code _} allowed).
     *
     * @throws IllegalArgumentException naming the text, with the nearest name when there is one
     */
    public static Capability parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        if (t.startsWith("CAP_")) {
            t = t.substring(4);
        }
        for (Capability c : values()) {
            if (c.name().equals(t)) {
                return c;
            }
        }
        List<String> names = new ArrayList<>();
        for (Capability c : values()) {
            names.add(c.name());
        }
        String near = Nearest.of(t, names);
        throw new IllegalArgumentException("unknown capability '" + text + "'"
                + (near != null ? " (did you mean CAP_" + near + "?)" : " (expected e.g. CAP_NET_BIND_SERVICE)"));
    }

    /**
     * Parses a set as the {@code capabilities} configuration key writes it: names separated by commas or
     * blanks ({@code CAP_NET_BIND_SERVICE, CAP_CHOWN}), or {@code none} for the empty set (no capability at
     * all).
     *
     * @throws IllegalArgumentException for an empty text, an unknown name (with the nearest one), or
     *     {@code none} together with names
     * @since 1.2
     */
    public static Set<Capability> parseSet(String text) {
        String t = text == null ? "" : text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty (expected capability names such as CAP_NET_BIND_SERVICE, or"
                    + " none)");
        }
        String[] names = t.split("[,\\s]+");
        if (names.length == 1 && names[0].equalsIgnoreCase("none")) {
            return Collections.unmodifiableSet(EnumSet.noneOf(Capability.class));
        }
        Set<Capability> out = EnumSet.noneOf(Capability.class);
        for (String n : names) {
            if (n.isEmpty()) {
                continue;
            }
            if (n.equalsIgnoreCase("none")) {
                throw new IllegalArgumentException("none means no capability at all: it cannot be given with others");
            }
            out.add(parse(n));
        }
        return Collections.unmodifiableSet(out);
    }

    /** {@link #capName()}. */
    @Override
    public String toString() {
        return capName();
    }
}
