package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLayerDifferentialTests;

/** At least 200 random configurations per layer type against the float64 reference, on the CUDA backend (needs a GPU). */
class CudaLayerDifferentialTest extends BackendLayerDifferentialTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
