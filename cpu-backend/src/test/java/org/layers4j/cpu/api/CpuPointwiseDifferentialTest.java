package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendPointwiseDifferentialTests;

/** Broadcasting arithmetic, sum / mean and the pointwise activations against the float64 reference, on the CPU backend. */
class CpuPointwiseDifferentialTest extends BackendPointwiseDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
