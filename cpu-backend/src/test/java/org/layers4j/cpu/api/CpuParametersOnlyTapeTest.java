package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendParametersOnlyTapeTests;

/** The parameters-only tape on the CPU backend. */
class CpuParametersOnlyTapeTest extends BackendParametersOnlyTapeTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
