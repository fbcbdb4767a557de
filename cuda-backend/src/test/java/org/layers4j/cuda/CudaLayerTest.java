package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLayerTests;

/** The shared layer-API behaviour (NaN, ReLU at 0, Sequential, state_dict, closing) on CUDA (needs a GPU). */
class CudaLayerTest extends BackendLayerTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
