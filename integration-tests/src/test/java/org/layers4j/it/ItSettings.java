package org.layers4j.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The switches of the container tests. Each is read from a system property (Maven passes the
 * pom's properties, so {@code -Dlayers4j.it=true} and {@code -Pgpu} work) and, when that is unset
 * or blank, from an environment variable, so a shell or a CI job can set them too.
 */
final class ItSettings {

    private ItSettings() {
    }

    /** Whether the container tests run at all; off unless asked for, see integration-tests/pom.xml. */
    static boolean enabled() {
        return flag("layers4j.it", "LAYERS4J_IT");
    }

    /**
     * Whether this host has NVIDIA GPUs for containers. Set explicitly, never guessed from the
     * engine's runtimes: a host may list the nvidia runtime and still have no usable GPU.
     */
    static boolean gpu() {
        return flag("layers4j.it.gpu", "LAYERS4J_IT_GPU");
    }

    /** The Dockerfile's BASE_IMAGE, when overridden; otherwise the Dockerfile's nvidia/cuda default. */
    static Optional<String> baseImage() {
        return setting("layers4j.it.baseImage", "LAYERS4J_IT_BASE_IMAGE");
    }

    /** The repository root: the Docker build context is assembled from paths below it. */
    static Path repoRoot() {
        Path root = setting("layers4jRepoRoot", "LAYERS4J_REPO_ROOT")
                .map(Path::of)
                .orElseGet(() -> Path.of("").toAbsolutePath().getParent());
        if (!Files.isRegularFile(root.resolve("docker/Dockerfile"))) {
            throw new IllegalStateException("not the layers4j repository root (no docker/Dockerfile): " + root);
        }
        return root.normalize();
    }

    private static boolean flag(String property, String env) {
        return setting(property, env)
                .map(v -> v.trim().toLowerCase(Locale.ROOT))
                .map(v -> v.equals("true") || v.equals("1") || v.equals("yes"))
                .orElse(false);
    }

    private static Optional<String> setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
    }
}
