package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLossDifferentialTests;

/** BackendLossDifferentialTests on the CUDA backend (needs a GPU). */
class CudaLossDifferentialTest extends BackendLossDifferentialTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
