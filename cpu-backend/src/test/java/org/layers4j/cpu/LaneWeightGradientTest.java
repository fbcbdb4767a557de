package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layers4j.spi.ConvGeometry;

/** Which geometries the lane weight gradient takes, and its channel blocks (ConvolutionTest checks its values). */
class LaneWeightGradientTest {
    private static final Kernels KERNELS = Kernels.select("vector");

    @Test
    void takesGroupsOfOneVectorOfOutputsWithThreeUnitStrideKernelColumns() {
        int lanes = KERNELS.lanes();
        try (ParallelRunner runner = new ParallelRunner(1)) {
            LaneWeightGradient p = new LaneWeightGradient(KERNELS, runner);
            assertTrue(p.suits(geometry(lanes, 3, 1, 1, 1)));
            assertTrue(p.suits(new ConvGeometry(2, 14, 11, 10, 2 * lanes, 3, 3, 2, 1, 1, 1, 2, 1, 2)));
            assertFalse(p.suits(geometry(2 * lanes, 3, 1, 1, 1)), "two vectors of outputs");
            assertFalse(p.suits(geometry(lanes - 1, 3, 1, 1, 1)), "a partial vector");
            assertFalse(p.suits(geometry(lanes, 5, 1, 1, 1)), "kernel width 5");
            assertFalse(p.suits(geometry(lanes, 3, 2, 1, 1)), "column stride 2");
            assertFalse(p.suits(geometry(lanes, 3, 1, 2, 1)), "column dilation 2");
            assertFalse(p.suits(new ConvGeometry(1, 3, 2, 4, lanes, 3, 3, 1, 1, 1, 1 << 29, 1, 1, 1)),
                    "a transposed plane beyond " + LaneWeightGradient.MAX_PLANE_FLOATS + " floats");
        }
    }

    @Test
    void channelBlocksAreThreesWithPairsAtTheTail() {
        assertArrayEquals(new int[] {0, 1}, LaneWeightGradient.blockStarts(1));
        assertArrayEquals(new int[] {0, 2}, LaneWeightGradient.blockStarts(2));
        assertArrayEquals(new int[] {0, 3}, LaneWeightGradient.blockStarts(3));
        assertArrayEquals(new int[] {0, 2, 4}, LaneWeightGradient.blockStarts(4));
        assertArrayEquals(new int[] {0, 3, 5}, LaneWeightGradient.blockStarts(5));
        assertArrayEquals(new int[] {0, 3, 5, 7}, LaneWeightGradient.blockStarts(7));
        assertArrayEquals(new int[] {0, 3, 6, 8}, LaneWeightGradient.blockStarts(8));
        assertArrayEquals(new int[] {0, 3, 6, 9}, LaneWeightGradient.blockStarts(9));
    }

    private static ConvGeometry geometry(int k, int kw, int strideW, int dilationW, int groups) {
        return new ConvGeometry(2, 4 * groups, 9, 12, k * groups, 3, kw, 1, strideW, 1, 1, 1, dilationW, groups);
    }
}
