package org.layers4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkFiles;
import org.layers4j.Backends;
import org.layers4j.io.Models;
import org.layers4j.nn.Module;

/**
 * The models of one JVM (an executor, or the driver in local mode), loaded once per model path and
 * backend spec and shared by every task thread: a loaded module is in eval mode, whose forward is
 * thread safe. Loading is atomic per key ({@link ConcurrentHashMap#computeIfAbsent}); a failed load
 * is not cached, so the next task tries again.
 *
 * <p>Cached modules are never closed on their own: they live as long as the JVM, as the shared
 * backends they sit on do (closing them from a shutdown hook could pull weights from under a task
 * still running). {@link #clear()} closes them for a caller that knows no task uses them.
 */
public final class ModelCache {
    private static final Map<String, Module> MODELS = new ConcurrentHashMap<>();

    private ModelCache() {
    }

    /** The model at {@code path} on the backend {@code backendSpec} (cpu, cuda, cuda:N, auto), loaded on first use. */
    public static Module get(String path, String backendSpec) {
        return MODELS.computeIfAbsent(path + '\u0000' + backendSpec, k -> load(path, backendSpec));
    }

    /** How many models this JVM holds. */
    public static int size() {
        return MODELS.size();
    }

    /** Closes and forgets every cached model (only when no task is running on them). */
    public static synchronized void clear() {
        for (String key : MODELS.keySet()) {
            Module m = MODELS.remove(key);
            if (m != null) {
                m.close();
            }
        }
    }

    private static Module load(String path, String backendSpec) {
        Path file = resolve(path);
        try {
            return Models.loadForInference(file, Backends.get(backendSpec));
        } catch (IOException e) {
            throw new UncheckedIOException("layers4j model '" + path + "' could not be loaded on backend '"
                    + backendSpec + "': " + e.getMessage(), e);
        }
    }

    /** The path as given; failing that, a file shipped with {@code --files} / {@code SparkContext.addFile}. */
    static Path resolve(String path) {
        Path p = Paths.get(path);
        if (Files.isRegularFile(p)) {
            return p;
        }
        try {
            Path shipped = Paths.get(SparkFiles.get(p.getFileName().toString()));
            if (Files.isRegularFile(shipped)) {
                return shipped;
            }
        } catch (RuntimeException noSparkEnv) {
            // no SparkContext in this JVM: the plain path's error below says what is missing
        }
        return p;
    }
}
