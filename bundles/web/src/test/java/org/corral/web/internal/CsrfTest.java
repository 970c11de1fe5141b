package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CsrfTest {

    @Test
    void theTokenIsBoundToUserSessionAndKey() {
        Csrf csrf = new Csrf();
        String t = csrf.token("admin", "s1");
        assertEquals(t, csrf.token("admin", "s1"));
        assertTrue(csrf.valid(t, "admin", "s1"));
        assertFalse(csrf.valid(t, "viewer", "s1"));
        assertFalse(csrf.valid(t, "admin", "s2"));
        assertFalse(csrf.valid(null, "admin", "s1"));
        assertFalse(csrf.valid("", "admin", "s1"));
        assertFalse(csrf.valid(t.substring(1), "admin", "s1"));
        assertNotEquals(t, new Csrf().token("admin", "s1"), "another plugin start draws another key");
    }

    @Test
    void crossSiteHeadersAreRefused() {
        assertNull(Csrf.crossSite(null, null, "http", "127.0.0.1:8181"));
        assertNull(Csrf.crossSite("http://127.0.0.1:8181", "same-origin", "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite("null", null, "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite("http://evil.example", null, "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite("http://127.0.0.1:9999", null, "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite("https://127.0.0.1:8181", null, "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite(null, "cross-site", "http", "127.0.0.1:8181"));
        assertNotNull(Csrf.crossSite(null, "same-site", "http", "127.0.0.1:8181"));
    }
}
