package org.layers4j.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * layers4j's configuration keys ({@code layers4j.*}), each resolved from, highest first: an explicit
 * API value, the system property of the same name, the environment variable (upper case, dots as
 * underscores: {@code layers4j.cpu.threads} is {@code LAYERS4J_CPU_THREADS}), and a
 * {@code layers4j.properties} file on the classpath. Every value remembers where it came from, so
 * {@code layers4j info} can show it. Instances are immutable.
 */
public final class Config {
    public static final String BACKEND = "layers4j.backend";
    public static final String CPU_THREADS = "layers4j.cpu.threads";
    /** Warn when a tape has recorded more operations than this without a backward (org.layers4j.nn.Tape). */
    public static final String TAPE_WARN_OPS = "layers4j.tape.warnOps";
    /** Compile graph models for eval-mode inference when Models.load loads them (org.layers4j.graph.GraphModule). */
    public static final String OPTIMIZE = "layers4j.optimize";
    public static final String PROPERTIES_FILE = "layers4j.properties";

    /** Where a value came from, highest precedence first. */
    public enum Source {
        API("API argument"), SYSTEM_PROPERTY("system property"), ENVIRONMENT("environment variable"),
        PROPERTIES_FILE("classpath " + Config.PROPERTIES_FILE), DEFAULT("default");

        private final String description;

        Source(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** A resolved value and its origin (e.g. the variable's name or the file's URL). */
    public record Value(String key, String value, Source source, String origin) {
    }

    private final Map<String, String> api;
    private final Map<String, String> systemProperties;
    private final Map<String, String> environment;
    private final Map<String, String> file;
    private final String fileOrigin;

    Config(Map<String, String> api, Map<String, String> systemProperties, Map<String, String> environment,
           Map<String, String> file, String fileOrigin) {
        this.api = Map.copyOf(api);
        this.systemProperties = Map.copyOf(systemProperties);
        this.environment = Map.copyOf(environment);
        this.file = Map.copyOf(file);
        this.fileOrigin = fileOrigin;
    }

    /** The configuration of this process: system properties, environment, classpath file. */
    public static Config load() {
        Map<String, String> sys = new LinkedHashMap<>();
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith("layers4j.")) {
                sys.put(name, System.getProperty(name));
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        System.getenv().forEach((k, v) -> {
            if (k.startsWith("LAYERS4J_")) {
                env.put(k, v);
            }
        });
        Map<String, String> file = new LinkedHashMap<>();
        String origin = null;
        URL url = Thread.currentThread().getContextClassLoader() == null ? null
                : Thread.currentThread().getContextClassLoader().getResource(PROPERTIES_FILE);
        if (url == null) {
            url = Config.class.getClassLoader().getResource(PROPERTIES_FILE);
        }
        if (url != null) {
            Properties p = new Properties();
            try (InputStream in = url.openStream()) {
                p.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + url, e);
            }
            p.stringPropertyNames().forEach(k -> file.put(k, p.getProperty(k)));
            origin = url.toString();
        }
        return new Config(Map.of(), sys, env, file, origin);
    }

    /** For tests and embedding: a configuration from explicit maps only. */
    public static Config of(Map<String, String> systemProperties, Map<String, String> environment,
                            Map<String, String> file) {
        return new Config(Map.of(), systemProperties, environment, file, PROPERTIES_FILE);
    }

    /** This configuration with an explicit API value, which beats every other source. */
    public Config with(String key, String value) {
        requireKey(key);
        if (value == null) {
            throw new IllegalArgumentException("value of " + key + " must not be null");
        }
        Map<String, String> a = new LinkedHashMap<>(api);
        a.put(key, value);
        return new Config(a, systemProperties, environment, file, fileOrigin);
    }

    /** The environment variable that sets a key: {@code layers4j.cpu.threads} → {@code LAYERS4J_CPU_THREADS}. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The value of a key and where it came from, if any source sets it. */
    public Optional<Value> get(String key) {
        requireKey(key);
        if (api.containsKey(key)) {
            return Optional.of(new Value(key, api.get(key), Source.API, "API"));
        }
        if (systemProperties.containsKey(key)) {
            return Optional.of(new Value(key, systemProperties.get(key), Source.SYSTEM_PROPERTY, "-D" + key));
        }
        String env = environmentName(key);
        if (environment.containsKey(env)) {
            return Optional.of(new Value(key, environment.get(env), Source.ENVIRONMENT, env));
        }
        if (file.containsKey(key)) {
            return Optional.of(new Value(key, file.get(key), Source.PROPERTIES_FILE, fileOrigin));
        }
        return Optional.empty();
    }

    /** The value, or {@code defaultValue} (reported with source DEFAULT). */
    public Value get(String key, String defaultValue) {
        return get(key).orElseGet(() -> new Value(key, defaultValue, Source.DEFAULT, "default"));
    }

    public int getInt(String key, int defaultValue) {
        Optional<Value> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.get().value().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, but got '" + v.get().value() + "' from "
                    + v.get().source().description() + " " + v.get().origin());
        }
    }

    public long getLong(String key, long defaultValue) {
        Optional<Value> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            return Long.parseLong(v.get().value().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, but got '" + v.get().value() + "' from "
                    + v.get().source().description() + " " + v.get().origin());
        }
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        Optional<Value> v = get(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        String s = v.get().value().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException(key + " must be true or false, but got '" + v.get().value() + "' from "
                + v.get().source().description() + " " + v.get().origin());
    }

    /** Every {@code layers4j.*} key some source sets, resolved, sorted by key. */
    public Map<String, Value> entries() {
        Map<String, Value> out = new TreeMap<>();
        for (Map<String, String> m : java.util.List.of(api, systemProperties, file)) {
            m.keySet().forEach(k -> get(k).ifPresent(v -> out.put(k, v)));
        }
        for (String env : environment.keySet()) {
            String key = env.toLowerCase(Locale.ROOT).replace('_', '.');
            // environment names lose the case of camelCase keys; report them under the variable's name
            out.putIfAbsent(key, get(key).orElse(new Value(key, environment.get(env), Source.ENVIRONMENT, env)));
        }
        return Collections.unmodifiableMap(out);
    }

    /**
     * The keys some source sets that are not in {@code known} (compared case-insensitively, as environment
     * variables lose case), each with the nearest known key by edit distance, e.g.
     * {@code layers4j.cpu.thread (from -Dlayers4j.cpu.thread): did you mean layers4j.cpu.threads?}.
     */
    public java.util.List<String> unknownKeys(java.util.Set<String> known) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (Value v : entries().values()) {
            String k = v.key();
            boolean found = known.stream().anyMatch(x -> x.equalsIgnoreCase(k));
            if (!found && !k.equals(PROPERTIES_FILE)) {
                String nearest = null;
                int best = Integer.MAX_VALUE;
                for (String x : known) {
                    int d = distance(k.toLowerCase(Locale.ROOT), x.toLowerCase(Locale.ROOT));
                    if (d < best) {
                        best = d;
                        nearest = x;
                    }
                }
                out.add(k + " (from " + v.origin() + ")" + (nearest == null ? "" : ": did you mean " + nearest + "?"));
            }
        }
        return out;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank()) {
            throw new IllegalArgumentException("configuration key must not be null or blank");
        }
    }
}
