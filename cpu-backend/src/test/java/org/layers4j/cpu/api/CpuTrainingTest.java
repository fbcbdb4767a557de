package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendTrainingTests;

/** BackendTrainingTests on the CPU backend. */
class CpuTrainingTest extends BackendTrainingTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
