package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendConformanceTests;

/** The golden PyTorch fixtures, forward and backward, on the CPU backend. */
class CpuConformanceTest extends BackendConformanceTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
