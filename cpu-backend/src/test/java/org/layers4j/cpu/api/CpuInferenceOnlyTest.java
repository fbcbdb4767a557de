package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendInferenceOnlyTests;

/** Models loaded for inference only on the CPU backend. */
class CpuInferenceOnlyTest extends BackendInferenceOnlyTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
