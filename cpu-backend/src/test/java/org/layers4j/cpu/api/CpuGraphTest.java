package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendGraphTests;

/** Graph models on the CPU backend. */
class CpuGraphTest extends BackendGraphTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
