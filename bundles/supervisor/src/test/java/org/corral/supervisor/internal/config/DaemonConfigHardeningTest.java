package org.corral.supervisor.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.corral.api.Capability;
import org.corral.api.CommandSpec;
import org.corral.api.ResourceLimit;
import org.corral.api.Rlimit;
import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.junit.jupiter.api.Test;

/** The hardening keys of a daemon configuration: values, defaults, lists, typos. */
class DaemonConfigHardeningTest {

    private static Map<String, Object> base() {
        Map<String, Object> p = new HashMap<>();
        p.put("service.pid", "org.corral.daemon~web");
        p.put("felix.fileinstall.filename", "file:/opt/karaf/etc/org.corral.daemon-web.cfg");
        p.put("command", "/usr/bin/sleep");
        return p;
    }

    private static CommandSpec ok(Map<String, Object> p) {
        Result r = DaemonConfigParser.parse(p);
        assertTrue(r.ok(), r::errorLine);
        return r.spec().orElseThrow().command();
    }

    @Test
    void everyHardeningKeyIsApplied() {
        Map<String, Object> p = base();
        p.put("user", "nobody");
        p.put("no.new.privileges", "yes");
        p.put("capabilities", "CAP_NET_BIND_SERVICE, cap_chown");
        p.put("rlimit.nofile", "1024:4096");
        p.put("rlimit.nproc", "500");
        p.put("rlimit.core", "0");
        p.put("rlimit.memlock", "64K:unlimited");
        p.put("rlimit.stack", "8M");
        p.put("rlimit.as", "2G:infinity");
        p.put("rlimit.cpu", "1h");
        p.put("rlimit.rttime", "500ms");
        p.put("nice", "-5");
        p.put("oom.score.adj", "500");
        p.put("umask", "027");
        CommandSpec c = ok(p);
        assertTrue(c.noNewPrivileges());
        assertEquals(Set.of(Capability.NET_BIND_SERVICE, Capability.CHOWN), c.capabilities().orElseThrow());
        assertEquals(ResourceLimit.of(1024, 4096), c.rlimits().get(Rlimit.NOFILE));
        assertEquals(ResourceLimit.of(500), c.rlimits().get(Rlimit.NPROC));
        assertEquals(ResourceLimit.of(0), c.rlimits().get(Rlimit.CORE));
        assertEquals(ResourceLimit.of(64 << 10, Rlimit.UNLIMITED), c.rlimits().get(Rlimit.MEMLOCK));
        assertEquals(ResourceLimit.of(8 << 20), c.rlimits().get(Rlimit.STACK));
        assertEquals(ResourceLimit.of(2L << 30, Rlimit.UNLIMITED), c.rlimits().get(Rlimit.AS));
        assertEquals(ResourceLimit.of(3600), c.rlimits().get(Rlimit.CPU));
        assertEquals(ResourceLimit.of(500_000), c.rlimits().get(Rlimit.RTTIME));
        assertEquals(8, c.rlimits().size());
        assertEquals(-5, c.nice().getAsInt());
        assertEquals(500, c.oomScoreAdj().getAsInt());
        assertEquals(0027, c.umask().getAsInt());
    }

    @Test
    void everyResourceHasAKey() {
        for (Rlimit r : Rlimit.values()) {
            assertTrue(DaemonConfigParser.KEYS.contains("rlimit." + r.key()), r.key());
            Map<String, Object> p = base();
            p.put("rlimit." + r.key(), "7");
            assertEquals(ResourceLimit.of(7), ok(p).rlimits().get(r), r.key());
        }
    }

    @Test
    void unsetOrBlankMeansUnchanged() {
        assertFalse(ok(base()).usesHardening());
        Map<String, Object> p = base();
        for (String k : List.of("no.new.privileges", "capabilities", "rlimit.nofile", "nice", "oom.score.adj", "umask")) {
            p.put(k, " ");
        }
        assertFalse(ok(p).usesHardening());
    }

    @Test
    void capabilitiesNoneIsTheEmptySetAndAListIsAccepted() {
        Map<String, Object> p = base();
        p.put("capabilities", "none");
        assertEquals(Set.of(), ok(p).capabilities().orElseThrow());
        p.put("capabilities", new String[] {"CAP_KILL", "net_bind_service"});
        assertEquals(Set.of(Capability.KILL, Capability.NET_BIND_SERVICE), ok(p).capabilities().orElseThrow());
        p.put("capabilities", List.of("CAP_KILL CAP_CHOWN"));
        assertEquals(Set.of(Capability.KILL, Capability.CHOWN), ok(p).capabilities().orElseThrow());
    }

    @Test
    void typedValuesFromConfigFiles() {
        Map<String, Object> p = base();
        p.put("nice", 10);
        p.put("oom.score.adj", -100L);
        p.put("no.new.privileges", Boolean.TRUE);
        CommandSpec c = ok(p);
        assertEquals(10, c.nice().getAsInt());
        assertEquals(-100, c.oomScoreAdj().getAsInt());
        assertTrue(c.noNewPrivileges());
    }

    @Test
    void typosGetASuggestion() {
        Map<String, Object> p = base();
        p.put("rlimit.nofiles", "10");
        p.put("no.new.privilege", "true");
        p.put("oom_score_adj", "5");
        p.put("capabilites", "CAP_KILL");
        p.put("umsak", "022");
        Result r = DaemonConfigParser.parse(p);
        String lines = String.join("\n", r.warningLines());
        assertTrue(lines.contains("rlimit.nofiles: unknown key, ignored (did you mean rlimit.nofile?)"), lines);
        assertTrue(lines.contains("no.new.privilege: unknown key, ignored (did you mean no.new.privileges?)"), lines);
        assertTrue(lines.contains("oom_score_adj: unknown key, ignored (did you mean oom.score.adj?)"), lines);
        assertTrue(lines.contains("capabilites: unknown key, ignored (did you mean capabilities?)"), lines);
        assertTrue(lines.contains("umsak: unknown key, ignored (did you mean umask?)"), lines);
    }

    @Test
    void allHardeningErrorsInOneLine() {
        Map<String, Object> p = base();
        p.put("nice", "99");
        p.put("rlimit.nofile", "10:5");
        p.put("capabilities", "CAP_EVERYTHING");
        String line = DaemonConfigParser.parse(p).errorLine();
        assertTrue(line.contains("nice = '99': must be between -20 and 19"), line);
        assertTrue(line.contains("rlimit.nofile = '10:5': the soft limit 10 is above the hard limit 5"), line);
        assertTrue(line.contains("capabilities = 'CAP_EVERYTHING': unknown capability 'CAP_EVERYTHING'"), line);
    }
}
