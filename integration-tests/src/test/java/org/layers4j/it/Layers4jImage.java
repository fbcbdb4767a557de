package org.layers4j.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.DeviceRequest;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame.OutputType;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The image of docker/Dockerfile, built once per test run by Testcontainers, and one-shot runs of
 * it. The build context holds exactly the paths the Dockerfile copies, at the same places as in
 * the repository, so the image is the one {@code docker build -f docker/Dockerfile .} makes.
 */
final class Layers4jImage implements AutoCloseable {

    /** Generous for 2 shared cores: the default command checks every fixture. */
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(10);

    private static final String IMAGE_NAME = "layers4j-it:latest";

    private final Path repoRoot;
    private final ImageFromDockerfile image;
    private final boolean gpus;

    private Layers4jImage(Path repoRoot, ImageFromDockerfile image, boolean gpus) {
        this.repoRoot = repoRoot;
        this.image = image;
        this.gpus = gpus;
    }

    /**
     * The image from the CLI that the reactor packaged into cli/target. With {@code gpus}, every
     * container started from it gets all of the host's GPUs.
     */
    static Layers4jImage fromRepository(Path repoRoot, boolean gpus) {
        Path cliJar = repoRoot.resolve("cli/target/layers4j-cli.jar");
        Path cliLib = repoRoot.resolve("cli/target/lib");
        if (!Files.isRegularFile(cliJar) || !Files.isDirectory(cliLib)) {
            throw new IllegalStateException("no packaged CLI at " + cliJar + " with lib/ beside it: "
                    + "run the reactor from the repository root (mvn verify), which packages cli first");
        }
        // Not deleteOnExit: without Ryuk that only prunes dangling images, never this tagged one;
        // close() removes it.
        ImageFromDockerfile image = new ImageFromDockerfile(IMAGE_NAME, false)
                // "Dockerfile" at the context root is the default name, so no Dockerfile path is needed.
                .withFileFromPath("Dockerfile", repoRoot.resolve("docker/Dockerfile"))
                .withFileFromPath("docker/layers4j", repoRoot.resolve("docker/layers4j"))
                .withFileFromPath("cli/target/layers4j-cli.jar", cliJar)
                .withFileFromPath("cli/target/lib", cliLib)
                .withFileFromPath("fixtures/conformance", repoRoot.resolve("fixtures/conformance"));
        ItSettings.baseImage().ifPresent(base -> image.withBuildArg("BASE_IMAGE", base));
        return new Layers4jImage(repoRoot, image, gpus);
    }

    /** How many conformance cases the image carries: the fixture files it was built from. */
    long fixtureCount() throws IOException {
        try (Stream<Path> files = Files.list(repoRoot.resolve("fixtures/conformance"))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).count();
        }
    }

    /**
     * Runs the container to completion: with no arguments its default command, otherwise the given
     * one. OneShotStartupCheckStrategy makes a non-zero exit (or the timeout) fail the start, and
     * Testcontainers then logs the container's output.
     */
    Run run(String... command) {
        try (GenericContainer<?> container = new GenericContainer<>(image)) {
            container.withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(RUN_TIMEOUT));
            if (command.length > 0) {
                container.withCommand(command);
            }
            if (gpus) {
                // `docker run --gpus all`: count -1 is every GPU, capability "gpu" selects NVIDIA's.
                container.withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withDeviceRequests(List.of(
                        new DeviceRequest().withCount(-1).withCapabilities(List.of(List.of("gpu"))))));
            }
            container.start();
            Long exitCode = container.getCurrentContainerInfo().getState().getExitCodeLong();
            return new Run(exitCode == null ? -1 : exitCode,
                    container.getLogs(OutputType.STDOUT), container.getLogs());
        }
    }

    /** Removes the image, if it was built, so that test runs leave no images behind. */
    @Override
    public void close() {
        if (!image.isDone()) {
            return;
        }
        try {
            DockerClientFactory.instance().client().removeImageCmd(IMAGE_NAME).withForce(true).exec();
        } catch (NotFoundException alreadyGone) {
            // nothing to clean up
        }
    }

    /** What a finished container left: its exit code, its standard output, and all of its output. */
    record Run(long exitCode, String stdout, String allOutput) {

        List<String> stdoutLines() {
            return stdout.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        }
    }
}
