package org.corral.supervisor.internal.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Users and groups read from {@code /etc/passwd} and {@code /etc/group} (no NSS: the static helper cannot
 * use it, so every name is resolved here and only numbers are passed on).
 */
public final class UserDb {

    /** A passwd entry. */
    public record User(String name, int uid, int gid) {
    }

    /** A group entry. */
    public record Group(String name, int gid, List<String> members) {
    }

    private final Path passwd;
    private final Path group;

    public UserDb(Path passwd, Path group) {
        this.passwd = passwd;
        this.group = group;
    }

    /** The system's files. */
    public static UserDb system() {
        return new UserDb(Path.of("/etc/passwd"), Path.of("/etc/group"));
    }

    public Path passwdFile() {
        return passwd;
    }

    public Path groupFile() {
        return group;
    }

    private static List<String[]> read(Path file, int minFields) throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length >= minFields) {
                out.add(f);
            }
        }
        return out;
    }

    private static Integer number(String s) {
        try {
            long v = Long.parseLong(s.trim());
            return v >= 0 && v <= 0xffffffffL ? (int) v : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Whether {@code s} is a decimal id. */
    public static boolean isNumeric(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** The user with this name. */
    public Optional<User> userByName(String name) throws IOException {
        for (String[] f : read(passwd, 4)) {
            if (f[0].equals(name)) {
                Integer uid = number(f[2]);
                Integer gid = number(f[3]);
                if (uid != null && gid != null) {
                    return Optional.of(new User(f[0], uid, gid));
                }
            }
        }
        return Optional.empty();
    }

    /** The first user with this uid. */
    public Optional<User> userById(int uid) throws IOException {
        for (String[] f : read(passwd, 4)) {
            Integer u = number(f[2]);
            Integer g = number(f[3]);
            if (u != null && g != null && u == uid) {
                return Optional.of(new User(f[0], u, g));
            }
        }
        return Optional.empty();
    }

    private static Group group(String[] f) {
        Integer gid = number(f[2]);
        if (gid == null) {
            return null;
        }
        List<String> members = new ArrayList<>();
        if (f.length > 3 && !f[3].isBlank()) {
            for (String m : f[3].split(",")) {
                if (!m.isBlank()) {
                    members.add(m.trim());
                }
            }
        }
        return new Group(f[0], gid, members);
    }

    /** The group with this name. */
    public Optional<Group> groupByName(String name) throws IOException {
        for (String[] f : read(group, 3)) {
            if (f[0].equals(name)) {
                Group g = group(f);
                if (g != null) {
                    return Optional.of(g);
                }
            }
        }
        return Optional.empty();
    }

    /** The first group with this gid. */
    public Optional<Group> groupById(int gid) throws IOException {
        for (String[] f : read(group, 3)) {
            Group g = group(f);
            if (g != null && g.gid() == gid) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /** The gids of every group listing {@code user} as a member, plus {@code primaryGid}, in file order. */
    public int[] groupsOf(String user, int primaryGid) throws IOException {
        Set<Integer> gids = new LinkedHashSet<>();
        gids.add(primaryGid);
        if (user != null) {
            for (String[] f : read(group, 3)) {
                Group g = group(f);
                if (g != null && g.members().contains(user)) {
                    gids.add(g.gid());
                }
            }
        }
        return gids.stream().mapToInt(Integer::intValue).toArray();
    }
}
