package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.spi.ConvGeometry;

/**
 * The col2im backward data's batched GEMM (several images' columns per GEMM, {@link Col2imBackwardData#batches}):
 * the same bits as one image per GEMM, for both kernel families and thread counts, on random geometries with small
 * planes (unit, phased and huge width strides, groups, dilation, padding, odd sizes). ConvolutionTest checks the
 * values against a float64 reference.
 */
class Col2imBackwardDataTest {
    private static final int CASES = 30;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(7122026);
        for (String kernels : new String[] {"vector", "scalar"}) {
            int found = 0;
            while (found < CASES) {
                int groups = 1 + r.nextInt(3);
                int cg = 8 + r.nextInt(60);
                int kg = 1 + r.nextInt(40);
                int kh = 1 + r.nextInt(4);
                int kw = 1 + r.nextInt(4);
                int sh = 1 + r.nextInt(3);
                int sw = found % 7 == 0 ? 9 : 1 + r.nextInt(3);
                if (found % 7 == 0) {
                    sh = 9; // sh * sw beyond the polyphase bound: the element-wise scatter
                }
                int dh = 1 + r.nextInt(2);
                int dw = 1 + r.nextInt(2);
                int ph = r.nextInt(kh + 1);
                int pw = r.nextInt(kw + 1);
                int h = 1 + r.nextInt(20);
                int w = 1 + r.nextInt(20);
                int n = 2 + r.nextInt(9);
                if (h + 2 * ph - dh * (kh - 1) <= 0 || w + 2 * pw - dw * (kw - 1) <= 0) {
                    continue;
                }
                ConvGeometry g = new ConvGeometry(n, groups * cg, h, w, groups * kg, kh, kw, sh, sw, ph, pw, dh, dw,
                        groups);
                if (!batches(kernels, g, 1) || !batches(kernels, g, 3)) {
                    continue;
                }
                out.add(Arguments.of(kernels, g));
                found++;
            }
        }
        return out.stream();
    }

    private static boolean batches(String kernels, ConvGeometry g, int threads) {
        try (ParallelRunner runner = new ParallelRunner(threads)) {
            return new Col2imBackwardData(Kernels.select(kernels), runner).batches(g);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void batchedGemmGivesTheBitsOfOneImageAtATime(String kernels, ConvGeometry g) {
        Kernels kn = Kernels.select(kernels);
        float[] dy = TestSupport.random(21, g.n() * g.k() * g.outH() * g.outW());
        float[] w = TestSupport.random(22, g.k() * g.cPerGroup() * g.kh() * g.kw());
        int[] expected = null;
        for (int threads : new int[] {1, 3}) {
            for (boolean batching : new boolean[] {false, true}) {
                float[] dx = TestSupport.random(23, g.n() * g.c() * g.h() * g.w());
                try (ParallelRunner runner = new ParallelRunner(threads)) {
                    Col2imBackwardData c = new Col2imBackwardData(kn, runner, batching);
                    assertEquals(batching, c.batches(g));
                    c.backwardData(g, dy, w, dx);
                }
                int[] bits = new int[dx.length];
                for (int i = 0; i < dx.length; i++) {
                    bits[i] = Float.floatToRawIntBits(dx[i]);
                }
                if (expected == null) {
                    expected = bits;
                } else {
                    assertArrayEquals(expected, bits, "threads " + threads + ", batching " + batching);
                }
            }
        }
    }

    @Test
    void batchesWhereOneImagePerGemmWouldPackMostOfTheWeights() {
        // ResNet-18's stride-2 3 x 3 into 7 x 7 (batch 8) batches; into 14 x 14, and the 1 x 1 shortcut, do not
        assertTrue(Col2imBackwardData.batchedPacksLess(new ConvGeometry(8, 256, 14, 14, 512, 3, 3, 2, 2, 1, 1, 1, 1, 1),
                4));
        assertFalse(Col2imBackwardData.batchedPacksLess(new ConvGeometry(8, 128, 28, 28, 256, 3, 3, 2, 2, 1, 1, 1, 1, 1),
                4));
        assertFalse(Col2imBackwardData.batchedPacksLess(new ConvGeometry(8, 256, 14, 14, 512, 1, 1, 2, 2, 0, 0, 1, 1, 1),
                4));
    }
}
