package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.cpu.CpuBackend;
import org.layers4j.nn.linear.Linear;
import org.layers4j.spi.Backend;
import org.layers4j.testing.EmptyAndExtremeTests;

/** Issue 10's empty batches and extreme geometries on the CPU backend. */
class CpuEmptyAndExtremeTest extends EmptyAndExtremeTests {
    @Override
    protected Backend backend() {
        return Backends.get("cpu");
    }

    @Test
    void twoCpuBackendInstancesAreNamedAsDifferentInstances() {
        try (CpuBackend other = new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false"));
             Linear l = new Linear(3, 2, true, backend(), 0);
             Tensor x = other.upload(new float[6], Shape.of(2, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(x));
            assertTrue(e.getMessage().contains("input is on backend cpu (another instance), but the module is on cpu"),
                    e.getMessage());
        }
    }
}
