package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendModelTests;

/** ResNet-18, the TextCNN and PyTorch-written model files against PyTorch, on the CPU backend. */
class CpuModelTest extends BackendModelTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
