package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendShapeDifferentialTests;

/** The shape / copy ops, interpolate and pad against the float64 reference, on the CPU backend. */
class CpuShapeDifferentialTest extends BackendShapeDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
