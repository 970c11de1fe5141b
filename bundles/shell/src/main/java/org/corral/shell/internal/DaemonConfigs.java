package org.corral.shell.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import org.corral.api.DaemonConfigValidator;

import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Daemon configurations: factory configurations of PID {@code org.corral.daemon}, persisted by Karaf as
 * {@code etc/org.corral.daemon-<name>.cfg} (Felix fileinstall maps that file to the configuration
 * {@code org.corral.daemon~<name>}). The daemon's name is the {@code name} key, or else the part of the
 * PID after {@code ~}.
 */
final class DaemonConfigs {

    static final String FACTORY_PID = "org.corral.daemon";
    static final String FILENAME = "felix.fileinstall.filename";

    private DaemonConfigs() {
    }

    /** The daemon name a configuration defines, or null when it defines none. */
    static String nameOf(String pid, Map<String, ?> props) {
        Object n = props == null ? null : props.get("name");
        if (n != null && !n.toString().isBlank()) {
            return n.toString().trim();
        }
        if (pid != null && pid.startsWith(FACTORY_PID + "~") && pid.length() > FACTORY_PID.length() + 1) {
            return pid.substring(FACTORY_PID.length() + 1);
        }
        return null;
    }

    /** The configuration of daemon {@code name}, if one exists. */
    static Optional<Configuration> find(ConfigurationAdmin admin, String name) throws IOException {
        Configuration[] all;
        try {
            all = admin.listConfigurations("(" + ConfigurationAdmin.SERVICE_FACTORYPID + "=" + FACTORY_PID + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        if (all == null) {
            return Optional.empty();
        }
        for (Configuration c : all) {
            if (name.equals(nameOf(c.getPid(), toMap(c.getProperties())))) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The file a configuration is persisted in (its {@code felix.fileinstall.filename}), if any. */
    static Optional<Path> fileOf(Map<String, ?> props) {
        Object f = props == null ? null : props.get(FILENAME);
        if (f == null) {
            return Optional.empty();
        }
        try {
            String s = f.toString();
            return Optional.of(s.startsWith("file:") ? Paths.get(URI.create(s)) : Paths.get(s));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The properties a user wrote (without the ones Config Admin and fileinstall add), sorted. */
    static Map<String, Object> userProperties(Map<String, ?> props) {
        Map<String, Object> out = new TreeMap<>();
        if (props != null) {
            props.forEach((k, v) -> {
                if (!k.equals(Constants.SERVICE_PID) && !k.equals(ConfigurationAdmin.SERVICE_FACTORYPID)
                        && !k.equals(FILENAME) && !k.equals(ConfigurationAdmin.SERVICE_BUNDLELOCATION)) {
                    out.put(k, v);
                }
            });
        }
        return out;
    }

    /**
     * The keys of a configuration as {@code corral:status} prints them, {@code key = value}, sorted, safe for the
     * terminal. Unless {@code admin}, the values of secret keys ({@link DaemonConfigValidator#isSecretKey}:
     * {@code env.<NAME>}) and of keys the supervisor does not know (they may be a mistyped secret key; {@code
     * validator} names them) are {@link DaemonConfigValidator#MASK}.
     */
    static List<String> shownKeys(Map<String, ?> props, DaemonConfigValidator validator, boolean admin) {
        Set<String> unknown = new HashSet<>();
        if (!admin && validator != null) {
            for (DaemonConfigValidator.Problem w : validator.validate(props).warnings()) {
                unknown.add(w.key());
            }
        }
        List<String> out = new ArrayList<>();
        userProperties(props).forEach((k, v) -> out.add(Format.text(k) + " = " + (!admin
                && (DaemonConfigValidator.isSecretKey(k) || unknown.contains(k)) ? DaemonConfigValidator.MASK
                : Format.text(v))));
        return out;
    }

    static Map<String, Object> toMap(Dictionary<String, ?> dict) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (dict != null) {
            for (String k : Collections.list(dict.keys())) {
                m.put(k, dict.get(k));
            }
        }
        return m;
    }

    /** {@code <etc>/org.corral.daemon-<name>.cfg}. */
    static Path cfgFile(Path etc, String name) {
        return etc.resolve(FACTORY_PID + "-" + name + ".cfg");
    }

    /**
     * Writes {@code props} as a Karaf {@code .cfg} file (atomically: a temporary file renamed over the
     * target), then creates or updates the factory configuration {@code org.corral.daemon~<name>} with the
     * same properties and {@code felix.fileinstall.filename} pointing at the file, the way Karaf's
     * {@code config:} commands do, so the configuration survives restarts and later edits of the file apply.
     */
    static Configuration create(ConfigurationAdmin admin, Path etc, String name, Map<String, String> props)
            throws IOException {
        Path file = cfgFile(etc, name);
        String text = cfgText(name, props, ZonedDateTime.now());
        Path tmp = Files.createTempFile(etc, ".corral-" + name, ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.ISO_8859_1);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Configuration c = admin.getFactoryConfiguration(FACTORY_PID, name, "?");
        Hashtable<String, Object> dict = new Hashtable<>(props);
        dict.put(FILENAME, file.toFile().toURI().toString()); // file:/..., the form fileinstall uses
        c.update(dict);
        return c;
    }

    /**
     * The text of a {@code .cfg} file: a comment header, then {@code key = value} lines escaped the way Felix
     * and Karaf read properties files (ISO-8859-1 with {@code \\uXXXX} for anything else).
     */
    static String cfgText(String name, Map<String, String> props, ZonedDateTime when) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Corral daemon '").append(name).append("', created with corral:create on ")
                .append(when.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append('\n');
        sb.append("# Edit this file to change the daemon (applied on save); delete it to stop and remove it.\n");
        for (Map.Entry<String, String> e : props.entrySet()) {
            sb.append(escape(e.getKey(), true)).append(" = ").append(escape(e.getValue(), false)).append('\n');
        }
        return sb.toString();
    }

    static String escape(String s, boolean key) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\f': sb.append("\\f"); break;
                case ' ':
                    sb.append(key || i == 0 ? "\\ " : " ");
                    break;
                case '=': case ':':
                    sb.append(key ? "\\" + c : String.valueOf(c));
                    break;
                case '#': case '!':
                    sb.append(i == 0 ? "\\" + c : String.valueOf(c));
                    break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.toString();
    }
}
