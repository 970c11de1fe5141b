package org.corral.api;

import java.util.Collection;
import java.util.Locale;

import org.corral.api.values.Values;

/** The name nearest to a misspelt one, for "did you mean" (not API: package-private). */
final class Nearest {

    private Nearest() {
    }

    /** The closest of {@code names} to {@code given} (case-insensitive), or null when none is close. */
    static String of(String given, Collection<String> names) {
        String g = given.toLowerCase(Locale.ROOT);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String n : names) {
            int d = Values.editDistance(g, n.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = n;
            }
        }
        return best != null && bestDistance <= Math.max(1, Math.min(3, g.length() / 3)) ? best : null;
    }
}
