package org.layers4j.spi;

import java.util.Map;

/**
 * Whether a backend can run here and, when it cannot, why in words a user can act on
 * (e.g. "libcudnn.so.9 not found — set LD_LIBRARY_PATH"). {@code details} carries what
 * {@code layers4j info} shows: device names, library versions.
 */
public record Availability(boolean available, String reason, Map<String, String> details) {

    public Availability {
        details = Map.copyOf(details);
    }

    public static Availability available(Map<String, String> details) {
        return new Availability(true, "", details);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason, Map.of());
    }
}
