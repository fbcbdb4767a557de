package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendLayerTests;

/** Layer behaviours (NaN, ReLU at 0, Sequential, state_dict, argument checks) on the CPU backend. */
class CpuLayerTest extends BackendLayerTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
