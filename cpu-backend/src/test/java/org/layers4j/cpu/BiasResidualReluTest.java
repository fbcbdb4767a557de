package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one-pass convolution epilogue ({@link PointwiseKernels#biasResidualRelu}) gives, bit for bit, the three passes it
 * replaces (affine with scale 1, add, relu), for every combination of residual and ReLU, every length up to a few
 * vectors (the scalar tail included), offsets, in place, and the special values (NaN, infinities, signed zeros).
 */
class BiasResidualReluTest {
    private static final List<PointwiseKernels> FAMILIES = List.of(new VectorPointwise(), new ScalarPointwise());

    private static float[] values(int seed, int n) {
        // full mantissas of mixed magnitudes, so the order of the two additions shows in the rounding
        java.util.Random random = new java.util.Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(9) - 4));
        }
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -1e-30f, 1e-30f};
        for (int i = 0; i < n; i += 11) {
            v[i] = special[(i / 11) % special.length];
        }
        return v;
    }

    @Test
    void onePassEqualsTheSeparatePasses() {
        for (PointwiseKernels pk : FAMILIES) {
            for (boolean residual : new boolean[] {false, true}) {
                for (boolean relu : new boolean[] {false, true}) {
                    for (int len = 0; len <= 70; len++) {
                        for (int xOff : new int[] {0, 3}) {
                            for (float bias : new float[] {0.3771f, -2.5013f, -0f, Float.NaN}) {
                                check(pk, residual, relu, len, xOff, 5, bias);
                                check(pk, residual, relu, len, 5, 5, bias); // in place
                            }
                        }
                    }
                }
            }
        }
    }

    private static void check(PointwiseKernels pk, boolean residual, boolean relu, int len, int xOff, int yOff,
                              float bias) {
        int n = 90;
        float[] x = values(1, n);
        float[] r = residual ? values(2, n) : null;
        boolean inPlace = xOff == yOff;
        float[] expected = values(3, n);
        float[] src = inPlace ? expected : x;
        new ScalarPointwise().affine(len, src, xOff, 0f, 1f, bias, expected, yOff);
        if (residual) {
            for (int t = yOff; t < yOff + len; t++) {
                expected[t] = expected[t] + r[t];
            }
        }
        if (relu) {
            for (int t = yOff; t < yOff + len; t++) {
                expected[t] = expected[t] <= 0f ? 0f : expected[t];
            }
        }
        float[] y = values(3, n);
        pk.biasResidualRelu(len, inPlace ? y : x, xOff, bias, r, relu, y, yOff);
        assertArrayEquals(expected, y, pk.getClass().getSimpleName() + " residual " + residual + " relu " + relu
                + " len " + len + " xOff " + xOff + " bias " + bias + ": " + Arrays.toString(y));
    }
}
