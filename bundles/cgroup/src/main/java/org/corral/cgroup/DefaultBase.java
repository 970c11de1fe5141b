package org.corral.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.corral.api.CgroupException;

/**
 * Where Corral puts the programs that ask for no cgroup (the <em>default base</em>), chosen once when Corral
 * starts, and why. See {@link #choose} for the rules; {@code docs/cgroups.md} ("Where programs go by default")
 * describes them for operators.
 *
 * @param base the default base relative to the cgroup2 mount ({@code corral},
 *     {@code system.slice/karaf.service/corral}); empty when programs get no cgroup of their own by default
 * @param delegated the cgroup delegated to this JVM, relative to the mount ({@code ""} for the root): Corral may
 *     write its {@code cgroup.subtree_control} and, when it holds processes and a limit needs a controller
 *     enabled in it, move them into its leaf {@value #SUPERVISOR_LEAF}; empty when none is known
 * @param source which rule chose the base
 * @param automatic whether the base was chosen by the rules (not named by the setting): such a base is
 *     removed at close when it is empty
 * @param explanation one sentence for {@code containment()} and {@code corral:doctor}: where programs go and
 *     why, or why they get no cgroup
 * @param notes further sentences about weaker guarantees (an unmarked delegation, say); may be empty
 */
public record DefaultBase(Optional<String> base, Optional<String> delegated, Source source, boolean automatic,
        String explanation, List<String> notes) {

    /** Framework (OSGi) or system property that sets the default base: {@code auto}, {@code none} or a path. */
    public static final String PROPERTY = "org.corral.cgroup.base";
    /** The name of the automatic default base, below the delegated cgroup (or at the top). */
    public static final String BASE_NAME = "corral";
    /** The leaf the processes of the delegated cgroup move into when it must pass controllers down. */
    public static final String SUPERVISOR_LEAF = "supervisor";
    /** How {@link #explanation()} begins when there is no default base (followed by ": " and why). */
    public static final String NO_CGROUP = "programs run in no cgroup of their own by default";
    /** The extended attribute (user namespace) that systemd 251+ sets to {@code 1} on a delegated cgroup. */
    public static final String DELEGATE_XATTR = "delegate";

    /** Which rule chose the base. */
    public enum Source {
        /** The JVM sits in the root cgroup and may write it: {@code corral} at the top. */
        ROOT_CGROUP,
        /** The JVM sits in (or below) a cgroup marked delegated ({@code user.delegate = 1}). */
        DELEGATED,
        /** The JVM's own cgroup is writable by it, with no delegation mark (root, or owned by its uid). */
        OWN_CGROUP,
        /** The setting names the base. */
        CONFIGURED,
        /** The setting is {@code none}. */
        DISABLED,
        /** No writable cgroup (or the setting is invalid): programs get no cgroup of their own. */
        UNAVAILABLE
    }

    public DefaultBase {
        notes = List.copyOf(notes);
    }

    /** The facts about one cgroup that the rules need (a seam for tests). */
    public interface Probe {
        /** Whether the cgroup exists (as a directory). */
        boolean exists(String relative);

        /** Whether it carries the delegation mark {@code user.delegate = 1}. */
        boolean delegateMark(String relative);

        /** The uid that owns its directory, or -1 when unknown. */
        int ownerUid(String relative);

        /** Whether this process may create cgroups in it and write its {@code cgroup.procs} and {@code cgroup.subtree_control}. */
        boolean writable(String relative);
    }

    /**
     * The default base from {@code setting} (the value of {@value #PROPERTY}: null, blank or {@code auto} for
     * the rules, {@code none}, or a path relative to the mount), the JVM's own cgroup and its effective uid.
     *
     * <p>The delegated cgroup <i>D</i>: the nearest cgroup from the JVM's own cgroup up that carries the
     * delegation mark and is writable; else the JVM's own cgroup when it is writable and the JVM is root or
     * owns it; else, for the root cgroup, the root when it is writable. The automatic base is then
     * {@code corral} at the top when <i>D</i> is the root, else {@code D/corral}.
     *
     * @param ownCgroup the JVM's cgroup relative to the mount ({@code ""}: the root), empty when unknown
     * @param euid the JVM's effective uid (-1 when unknown)
     */
    public static DefaultBase choose(String setting, Optional<String> ownCgroup, int euid, Probe probe, String mount) {
        String s = setting == null ? "" : setting.trim();
        Optional<String> d = Optional.empty();
        List<String> notes = new ArrayList<>();
        Source found = Source.UNAVAILABLE;
        String why;
        if (ownCgroup.isEmpty()) {
            why = "the JVM's cgroup is unknown (/proc/self/cgroup has no cgroup v2 line)";
        } else if (!probe.exists(ownCgroup.get())) {
            why = "the JVM's cgroup /" + ownCgroup.get() + " is not below the cgroup2 mount " + mount;
        } else {
            String own = ownCgroup.get();
            why = null;
            for (String c = own; c != null; c = parent(c)) {
                if (!c.isEmpty() && probe.delegateMark(c) && probe.writable(c)) {
                    d = Optional.of(c);
                    found = Source.DELEGATED;
                    break;
                }
            }
            if (d.isEmpty() && probe.writable(own)) {
                if (own.isEmpty()) {
                    d = Optional.of("");
                    found = Source.ROOT_CGROUP;
                } else if (euid == 0 || (euid >= 0 && probe.ownerUid(own) == euid)) {
                    d = Optional.of(own);
                    found = Source.OWN_CGROUP;
                    notes.add("The JVM's cgroup /" + own + " is not marked as delegated (systemd 251 and later set"
                            + " user.delegate=1 with Delegate=yes): Corral creates the programs' cgroups below it"
                            + " anyway; under systemd, set Delegate=yes in the service's unit.");
                }
            }
            if (d.isEmpty()) {
                int owner = probe.ownerUid(own);
                why = own.isEmpty()
                        ? "the JVM (uid " + euid + ") sits in the root cgroup, which it may not write"
                        : "the JVM (uid " + euid + ") may not create cgroups in its cgroup /" + own + " (owned by uid "
                                + owner + ", not delegated to it): run it as a systemd service with Delegate=yes, or set "
                                + PROPERTY + " to a cgroup it may write";
            }
        }
        String auto = d.map(x -> x.isEmpty() ? BASE_NAME : x + "/" + BASE_NAME).orElse(null);
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("none")) {
            return new DefaultBase(Optional.empty(), d, Source.DISABLED, false,
                    NO_CGROUP + ": " + PROPERTY + " = none", List.of());
        }
        if (!s.isEmpty() && !lower.equals("auto")) {
            String path = s.replaceAll("/+$", "");
            String bad = checkPath(path);
            if (bad != null) {
                return new DefaultBase(Optional.empty(), d, Source.UNAVAILABLE, false, NO_CGROUP + ": " + PROPERTY
                        + " = '" + s + "' is invalid (" + bad + ")", List.of());
            }
            List<String> n = d.isPresent() && under(path, d.get()) ? notes : List.of();
            return new DefaultBase(Optional.of(path), d, Source.CONFIGURED, false, "each program runs in a cgroup of"
                    + " its own under " + join(mount, path) + " (" + PROPERTY + ")", n);
        }
        if (auto == null) {
            return new DefaultBase(Optional.empty(), d, Source.UNAVAILABLE, false,
                     NO_CGROUP + ": " + why, List.of());
        }
        String reason;
        switch (found) {
            case ROOT_CGROUP:
                reason = "the JVM runs in the root cgroup";
                break;
            case DELEGATED:
                reason = "the JVM's cgroup" + (d.get().equals(ownCgroup.get()) ? " /" + d.get() : " /" + ownCgroup.get()
                        + " lies in /" + d.get() + ", which") + " is delegated to it (user.delegate)";
                break;
            default:
                reason = "the JVM's cgroup /" + d.get() + " is writable by it";
        }
        return new DefaultBase(Optional.of(auto), d, found, true, "each program runs in a cgroup of its own under "
                + join(mount, auto) + ": " + reason, notes);
    }

    /** The base chosen by nothing: programs get no cgroup of their own ({@code why} says why). */
    public static DefaultBase none(String why) {
        return new DefaultBase(Optional.empty(), Optional.empty(), Source.UNAVAILABLE, false,
                NO_CGROUP + ": " + why, List.of());
    }

    /**
     * Checks a setting before Corral starts (a programming interface such as {@code Corral.Builder}): {@code auto},
     * {@code none} or a valid relative path.
     *
     * @throws CgroupException naming the value and what is wrong with it
     */
    public static void checkSetting(String setting) {
        if (setting == null) {
            return;
        }
        String s = setting.trim();
        if (s.isEmpty() || s.equalsIgnoreCase("auto") || s.equalsIgnoreCase("none")) {
            return;
        }
        String bad = checkPath(s.replaceAll("/+$", ""));
        if (bad != null) {
            throw new CgroupException("default cgroup base '" + setting + "' is invalid: " + bad
                    + " (expected auto, none, or a cgroup path relative to the cgroup2 mount such as corral)");
        }
    }

    private static String checkPath(String path) {
        if (path.startsWith("/")) {
            return "absolute: give it relative to the cgroup2 mount";
        }
        for (String seg : path.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                return "a '" + seg + "' segment";
            }
            for (int i = 0; i < seg.length(); i++) {
                if (Character.isISOControl(seg.charAt(i))) {
                    return "a control character";
                }
            }
        }
        return null;
    }

    private static boolean under(String path, String dir) {
        return dir.isEmpty() || path.equals(dir) || path.startsWith(dir + "/");
    }

    static String parent(String relative) {
        if (relative.isEmpty()) {
            return null;
        }
        int i = relative.lastIndexOf('/');
        return i < 0 ? "" : relative.substring(0, i);
    }

    private static String join(String mount, String relative) {
        return relative.isEmpty() ? mount : mount + "/" + relative;
    }
}
