package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendOptimizerDifferentialTests;

/** BackendOptimizerDifferentialTests on the CPU backend. */
class CpuOptimizerDifferentialTest extends BackendOptimizerDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
