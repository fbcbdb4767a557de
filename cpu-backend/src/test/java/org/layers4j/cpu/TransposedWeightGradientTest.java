package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.layers4j.spi.ConvGeometry;

/**
 * The transposed weight gradient's image chunks ({@link TransposedWeightGradient#imagesPerChunk}): the batch in
 * one chunk, or in chunks of a few images, gives the same bits as one image per chunk (each element's sum runs
 * over images, bands and positions in the same order), for both kernel families, on random odd geometries
 * (groups, strides, padding, dilation, several bands); and the blocked transposed write-out of a task's block.
 * ConvolutionTest checks the values against a float64 reference.
 */
class TransposedWeightGradientTest {
    private static final int CASES = 24;

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(20261207);
        for (String kernels : new String[] {"vector", "scalar"}) {
            Kernels kn = Kernels.select(kernels);
            int found = 0;
            while (found < CASES) {
                int groups = 1 + r.nextInt(3);
                int cg = 1 + r.nextInt(7);
                // output channels of a group near whole panels of nr, so that the transposed path takes them
                int kg = Math.max(1, kn.nr() * (1 + r.nextInt(2)) - r.nextInt(Math.max(1, kn.nr() / 4)));
                int kh = 1 + r.nextInt(3);
                int kw = 1 + r.nextInt(3);
                int sh = 1 + r.nextInt(2);
                int sw = 1 + r.nextInt(2);
                int dh = 1 + r.nextInt(2);
                int dw = 1 + r.nextInt(2);
                int ph = r.nextInt(kh);
                int pw = r.nextInt(kw);
                int h = 1 + r.nextInt(found % 4 == 0 ? 70 : 17);
                int w = 1 + r.nextInt(found % 4 == 1 ? 70 : 17);
                int n = 1 + r.nextInt(5);
                if ((h + 2 * ph - dh * (kh - 1)) <= 0 || (w + 2 * pw - dw * (kw - 1)) <= 0) {
                    continue;
                }
                ConvGeometry g = new ConvGeometry(n, groups * cg, h, w, groups * kg, kh, kw, sh, sw, ph, pw, dh, dw,
                        groups);
                if (plan(kn, g, 1) == null) {
                    continue;
                }
                out.add(Arguments.of(kernels, g));
                found++;
            }
        }
        return out.stream();
    }

    private static TransposedWeightGradient.Plan plan(Kernels kn, ConvGeometry g, int threads) {
        try (ParallelRunner runner = new ParallelRunner(threads)) {
            return new TransposedWeightGradient(kn, runner, new ArrayPool(0), "auto").plan(g);
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void imageChunksGiveTheBitsOfOneImageAtATime(String kernels, ConvGeometry g) {
        Kernels kn = Kernels.select(kernels);
        float[] x = TestSupport.random(11, g.n() * g.c() * g.h() * g.w());
        float[] dy = TestSupport.random(12, g.n() * g.k() * g.outH() * g.outW());
        int weights = g.k() * g.cPerGroup() * g.kh() * g.kw();
        TransposedWeightGradient.Plan plan = plan(kn, g, 2);
        int perImage = plan.groups * plan.qTotal * plan.kgPad;
        // one image per chunk (the order before chunks), two images per chunk (a partial last chunk), the batch
        int[] bounds = {1, 2 * perImage, Integer.MAX_VALUE};
        assertEquals(1, TransposedWeightGradient.imagesPerChunk(perImage, g.n(), bounds[0]));
        assertEquals(Math.min(2, g.n()), TransposedWeightGradient.imagesPerChunk(perImage, g.n(), bounds[1]));
        assertEquals(g.n(), TransposedWeightGradient.imagesPerChunk(perImage, g.n(), bounds[2]));
        int[] expected = null;
        for (int threads : new int[] {1, 3}) {
            for (int bound : bounds) {
                float[] dw = TestSupport.random(13, weights);
                try (ParallelRunner runner = new ParallelRunner(threads)) {
                    TransposedWeightGradient t = new TransposedWeightGradient(kn, runner, new ArrayPool(1 << 20), "auto",
                            bound);
                    t.backwardFilter(t.plan(g), x, dy, dw);
                }
                int[] bits = bits(dw);
                if (expected == null) {
                    expected = bits;
                    assertTrue(nonZero(dw), "a gradient with values");
                } else {
                    assertArrayEquals(expected, bits, "threads " + threads + ", chunk bound " + bound);
                }
            }
        }
    }

    @Test
    void blockedWriteOutIsTheElementwiseTranspose() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 40; trial++) {
            int kg = 1 + r.nextInt(70);
            int kgPad = kg + r.nextInt(20);
            int kd = 1 + r.nextInt(90);
            int j0 = r.nextInt(kd);
            int j1 = j0 + 1 + r.nextInt(kd - j0);
            int dwBase = r.nextInt(50);
            int a = r.nextInt(30);
            float[] dwT = TestSupport.random(trial, a + j1 * kgPad + kgPad);
            float[] expected = TestSupport.random(100 + trial, dwBase + kg * kd + 10);
            float[] actual = expected.clone();
            for (int k = 0; k < kg; k++) {
                for (int j = j0; j < j1; j++) {
                    expected[dwBase + k * kd + j] = dwT[a + j * kgPad + k];
                }
            }
            TransposedWeightGradient.writeTransposed(dwT, a, kgPad, actual, dwBase, kd, kg, j0, j1);
            assertArrayEquals(bits(expected), bits(actual), "kg " + kg + ", kd " + kd + ", taps " + j0 + ".." + j1);
        }
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = Float.floatToRawIntBits(a[i]);
        }
        return b;
    }

    private static boolean nonZero(float[] a) {
        for (float v : a) {
            if (v != 0f) {
                return true;
            }
        }
        return false;
    }
}
