package org.layers4j.cpu.api;

import org.layers4j.Backends;
import org.layers4j.spi.Backend;
import org.layers4j.testing.EmptyAndExtremeTests;

/** Issue 10's empty batches and extreme geometries on the CPU backend. */
class CpuEmptyAndExtremeTest extends EmptyAndExtremeTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }
}
