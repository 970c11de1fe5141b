package org.corral.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class DaemonConfigsTest {

    @Test
    void theNameIsTheNameKeyElseThePidAlias() {
        assertEquals("web", DaemonConfigs.nameOf("org.corral.daemon~web", Map.of()));
        assertEquals("api", DaemonConfigs.nameOf("org.corral.daemon~web", Map.of("name", " api ")));
        assertEquals("web", DaemonConfigs.nameOf("org.corral.daemon~web", Map.of("name", " ")));
        assertNull(DaemonConfigs.nameOf("org.corral.daemon.3f2a", Map.of()));
        assertNull(DaemonConfigs.nameOf("org.corral.daemon~", Map.of()));
        assertNull(DaemonConfigs.nameOf(null, null));
    }

    @Test
    void theFileComesFromFileinstall() {
        assertEquals(Optional.of(Paths.get("/opt/karaf/etc/org.corral.daemon-web.cfg")),
                DaemonConfigs.fileOf(Map.of("felix.fileinstall.filename", "file:/opt/karaf/etc/org.corral.daemon-web.cfg")));
        assertEquals(Optional.empty(), DaemonConfigs.fileOf(Map.of()));
        assertEquals(Paths.get("/e/org.corral.daemon-web.cfg"), DaemonConfigs.cfgFile(Paths.get("/e"), "web"));
    }

    @Test
    void userPropertiesLeaveOutWhatConfigAdminAdds() {
        Map<String, Object> p = DaemonConfigs.userProperties(Map.of("service.pid", "x", "service.factoryPid", "y",
                "felix.fileinstall.filename", "file:/z", "command", "/bin/true", "args", "-v"));
        assertEquals(Map.of("command", "/bin/true", "args", "-v"), p);
    }

    /** The .cfg text reads back (as a properties file, which is what Karaf's .cfg is) to the same properties. */
    @Test
    void cfgTextRoundTrips() throws Exception {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("command", "/bin/sh");
        props.put("args", "-c 'echo \"a=b: c\" # not a comment; printf \\\\n'");
        props.put("env.GREETING", "  leading spaces, trailing spaces  ");
        props.put("env.MULTI", "line one\nline two\ttab");
        props.put("env.UNI", "ünïcödé ✓");
        props.put("ready.log", "^#ready!");
        props.put("odd key=x:y", "v");
        String text = DaemonConfigs.cfgText("demo", props, ZonedDateTime.parse("2026-01-02T03:04:05Z"));
        assertTrue(text.startsWith("# Corral daemon 'demo', created with corral:create on 2026-01-02T03:04:05Z\n"), text);
        for (char c : text.toCharArray()) {
            assertTrue(c == '\n' || (c >= 0x20 && c < 0x7f), "only printable ASCII in the file: " + (int) c);
        }
        Properties back = new Properties();
        back.load(new StringReader(text));
        assertEquals(props.size(), back.size());
        props.forEach((k, v) -> assertEquals(v, back.getProperty(k), k));
    }

    @Test
    void createWritesTheCfgFileAndTheFactoryConfigurationPointingAtIt(@org.junit.jupiter.api.io.TempDir Path etc)
            throws Exception {
        java.util.List<Object[]> calls = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicReference<java.util.Dictionary<String, Object>> updated =
                new java.util.concurrent.atomic.AtomicReference<>();
        org.osgi.service.cm.Configuration config = (org.osgi.service.cm.Configuration) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(), new Class<?>[] {org.osgi.service.cm.Configuration.class},
                        (proxy, m, args) -> {
                            if (m.getName().equals("update") && args != null && args.length == 1) {
                                @SuppressWarnings("unchecked")
                                java.util.Dictionary<String, Object> d = (java.util.Dictionary<String, Object>) args[0];
                                updated.set(d);
                                return null;
                            }
                            throw new UnsupportedOperationException(m.getName());
                        });
        org.osgi.service.cm.ConfigurationAdmin admin = (org.osgi.service.cm.ConfigurationAdmin) java.lang.reflect.Proxy
                .newProxyInstance(getClass().getClassLoader(),
                        new Class<?>[] {org.osgi.service.cm.ConfigurationAdmin.class}, (proxy, m, args) -> {
                            if (m.getName().equals("getFactoryConfiguration") && args.length == 3) {
                                calls.add(args);
                                return config;
                            }
                            throw new UnsupportedOperationException(m.getName());
                        });
        Map<String, String> props = new LinkedHashMap<>();
        props.put("command", "/bin/sh");
        props.put("args", "-c 'sleep 1'");
        DaemonConfigs.create(admin, etc, "web", props);

        assertEquals(1, calls.size());
        assertEquals("org.corral.daemon", calls.get(0)[0]);
        assertEquals("web", calls.get(0)[1]);
        assertEquals("?", calls.get(0)[2]);
        Path file = etc.resolve("org.corral.daemon-web.cfg");
        assertEquals("file:" + file, updated.get().get("felix.fileinstall.filename"));
        assertEquals("/bin/sh", updated.get().get("command"));
        assertEquals("-c 'sleep 1'", updated.get().get("args"));
        Properties back = new Properties();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(file, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            back.load(r);
        }
        assertEquals(Map.of("command", "/bin/sh", "args", "-c 'sleep 1'"), new java.util.HashMap<>(back));
        // no temporary file left behind
        assertEquals(1, java.nio.file.Files.list(etc).count());
    }

    /** Issue 12.1: a viewer sees the env keys, not their values (nor a mistyped key's); an admin sees all. */
    @Test
    void secretValuesAreMaskedForUsersWithoutTheAdminRole() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("service.pid", "org.corral.daemon~web");
        p.put("command", "/usr/bin/web");
        p.put("env.API_TOKEN", "tok-123");
        p.put("evn.PASSWORD", "pw-456");
        p.put("env.file", "/etc/corral/web.env");
        p.put("env.clear", "true");
        p.put("args", "--title \u001b]0;x\u0007");
        java.util.List<String> viewer = DaemonConfigs.shownKeys(p, CommandOptionsTest.CONFIG_ONLY, false);
        assertEquals(java.util.List.of("args = --title \\x1b]0;x\\x07", "command = /usr/bin/web", "env.API_TOKEN = ****",
                "env.clear = true", "env.file = /etc/corral/web.env", "evn.PASSWORD = ****"), viewer);
        java.util.List<String> admin = DaemonConfigs.shownKeys(p, CommandOptionsTest.CONFIG_ONLY, true);
        assertTrue(admin.contains("env.API_TOKEN = tok-123") && admin.contains("evn.PASSWORD = pw-456"), admin.toString());
        // without the supervisor's validator, unknown keys are not known: env values are masked still
        assertTrue(DaemonConfigs.shownKeys(p, null, false).contains("env.API_TOKEN = ****"));
    }
}
