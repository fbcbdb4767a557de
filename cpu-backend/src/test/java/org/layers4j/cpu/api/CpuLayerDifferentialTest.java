package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLayerDifferentialTests;

/** At least 200 random configurations per layer type against the float64 reference, on the CPU backend. */
class CpuLayerDifferentialTest extends BackendLayerDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
