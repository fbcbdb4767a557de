package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.tools.GpuChecks;
import org.layers4j.spi.Backend;

/**
 * The GPU-only requirements (each skipped with a visible assumption without a GPU): no leak over
 * 10,000 create / forward / close cycles, 8 threads × 1,000 forwards identical to one thread, a tiny
 * workspace limit still computes the right result, deterministic mode is bit-identical, tensors
 * round-trip, and a CPU tensor never reaches native code.
 */
class GpuChecksTest {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Test
    void leak() {
        assertTrue(GpuChecks.leak(10_000).contains("10000 cycles"));
    }

    @Test
    void concurrency() {
        assertTrue(GpuChecks.concurrency(8, 1_000).contains("8 threads x 1000 forwards = 8000"));
    }

    @Test
    void tinyWorkspaceFallsBackToAnAlgorithmThatFits() {
        assertTrue(GpuChecks.tinyWorkspace().startsWith("workspace limit 1 byte"));
    }

    @Test
    void benchmarkModeComputesTheSameAsTheHeuristics() {
        assertTrue(GpuChecks.benchmarkMode().startsWith("benchmark mode matches"));
    }

    @Test
    void deterministicModeIsBitIdentical() {
        assertTrue(GpuChecks.determinism().contains("bit-identical"));
    }

    @Test
    void uploadDownloadRoundTripsAndAllocateGivesZeros() {
        try (CudnnBackend b = GpuChecks.backend()) {
            float[] v = {1, -2, 3.5f, Float.NaN, Float.NEGATIVE_INFINITY, 0};
            try (Tensor t = b.upload(v, Shape.of(2, 3)); Tensor z = b.allocate(Shape.of(4, 5))) {
                assertArrayEquals(v, t.toArray());
                assertArrayEquals(new float[20], z.toArray());
            }
            long mallocs = b.mallocCalls();
            try (Tensor t = b.upload(v, Shape.of(2, 3))) {
                assertEquals(mallocs, b.mallocCalls(), "a freed block of the same size is reused");
                assertEquals(6, t.shape().size());
            }
        }
    }

    @Test
    void reluAtNanZeroAndInfinityMatchesTheCpuBackendForwardAndBackward() {
        float[] x = {Float.NaN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f, -1f};
        float[] dy = {5, 6, 7, 8, 9, 10, 11};
        float[][] out = new float[2][];
        int i = 0;
        for (Backend be : new Backend[] {Backends.get("cpu"), Backends.get("cuda")}) {
            try (Tensor tx = be.upload(x, Shape.of(7)); Tensor tdy = be.upload(dy, Shape.of(7));
                 Tensor y = be.allocate(Shape.of(7)); Tensor dx = be.allocate(Shape.of(7))) {
                be.activation().relu(tx, y);
                be.activation().reluBackward(tx, tdy, dx);
                out[i++] = concat(y.toArray(), dx.toArray());
            }
        }
        // PyTorch: the gradient passes where x is not <= 0, so NaN and +inf pass it, ±0 do not
        assertArrayEquals(new float[] {Float.NaN, 0, 0, Float.POSITIVE_INFINITY, 0, 1, 0, 5, 0, 0, 8, 0, 10, 0}, out[0]);
        assertArrayEquals(out[0], out[1]);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void tensorsOfAnotherBackendAreRejectedBeforeNativeCode() {
        Backend cpu = Backends.get("cpu");
        try (CudnnBackend b = GpuChecks.backend();
             Tensor host = cpu.upload(new float[] {1, 2}, Shape.of(2));
             Tensor dev = b.allocate(Shape.of(2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.activation().relu(host, dev));
            assertTrue(e.getMessage().contains("is not on cuda:0"), e.getMessage());
        }
    }
}
