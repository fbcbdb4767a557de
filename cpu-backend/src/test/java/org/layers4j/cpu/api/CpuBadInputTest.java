package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BadInputTests;

/** Bad arguments and inputs of every new layer, on the CPU backend. */
class CpuBadInputTest extends BadInputTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
