package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BadTrainingInputTests;

/** BadTrainingInputTests on the CPU backend. */
class CpuBadTrainingInputTest extends BadTrainingInputTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
