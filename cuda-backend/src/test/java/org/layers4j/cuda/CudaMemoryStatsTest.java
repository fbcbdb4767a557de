package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;
import org.layers4j.spi.MemoryStats;

/** The CUDA backend's tensor-memory account follows allocate / upload / close, views counting once (needs a GPU). */
class CudaMemoryStatsTest {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Test
    void liveAndPeakFollowTheTensorsDeviceMemory() {
        Backend be = Backends.get("cuda");
        MemoryStats m = be.memory();
        assertTrue(m.tracked());
        long base = m.liveBytes();
        m.resetPeak();
        Tensor a = be.allocate(Shape.of(1000));
        Tensor b = be.upload(new long[] {1, 2, 3}, Shape.of(3));
        Tensor v = a.reshape(10, 100);
        assertEquals(base + 4000 + 24, m.liveBytes());
        a.close();
        assertEquals(base + 4000 + 24, m.liveBytes(), "the view holds the memory");
        v.close();
        b.close();
        assertEquals(base, m.liveBytes());
        assertEquals(base + 4024, m.peakBytes());
        try (Tensor c = be.allocate(Shape.of(7), DType.FLOAT32)) {
            assertEquals(base + 28, m.liveBytes());
        }
    }
}
