package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

class MetricsAccessTest {

    @Test
    void loopbackAddressesOnly() {
        for (String a : new String[] {"127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "[::1]", "::ffff:127.0.0.1"}) {
            assertTrue(MetricsAccess.isLoopback(a), a);
        }
        for (String a : new String[] {"10.0.0.1", "192.168.1.20", "::ffff:10.0.0.1", "fe80::1", "2001:db8::1",
                "localhost", "example.org", "", null, "127.0.0.1.evil", "::ffff:128.0.0.1"}) {
            assertFalse(MetricsAccess.isLoopback(a), String.valueOf(a));
        }
    }

    @Test
    void accessModes() {
        assertEquals(MetricsAccess.Mode.DISABLED, MetricsAccess.Mode.parse("disabled"));
        assertEquals(MetricsAccess.Mode.LOCALHOST, MetricsAccess.Mode.parse(" Localhost "));
        assertEquals(MetricsAccess.Mode.ANY, MetricsAccess.Mode.parse("any"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MetricsAccess.Mode.parse("everyone"));
        assertEquals("org.corral.web: metrics.access = 'everyone': expected disabled, localhost or any", e.getMessage());
    }

    @Test
    void basicCredentials() {
        String h = "Basic " + Base64.getEncoder().encodeToString("prom:s3cr:et \u00e9".getBytes(StandardCharsets.UTF_8));
        MetricsAccess.Credentials c = MetricsAccess.basic(h).orElseThrow();
        assertEquals("prom", c.user());
        assertEquals("s3cr:et \u00e9", c.password());
        assertFalse(c.toString().contains("s3cr"), "the password is not in toString");
        assertTrue(MetricsAccess.basic(null).isEmpty());
        assertTrue(MetricsAccess.basic("Bearer abc").isEmpty());
        assertTrue(MetricsAccess.basic("Basic !!!").isEmpty());
        assertTrue(MetricsAccess.basic("Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes())).isEmpty());
    }
}
