package org.layers4j.cuda;

import org.junit.jupiter.api.BeforeEach;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendModelTests;

/** ResNet-18, the TextCNN and PyTorch-written model files against PyTorch, on the CUDA backend (needs a GPU). */
class CudaModelTest extends BackendModelTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }
}
