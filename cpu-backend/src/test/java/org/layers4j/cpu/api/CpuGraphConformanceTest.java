package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendGraphConformanceTests;

/** The graph conformance cases (fixtures/graphs) on the CPU backend. */
class CpuGraphConformanceTest extends BackendGraphConformanceTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
