package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLossDifferentialTests;

/** BackendLossDifferentialTests on the CPU backend. */
class CpuLossDifferentialTest extends BackendLossDifferentialTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
