package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendCompiledGraphTests;

/** Graph models compiled for inference on the CPU backend. */
class CpuCompiledGraphTest extends BackendCompiledGraphTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
