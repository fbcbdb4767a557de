package org.layers4j.spi;

import org.layers4j.config.Config;

/**
 * Found through {@link java.util.ServiceLoader}: one per backend module. {@code availability()} must
 * never throw nor crash the JVM, whatever native libraries are missing, and must not load them at
 * class-load time.
 */
public interface BackendProvider {
    /** The name in configuration, e.g. {@code cpu}, {@code cuda}. */
    String name();

    /** Higher wins under {@code layers4j.backend=auto}. */
    int priority();

    /** The {@code layers4j.*} configuration keys this backend reads (for warnings about misspelt keys). */
    default java.util.Set<String> configurationKeys() {
        return java.util.Set.of();
    }

    /** Whether this backend can run on this machine, and why not. */
    Availability availability();

    /**
     * Creates the backend for a device index (-1 when the configuration named none).
     * Throws IllegalStateException with the reason when unavailable.
     */
    Backend create(int device, Config config);
}
