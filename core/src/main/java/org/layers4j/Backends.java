package org.layers4j;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import org.layers4j.config.Config;
import org.layers4j.spi.Availability;
import org.layers4j.spi.Backend;
import org.layers4j.spi.BackendProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds backends through {@link ServiceLoader} and picks one by the {@code layers4j.backend} key:
 * {@code auto} (default: the available backend of highest priority), {@code cpu}, {@code cuda} or
 * {@code cuda:N}. Asking explicitly for an unavailable backend is an error carrying its reason;
 * {@code auto} falls back and logs why. Backends are shared: one instance per device, living as
 * long as the process; callers must not close a shared backend (its pools and handles would be gone
 * for every other user).
 */
public final class Backends {
    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);
    /** Shared backends by the spec asked for ({@code cuda}, {@code cuda:0}, ...). */
    private static final Map<String, Backend> SHARED = new ConcurrentHashMap<>();
    /** The same backends by their own name, so two specs for one device share one instance. */
    private static final Map<String, Backend> BY_NAME = new ConcurrentHashMap<>();
    private static volatile List<BackendProvider> providers;

    private Backends() {
    }

    /** Every provider on the classpath, highest priority first. */
    public static List<BackendProvider> providers() {
        List<BackendProvider> p = providers;
        if (p == null) {
            List<BackendProvider> found = new ArrayList<>();
            ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(found::add);
            found.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
            providers = p = List.copyOf(found);
        }
        return p;
    }

    /** The backend the process configuration selects ({@code layers4j.backend}, default auto). */
    public static Backend defaultBackend() {
        return get(Config.load());
    }

    /** The backend named explicitly (an API argument beats every other configuration source). */
    public static Backend get(String spec) {
        return get(Config.load().with(Config.BACKEND, spec));
    }

    private static final java.util.Set<String> WARNED = ConcurrentHashMap.newKeySet();

    /** Warns once per key about layers4j.* keys that no backend on the classpath reads. */
    private static void warnUnknownKeys(Config config) {
        java.util.Set<String> known = new java.util.HashSet<>(java.util.Set.of(Config.BACKEND, Config.TAPE_WARN_OPS,
                Config.OPTIMIZE));
        providers().forEach(p -> known.addAll(p.configurationKeys()));
        for (String u : config.unknownKeys(known)) {
            if (WARNED.add(u)) {
                LOG.warn("unknown configuration key {} — it is ignored", u);
            }
        }
    }

    /** The backend a configuration selects. */
    public static Backend get(Config config) {
        warnUnknownKeys(config);
        String spec = config.get(Config.BACKEND, "auto").value().trim().toLowerCase(Locale.ROOT);
        if (spec.isEmpty() || spec.equals("auto")) {
            return auto(config);
        }
        String name = spec;
        int device = -1;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            name = spec.substring(0, colon);
            try {
                device = Integer.parseInt(spec.substring(colon + 1));
            } catch (NumberFormatException e) {
                device = -2;
            }
            if (device < 0) {
                throw new IllegalArgumentException(Config.BACKEND + " '" + spec
                        + "' is invalid: the device after ':' must be an integer >= 0");
            }
        }
        BackendProvider provider = provider(name);
        Availability a = provider.availability();
        if (!a.available()) {
            throw new IllegalStateException("backend '" + spec + "' is unavailable: " + a.reason());
        }
        return shared(provider, device, config);
    }

    /** The provider with this name. */
    public static BackendProvider provider(String name) {
        for (BackendProvider p : providers()) {
            if (p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        List<String> names = new ArrayList<>();
        providers().forEach(p -> names.add(p.name()));
        throw new IllegalArgumentException(Config.BACKEND + " '" + name + "' is unknown: expected auto, "
                + String.join(", ", names) + (names.contains("cuda") ? " or cuda:N" : "")
                + (names.contains("cuda") ? "" : " (the cuda backend is not on the classpath)"));
    }

    private static Backend auto(Config config) {
        StringBuilder skipped = new StringBuilder();
        for (BackendProvider p : providers()) {
            Availability a = p.availability();
            if (a.available()) {
                if (skipped.length() > 0) {
                    LOG.warn("layers4j.backend=auto: using {} because {} (set layers4j.backend={} to choose it"
                            + " explicitly and silence this)", p.name(), skipped, p.name());
                }
                return shared(p, -1, config);
            }
            if (skipped.length() > 0) {
                skipped.append("; ");
            }
            skipped.append(p.name()).append(" unavailable: ").append(a.reason());
        }
        throw new IllegalStateException("no layers4j backend is available"
                + (skipped.length() > 0 ? ": " + skipped : " (no backend module on the classpath)"));
    }

    /**
     * One instance per backend name: {@code cuda} and {@code cuda:0} (and auto) resolve to the same
     * device, so they must share one backend, or a layer on one would reject tensors of the other.
     * The configuration applies when a backend is first created.
     */
    private static Backend shared(BackendProvider provider, int device, Config config) {
        String spec = provider.name() + (device >= 0 ? ":" + device : "");
        return SHARED.computeIfAbsent(spec, k -> {
            Backend created = provider.create(device, config);
            Backend existing = BY_NAME.putIfAbsent(created.name(), created);
            if (existing != null) {
                created.close();
                return existing;
            }
            return created;
        });
    }
}
