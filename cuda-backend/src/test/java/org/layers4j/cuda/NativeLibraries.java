package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.layers4j.spi.Availability;

/**
 * Test preconditions, each a visible JUnit assumption rather than a silent pass: real cuDNN loaded
 * (the {@code cudnn-descriptors} profile puts it on LD_LIBRARY_PATH and then requires it), or a
 * usable GPU.
 */
final class NativeLibraries {
    private static Boolean cudnnLoaded;
    private static String cudnnProblem;

    private NativeLibraries() {
    }

    /** Skips without real cuDNN, except under -Pcudnn-descriptors, where missing cuDNN fails the test. */
    static synchronized void requireCudnn() {
        if (cudnnLoaded == null) {
            // the provider's probe must be the first to touch JCudnn: a class whose native load failed
            // cannot be initialized again, and the probe's reason would lose the missing library's name
            CudaProbe.Result r = CudaProbe.result();
            String version = r.details().get("cudnn");
            cudnnLoaded = version != null && version.startsWith("9.");
            cudnnProblem = version == null ? r.reason() : "cuDNN " + version + " is not 9.x";
        }
        if (!cudnnLoaded && Boolean.getBoolean("layers4j.test.requireCudnn")) {
            fail("-Pcudnn-descriptors is on but real cuDNN did not load: " + cudnnProblem);
        }
        assumeTrue(cudnnLoaded, () -> "real cuDNN 9 is not loadable (" + cudnnProblem
                + "); run mvn -Pcudnn-descriptors to test the descriptors against it");
    }

    /** Skips unless the CUDA backend can run here (a GPU, its driver and cuDNN 9). */
    static void requireGpu() {
        Availability a = new CudaBackendProvider().availability();
        assumeTrue(a.available(), () -> "needs a GPU: the cuda backend is unavailable here: " + a.reason());
    }
}
