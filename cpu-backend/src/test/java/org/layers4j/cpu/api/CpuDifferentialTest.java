package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendDifferentialTests;

/** 2,000 random configurations against the float64 reference, on the CPU backend. */
class CpuDifferentialTest extends BackendDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
