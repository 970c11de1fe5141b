package org.corral.web.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Protection of the page's POST requests against cross-site request forgery: a token bound to the user and
 * the HTTP session (an HMAC under a key drawn when the plugin starts, so nothing is stored per session), sent in
 * every form and checked in constant time; and the {@code Origin} and {@code Sec-Fetch-Site} headers, when the
 * browser sends them, must name this site.
 */
final class Csrf {

    /** The form field that carries the token. */
    static final String FIELD = "csrf";

    private final byte[] key = new byte[32];

    Csrf() {
        new SecureRandom().nextBytes(key);
    }

    /** The token of {@code user} in {@code session} (either may be null). */
    String token(String user, String session) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            byte[] h = mac.doFinal(((user == null ? "" : user) + "\n" + (session == null ? "" : session))
                    .getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java 17 runtime", e);
        }
    }

    /** Whether {@code presented} is the token of {@code user} in {@code session}. */
    boolean valid(String presented, String user, String session) {
        if (presented == null || presented.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token(user, session).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Why the request's own headers show it came from another site, or null when they do not: an {@code Origin}
     * other than {@code scheme://host} of the request ({@code null} included: sandboxed frames, {@code data:}
     * pages), or {@code Sec-Fetch-Site} other than {@code same-origin}.
     */
    static String crossSite(String origin, String fetchSite, String scheme, String host) {
        if (fetchSite != null && !fetchSite.equalsIgnoreCase("same-origin")) {
            return "Sec-Fetch-Site: " + fetchSite;
        }
        if (origin == null) {
            return null;
        }
        if (host == null) {
            return "Origin " + origin + " and no Host header";
        }
        try {
            URI o = URI.create(origin.trim());
            String expected = scheme + "://" + host;
            String got = o.getScheme() + "://" + o.getRawAuthority();
            if (o.getScheme() == null || !got.equalsIgnoreCase(expected)) {
                return "Origin " + origin + " is not " + expected;
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "Origin " + origin + " is malformed";
        }
    }
}
