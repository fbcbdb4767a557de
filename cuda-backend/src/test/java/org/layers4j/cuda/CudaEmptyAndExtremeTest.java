package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.EmptyAndExtremeTests;

/** Issue 10's empty batches and extreme geometries on the CUDA backend (needs a GPU). */
class CudaEmptyAndExtremeTest extends EmptyAndExtremeTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
