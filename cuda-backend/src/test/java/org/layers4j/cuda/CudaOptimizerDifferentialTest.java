package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendOptimizerDifferentialTests;

/** BackendOptimizerDifferentialTests on the CUDA backend (needs a GPU). */
class CudaOptimizerDifferentialTest extends BackendOptimizerDifferentialTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
