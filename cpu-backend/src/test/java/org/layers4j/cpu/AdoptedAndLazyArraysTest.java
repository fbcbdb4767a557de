package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;

/**
 * {@link CpuBackend#adopt} takes the caller's array itself; a fresh zero tensor gets its array at first use, so one
 * closed unused (a layer's default weight that a loader replaced) never allocates it.
 */
class AdoptedAndLazyArraysTest {
    private static final int BIG = 1 << 20;

    private static CpuBackend backend() {
        return new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false"));
    }

    @Test
    void anAdoptedArrayIsTheTensorsOwnAndCounted() {
        try (CpuBackend be = backend()) {
            long base = be.memory().liveBytes();
            float[] values = new float[BIG];
            values[3] = 7f;
            Tensor t = be.adopt(values, Shape.of(BIG / 4, 4));
            assertSame(values, CpuStorage.of(t), "no copy");
            assertEquals(7f, t.toArray()[3]);
            assertEquals(base + 4L * BIG, be.memory().liveBytes());
            t.close();
            assertEquals(base, be.memory().liveBytes());
            assertEquals(0, be.pooledBytes(), "a model's weights are left to the GC, not pooled");
            assertThrows(IllegalArgumentException.class, () -> be.adopt(new float[5], Shape.of(2, 3)));
        }
    }

    @Test
    void aZeroTensorClosedUnusedNeverHadAnArray() {
        try (CpuBackend be = backend()) {
            long base = be.memory().liveBytes();
            Tensor unused = be.allocate(Shape.of(BIG));
            assertEquals(base + 4L * BIG, be.memory().liveBytes(), "counted from allocation");
            unused.close();
            assertEquals(base, be.memory().liveBytes());
            assertEquals(0, be.pooledBytes(), "no array was created, so none reaches the pool");
            Tensor used = be.allocate(Shape.of(BIG));
            assertArrayEquals(new float[BIG], used.toArray(), "zeros at first use");
            used.close();
            assertEquals(4L * BIG, be.pooledBytes(), "the array created at first use is recycled");
            Tensor closed = be.allocate(Shape.of(BIG));
            closed.close();
            closed.close();
            assertEquals(base, be.memory().liveBytes(), "a second close counts nothing");
        }
    }
}
