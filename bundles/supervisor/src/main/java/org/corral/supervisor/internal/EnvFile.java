package org.corral.supervisor.internal;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.corral.api.CommandSpec;
import org.corral.api.InvalidCommandException;
import org.corral.supervisor.internal.fs.PrivateFiles;

/**
 * {@link CommandSpec#envFile()}: the file is read when a program starts (a run, each start and restart of a
 * daemon), never before, so that an edited file applies from the next start and a file that appears later
 * (written by a provisioning tool after the configuration) lets the restart policy's next try succeed.
 *
 * <p>The file is refused unless it is a regular file owned by root or by the JVM's user, with no permission for
 * group or others (readable or writable by them: it holds secrets, and a variable such as {@code LD_PRELOAD}
 * runs code). Its attributes are read before and after the content, and a file replaced meanwhile (another
 * inode) is refused too. Messages name the file, a line number and the reason, never a value.
 */
public final class EnvFile {

    /** The largest file read: 1 MiB. */
    static final long MAX_BYTES = 1 << 20;

    private EnvFile() {
    }

    /**
     * {@code spec} with the variables of its environment file set over its {@link CommandSpec#env()} and no file
     * left to read; {@code spec} itself when it names none.
     *
     * @throws InvalidCommandException the file is refused, cannot be read, or has a line that is not NAME=value
     */
    public static CommandSpec apply(CommandSpec spec) {
        if (spec.envFile().isEmpty()) {
            return spec;
        }
        Map<String, String> vars = read(spec.envFile().get(), PrivateFiles.selfUid());
        CommandSpec.Builder b = spec.toBuilder().envFile(null);
        vars.forEach(b::env);
        return b.build();
    }

    /**
     * The variables of {@code file}, in the order of the file (a later line wins).
     *
     * @param selfUid the JVM's uid, which may own the file besides root
     */
    public static Map<String, String> read(Path file, int selfUid) {
        Objects.requireNonNull(file, "file");
        String where = "env.file " + file;
        Object key = check(file, selfUid, where);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidCommandException(where + ": cannot be read (" + e + ")", e);
        }
        if (!Objects.equals(key, check(file, selfUid, where))) {
            throw new InvalidCommandException(where + ": it was replaced while it was read; try again");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidCommandException(where + ": is not UTF-8 text");
        }
        return parse(text, where);
    }

    /** Checks the file's kind, owner and mode; returns its file key (device and inode), to notice a replacement. */
    private static Object check(Path file, int selfUid, String where) {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(file, "unix:mode,uid,size,fileKey,isRegularFile");
        } catch (NoSuchFileException e) {
            throw new InvalidCommandException(where + ": does not exist");
        } catch (IOException | UnsupportedOperationException e) {
            throw new InvalidCommandException(where + ": cannot be read (" + e + ")");
        }
        if (!Boolean.TRUE.equals(a.get("isRegularFile"))) {
            throw new InvalidCommandException(where + ": is not a regular file");
        }
        int uid = (Integer) a.get("uid");
        if (uid != 0 && uid != selfUid) {
            throw new InvalidCommandException(where + ": is owned by uid " + uid + ", not by root or the JVM's user"
                    + (selfUid >= 0 ? " (uid " + selfUid + ")" : "") + ": chown root " + file);
        }
        int mode = (Integer) a.get("mode") & 07777;
        if ((mode & 0066) != 0) {
            String who = (mode & 0044) != 0 && (mode & 0022) != 0 ? "readable and writable"
                    : (mode & 0044) != 0 ? "readable" : "writable";
            throw new InvalidCommandException(where + ": is " + who + " by group or others (mode "
                    + String.format("%04o", mode) + "); it holds secrets: chmod 600 " + file);
        }
        if ((Long) a.get("size") > MAX_BYTES) {
            throw new InvalidCommandException(where + ": is larger than 1 MiB");
        }
        return a.get("fileKey");
    }

    /** The lines of an environment file; {@code where} names it in messages. */
    static Map<String, String> parse(String text, String where) {
        Map<String, String> vars = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String at = where + ": line " + (i + 1) + ": ";
            int eq = t.indexOf('=');
            if (eq < 0) {
                throw new InvalidCommandException(at + "expected NAME=value");
            }
            String name = t.substring(0, eq).strip();
            if (name.isEmpty()) {
                throw new InvalidCommandException(at + "the name before '=' is empty");
            }
            for (int k = 0; k < name.length(); k++) {
                char c = name.charAt(k);
                if (c <= ' ' || c == 0x7f) {
                    throw new InvalidCommandException(at + "the name contains a blank or a control character");
                }
            }
            vars.put(name, value(t.substring(eq + 1).strip(), at));
        }
        return vars;
    }

    private static String value(String v, String at) {
        if (v.indexOf('\0') >= 0) {
            throw new InvalidCommandException(at + "the value contains a NUL character");
        }
        if (v.length() >= 2 && v.charAt(0) == '\'' && v.charAt(v.length() - 1) == '\'') {
            return v.substring(1, v.length() - 1);
        }
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            StringBuilder sb = new StringBuilder(v.length());
            for (int i = 1; i < v.length() - 1; i++) {
                char c = v.charAt(i);
                if (c == '\\' && i + 1 < v.length() - 1 && (v.charAt(i + 1) == '"' || v.charAt(i + 1) == '\\')) {
                    sb.append(v.charAt(++i));
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }
        if (v.startsWith("\"") || v.startsWith("'")) {
            throw new InvalidCommandException(at + "the value's opening quote is not closed at the end of the line");
        }
        return v;
    }
}
