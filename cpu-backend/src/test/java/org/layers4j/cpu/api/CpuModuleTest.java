package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendModuleTests;

/** The module contract on the CPU backend. */
class CpuModuleTest extends BackendModuleTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
