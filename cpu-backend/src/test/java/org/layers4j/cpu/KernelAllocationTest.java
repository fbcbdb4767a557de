package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The channel-blocked depthwise row kernels and the max pool's vector winners allocate nothing once compiled, also when
 * C2 compiles each of their methods on its own, as it does in a model where all of them are hot (the execution
 * {@code kernel-boundaries} of this module's pom runs this test with inlining of {@link VectorDepthwiseKernels} and
 * {@link VectorWinners} turned off). A vector handed from one compiled method to another has no exact type in the
 * callee, and C2 leaves every operation on it to the Vector API's Java fallback, which allocates an array per
 * operation: MobileNetV3-Large at batch 8 allocated 8.7 MB per forward, EfficientNet-B0 31 MB; a ResNet-18 training
 * step's max-pool backward ran its winners on it. Every kernel shape of {@link Kernels#depthwiseRow} runs here: 3- and
 * 5-wide rows at steps 1 and 2, the eight- and four-position groups of other widths, single positions,
 * products-then-sums tails and the bias.
 */
class KernelAllocationTest {
    private static final Kernels VECTOR = Kernels.select("vector");

    /** ow, fusedEnd, kw, kernel rows, column step in positions. */
    private static final int[][] ROWS = {{7, 7, 3, 3, 1}, {7, 7, 3, 3, 2}, {7, 5, 5, 5, 1}, {14, 14, 5, 5, 2},
        {9, 9, 7, 1, 1}, {6, 6, 7, 1, 1}, {3, 2, 3, 3, 1}};

    @Test
    void depthwiseRowsAllocateNothingOnceCompiled() {
        int lanes = VECTOR.depthwiseLanes();
        assumeTrue(lanes > 0, "no channel-blocked depthwise kernels at this vector width");
        Random r = new Random(7);
        float[] x = new float[64 * 64 * lanes];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] w = new float[25 * lanes];
        float[] bias = new float[lanes];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        float[] out = new float[16 * lanes];
        int[][] taps = new int[ROWS.length][];
        for (int c = 0; c < ROWS.length; c++) {
            int kw = ROWS[c][2];
            int rows = ROWS[c][3];
            taps[c] = new int[kw * rows];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < kw; j++) {
                    taps[c][i * kw + j] = (i * 40 + j) * lanes;
                }
            }
        }
        long allocated = allocatedOnceWarm(() -> {
            for (int round = 0; round < 2000; round++) {
                for (int c = 0; c < ROWS.length; c++) {
                    int[] s = ROWS[c];
                    VECTOR.depthwiseRow(s[0], s[1], x, round % 8 * lanes, s[4] * lanes, taps[c], s[2] * s[3], s[2], w,
                            c % 2 == 0 ? bias : null, 0, out, 0);
                }
            }
        });
        assertTrue(allocated <= 4096, "2000 rounds of the depthwise row kernels still allocated " + allocated
                + " bytes after 20 s of warm-up: a kernel runs on the Vector API's allocating fallback");
    }

    @Test
    void maxPoolWinnersAllocateNothingOnceCompiled() {
        int lanes = VectorWinners.L;
        Random r = new Random(8);
        int width = 4 * lanes + 8;
        float[] x = new float[3 * width];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] y = new float[lanes];
        for (int t = 0; t < lanes; t++) {
            y[t] = Math.max(x[2 * t + 1], x[width + 2 * t]);
        }
        float[] codes = new float[lanes];
        int[] found = new int[1];
        long allocated = allocatedOnceWarm(() -> {
            for (int round = 0; round < 20000; round++) {
                found[0] += VectorWinners.find(x, 0, width, 2 * width, round % 2, y, 0, codes) ? 1 : 0;
            }
        });
        assertTrue(found[0] > 0, "no window was searched");
        assertTrue(allocated <= 4096, "20000 winner searches still allocated " + allocated
                + " bytes after 20 s of warm-up: the kernel runs on the Vector API's allocating fallback");
    }

    /**
     * The bytes this thread allocates in one call of {@code batch}, called again until it allocates at most 4 KiB (the
     * kernels compiled) or 20 s have passed.
     */
    private static long allocatedOnceWarm(Runnable batch) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        long deadline = System.nanoTime() + 20_000_000_000L;
        long allocated;
        do {
            long before = threads.getThreadAllocatedBytes(id);
            batch.run();
            allocated = threads.getThreadAllocatedBytes(id) - before;
        } while (allocated > 4096 && System.nanoTime() < deadline);
        return allocated;
    }
}
