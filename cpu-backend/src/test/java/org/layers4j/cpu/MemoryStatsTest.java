package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.Backend;
import org.layers4j.spi.MemoryStats;

/** The CPU backend's tensor-memory account: live and peak bytes follow allocation and release, views count once. */
class MemoryStatsTest {
    private static final int BIG = 1 << 20; // pooled (>= ArrayPool.MIN_POOLED floats)

    private static CpuBackend backend() {
        return new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(CpuBackend.WARMUP_KEY, "false"));
    }

    @Test
    void liveAndPeakFollowAllocateAndClose() {
        try (CpuBackend be = backend()) {
            MemoryStats m = be.memory();
            assertTrue(m.tracked());
            long base = m.liveBytes();
            Tensor a = be.allocate(Shape.of(BIG));
            assertEquals(base + 4L * BIG, m.liveBytes());
            Tensor b = be.upload(new float[10], Shape.of(2, 5));
            Tensor c = be.upload(new long[] {1, 2, 3}, Shape.of(3));
            Tensor d = be.allocate(Shape.of(4), DType.INT64);
            assertEquals(base + 4L * BIG + 40 + 24 + 32, m.liveBytes());
            long peak = m.liveBytes();
            assertEquals(peak, m.peakBytes());
            a.close();
            b.close();
            c.close();
            d.close();
            assertEquals(base, m.liveBytes());
            assertEquals(peak, m.peakBytes(), "the peak stays until reset");
            m.resetPeak();
            assertEquals(base, m.peakBytes());
        }
    }

    @Test
    void viewsAndSharesDoNotCountTwiceAndTheMemoryLeavesWithTheLastHandle() {
        try (CpuBackend be = backend()) {
            MemoryStats m = be.memory();
            long base = m.liveBytes();
            Tensor a = be.allocate(Shape.of(4, BIG / 4));
            Tensor v = a.reshape(BIG);
            Tensor s = a.share();
            assertEquals(base + 4L * BIG, m.liveBytes());
            a.close();
            s.close();
            assertEquals(base + 4L * BIG, m.liveBytes(), "the view still holds the memory");
            v.close();
            assertEquals(base, m.liveBytes());
            assertEquals(base + 4L * BIG, m.peakBytes());
        }
    }

    @Test
    void aRecycledArrayCountsOnceForEachTensorThatHoldsIt() {
        try (CpuBackend be = backend()) {
            MemoryStats m = be.memory();
            long base = m.liveBytes();
            for (int i = 0; i < 5; i++) {
                try (Tensor t = be.allocate(Shape.of(BIG)); Tensor u = be.upload(new float[BIG], Shape.of(BIG))) {
                    assertEquals(base + 8L * BIG, m.liveBytes(), "round " + i);
                }
                assertEquals(base, m.liveBytes(), "pooled arrays are not tensor memory, round " + i);
            }
            assertEquals(base + 8L * BIG, m.peakBytes());
            m.resetPeak();
            try (Tensor t = be.allocate(Shape.of(BIG))) {
                assertEquals(base + 4L * BIG, m.peakBytes());
            }
        }
    }

    @Test
    void anOperationsOutputCountsAndTheDefaultIsNotTracked() {
        try (CpuBackend be = backend()) {
            MemoryStats m = be.memory();
            long base = m.liveBytes();
            try (Tensor x = be.upload(new float[] {-1, 2, -3, 4}, Shape.of(4));
                 Tensor y = org.layers4j.nn.functional.Activations.relu(x)) {
                assertEquals(base + 32, m.liveBytes());
            }
            assertEquals(base, m.liveBytes());
        }
        Backend bare = new Backend() {
            @Override public String name() { return "bare"; }
            @Override public Tensor allocate(Shape s, DType d) { throw new UnsupportedOperationException(); }
            @Override public Tensor upload(float[] d, Shape s) { throw new UnsupportedOperationException(); }
            @Override public Tensor upload(long[] d, Shape s) { throw new UnsupportedOperationException(); }
            @Override public float[] download(Tensor t) { throw new UnsupportedOperationException(); }
            @Override public long[] downloadLongs(Tensor t) { throw new UnsupportedOperationException(); }
            @Override public org.layers4j.spi.ConvolutionOps convolution() { return null; }
            @Override public org.layers4j.spi.PoolingOps pooling() { return null; }
            @Override public org.layers4j.spi.NormalizationOps normalization() { return null; }
            @Override public org.layers4j.spi.BlasOps blas() { return null; }
            @Override public org.layers4j.spi.ActivationOps activation() { return null; }
            @Override public org.layers4j.spi.ElementwiseOps elementwise() { return null; }
            @Override public org.layers4j.spi.LayoutOps layout() { return null; }
            @Override public org.layers4j.spi.OptimizerOps optimizer() { return null; }
            @Override public void close() { }
        };
        assertFalse(bare.memory().tracked());
        bare.memory().allocated(100);
        assertEquals(0, bare.memory().liveBytes());
        assertEquals(0, bare.memory().peakBytes());
    }
}
