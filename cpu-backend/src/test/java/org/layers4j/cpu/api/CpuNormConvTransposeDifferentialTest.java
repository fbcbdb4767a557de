package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendNormConvTransposeDifferentialTests;

/** LayerNorm, GroupNorm, ConvTranspose1d / 2d and stochastic depth against the float64 references, on the CPU backend. */
class CpuNormConvTransposeDifferentialTest extends BackendNormConvTransposeDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
