package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layers4j.spi.UnaryOp;

/**
 * The one-pass bias + activation epilogue ({@link PointwiseKernels#biasActivation}) gives, bit for bit, the two passes
 * it replaces (affine with scale 1, then the activation) for each activation it runs in one pass (SiLU, Hardswish,
 * Hardsigmoid, Hardtanh / ReLU6) and one it leaves to the two passes (GELU): every length up to a few vectors (the
 * scalar tail included), offsets, in place, and the special values (NaN, infinities, signed zeros, the kinks).
 */
class BiasActivationTest {
    private static final List<PointwiseKernels> FAMILIES = List.of(new VectorPointwise(), new ScalarPointwise());
    private static final List<UnaryOp> OPS = List.of(UnaryOp.of(UnaryOp.Kind.SILU), UnaryOp.of(UnaryOp.Kind.HARDSWISH),
            UnaryOp.of(UnaryOp.Kind.HARDSIGMOID), UnaryOp.relu6(), UnaryOp.hardtanh(-1.5, 0.75),
            UnaryOp.of(UnaryOp.Kind.GELU));

    private static float[] values(int seed, int n) {
        java.util.Random random = new java.util.Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * Math.scalb(1.0, random.nextInt(7) - 2));
        }
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, 0f, -3f, 3f, 6f, -90f};
        for (int i = 0; i < n; i += 7) {
            v[i] = special[(i / 7) % special.length];
        }
        return v;
    }

    @Test
    void onePassEqualsTheSeparatePasses() {
        for (PointwiseKernels pk : FAMILIES) {
            for (UnaryOp op : OPS) {
                for (int len = 0; len <= 70; len++) {
                    for (int xOff : new int[] {0, 3}) {
                        for (float bias : new float[] {0.3771f, -2.5013f, -0f, Float.NaN}) {
                            check(pk, op, len, xOff, 5, bias);
                            check(pk, op, len, 5, 5, bias); // in place
                        }
                    }
                }
            }
        }
    }

    private static void check(PointwiseKernels pk, UnaryOp op, int len, int xOff, int yOff, float bias) {
        int n = 90;
        float[] x = values(1, n);
        boolean inPlace = xOff == yOff;
        float[] expected = values(3, n);
        ScalarPointwise reference = new ScalarPointwise();
        reference.affine(len, inPlace ? expected : x, xOff, 0f, 1f, bias, expected, yOff);
        reference.activation(op, yOff, yOff + len, expected, expected);
        float[] y = values(3, n);
        pk.biasActivation(op, len, inPlace ? y : x, xOff, bias, y, yOff);
        assertArrayEquals(expected, y, pk.getClass().getSimpleName() + " " + op + " len " + len + " xOff " + xOff
                + " bias " + bias + ": " + Arrays.toString(y));
    }
}
