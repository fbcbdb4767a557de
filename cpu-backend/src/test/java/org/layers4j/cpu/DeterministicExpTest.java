package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.DoubleUnaryOperator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.UnaryOp;

/**
 * {@link DetMath} / {@link VectorMath}: accuracy against float64 Math.exp / Math.tanh, the same bits in vector
 * lanes as in the scalar version (at every offset and tail length), and the same output from the backend's
 * sigmoid / tanh / softmax / SiLU over many calls, before and after the JIT compiles the kernels; the vector
 * Hardtanh / Hardswish / Hardsigmoid give the scalar formula's bits at every offset and tail.
 */
class DeterministicExpTest {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final float[] SPECIALS = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
        Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
        1e-30f, -1e-30f, 1e-8f, -1e-8f, 3f, -3f, Math.nextUp(-3f), Math.nextDown(3f), 6f, -6f, 0.625f, -0.625f,
        Math.nextDown(0.625f), -Math.nextDown(0.625f), 1f, -1f,
        44f, -44f, 45f, 88.5f, 88.72283f, 88.72284f, 89f, 100f, 104f, 104.5f, -87.33654f, -87.4f, -100f, -103.9f,
        -103.97208f, -104f, -104.5f, -150f, 1e30f, -1e30f, 12582912f, -12582912f};

    /** Every 37th float bit pattern in [lo, hi] (both signs handled by the caller), then random ones. */
    private static float[] sweep(float lo, float hi, int stride, int randoms, long seed) {
        float[] out = new float[1 << 22];
        int n = 0;
        for (float v = lo; v <= hi && n < out.length - randoms; ) {
            out[n++] = v;
            int bits = Float.floatToRawIntBits(v);
            float next = v >= 0 ? Float.intBitsToFloat(bits + stride) : Float.intBitsToFloat(bits - stride);
            if (v < 0 && next >= 0 || next <= v) {
                next = v < 0 ? 0f : Math.nextUp(v);
            }
            v = next;
        }
        Random r = new Random(seed);
        for (int i = 0; i < randoms; i++) {
            out[n++] = lo + r.nextFloat() * (hi - lo);
        }
        return Arrays.copyOf(out, n);
    }

    /** |f - e| in units of the float ulp at e (the ulp of the nearest float, subnormal ulp included). */
    private static double ulps(float f, double e) {
        return Math.abs(f - e) / Math.ulp((float) e);
    }

    private static double maxUlps(float[] xs, DoubleUnaryOperator exact, java.util.function.Function<Float, Float> f) {
        double m = 0;
        for (float x : xs) {
            m = Math.max(m, ulps(f.apply(x), exact.applyAsDouble(x)));
        }
        return m;
    }

    @Test
    void expIsWithinOneUlpOverTheNormalRangeAndSubnormalsWithinOneSubnormalUlp() {
        float[] normal = sweep(-87.33f, 88.72f, 37, 200_000, 1);
        double normalUlps = maxUlps(normal, Math::exp, DetMath::exp);
        float[] small = sweep(-1e-3f, 1e-3f, 101, 10_000, 2);
        double smallUlps = maxUlps(small, Math::exp, DetMath::exp);
        float[] sub = sweep(-103.97f, -87.34f, 37, 100_000, 3);
        double subAbs = 0;
        for (float x : sub) {
            subAbs = Math.max(subAbs, Math.abs(DetMath.exp(x) - Math.exp(x)) / Float.MIN_VALUE);
        }
        System.out.printf("DetMath.exp: max %.3f ulp on [-87.33, 88.72] (%d inputs), %.3f ulp near 0, %.3f * 2^-149 in"
                + " the subnormal range%n", normalUlps, normal.length, smallUlps, subAbs);
        assertTrue(normalUlps <= 1.0, "exp normal range: " + normalUlps + " ulp");
        assertTrue(smallUlps <= 1.0, "exp near 0: " + smallUlps + " ulp");
        assertTrue(subAbs <= 1.0, "exp subnormal range: " + subAbs + " * 2^-149");
        assertEquals(1f, DetMath.exp(0f));
        assertEquals(1f, DetMath.exp(-0f));
        assertEquals(Float.POSITIVE_INFINITY, DetMath.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, DetMath.exp(88.73f));
        assertEquals(Float.POSITIVE_INFINITY, DetMath.exp(1e30f));
        assertEquals(0f, DetMath.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, DetMath.exp(-104.5f));
        assertEquals(0f, DetMath.exp(-1e30f));
        assertTrue(Float.isNaN(DetMath.exp(Float.NaN)));
        assertEquals((float) Math.exp(88.72f), DetMath.exp(88.72f), Math.ulp((float) Math.exp(88.72f)));
    }

    @Test
    void tanhIsWithinTwoUlpsEverywhere() {
        float[] xs = sweep(-20f, 20f, 37, 200_000, 4);
        double all = maxUlps(xs, Math::tanh, DetMath::tanh);
        float[] tiny = sweep(-1e-3f, 1e-3f, 1001, 10_000, 5);
        double near0 = maxUlps(tiny, Math::tanh, DetMath::tanh);
        System.out.printf("DetMath.tanh: max %.3f ulp on [-20, 20] (%d inputs), %.3f ulp on [-1e-3, 1e-3]%n", all,
                xs.length, near0);
        assertTrue(all <= 2.0, "tanh: " + all + " ulp");
        assertTrue(near0 <= 1.0, "tanh near 0: " + near0 + " ulp");
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(DetMath.tanh(-0f)));
        assertEquals(Float.MIN_VALUE, DetMath.tanh(Float.MIN_VALUE));
        assertEquals(1e-30f, DetMath.tanh(1e-30f));
        assertEquals(1f, DetMath.tanh(Float.POSITIVE_INFINITY));
        assertEquals(-1f, DetMath.tanh(Float.NEGATIVE_INFINITY));
        assertEquals(-1f, DetMath.tanh(-100f));
        assertEquals(1f, DetMath.tanh(1e30f));
        assertTrue(Float.isNaN(DetMath.tanh(Float.NaN)));
    }

    @Test
    void sigmoidIsWithinThreeUlpsAndSaturates() {
        float[] xs = sweep(-87f, 30f, 37, 200_000, 6);
        double m = maxUlps(xs, v -> 1 / (1 + Math.exp(-v)), DetMath::sigmoid);
        System.out.printf("DetMath.sigmoid: max %.3f ulp on [-87, 30] (%d inputs)%n", m, xs.length);
        assertTrue(m <= 3.0, "sigmoid: " + m + " ulp");
        assertEquals(0f, DetMath.sigmoid(-100f));
        assertEquals(0f, DetMath.sigmoid(Float.NEGATIVE_INFINITY));
        assertEquals(1f, DetMath.sigmoid(100f));
        assertEquals(1f, DetMath.sigmoid(Float.POSITIVE_INFINITY));
        assertEquals(0.5f, DetMath.sigmoid(0f));
        assertTrue(Float.isNaN(DetMath.sigmoid(Float.NaN)));
    }

    private static float[] tricky(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(5)) {
                case 0 -> x[i] = SPECIALS[r.nextInt(SPECIALS.length)];
                case 1 -> x[i] = Float.intBitsToFloat(r.nextInt()); // any bit pattern
                case 2 -> x[i] = (r.nextFloat() * 2 - 1) * 110f;
                case 3 -> x[i] = (r.nextFloat() * 2 - 1) * 1e-3f;
                default -> x[i] = (r.nextFloat() * 2 - 1) * 8f;
            }
        }
        return x;
    }

    private static void assertSameBits(float[] expected, float[] actual, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + " at " + i + ": " + expected[i] + " vs " + actual[i]);
            }
        }
    }

    @Test
    void vectorLanesGiveTheScalarBits() {
        float[] x = tricky(1 << 16, 7);
        int l = S.length();
        float[] e = new float[l];
        float[] s = new float[l];
        float[] t = new float[l];
        float[] ve = new float[l];
        float[] vs = new float[l];
        float[] vt = new float[l];
        for (int i = 0; i + l <= x.length; i += l) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorMath.exp(v).intoArray(ve, 0);
            VectorMath.sigmoid(v).intoArray(vs, 0);
            VectorMath.tanh(v).intoArray(vt, 0);
            for (int j = 0; j < l; j++) {
                e[j] = DetMath.exp(x[i + j]);
                s[j] = DetMath.sigmoid(x[i + j]);
                t[j] = DetMath.tanh(x[i + j]);
            }
            assertSameBits(e, ve, "exp");
            assertSameBits(s, vs, "sigmoid");
            assertSameBits(t, vt, "tanh");
        }
    }

    /**
     * Vectors whose lanes all lie within VectorMath.NORMAL_RANGE take its one-multiplication scaling: the same bits as
     * the scalar version's two-step scaling, over a sweep of [-86, 86] (both ends and their neighbours included) and
     * random values, and the other path as soon as one lane is outside.
     */
    @Test
    void inRangeVectorsGiveTheScalarBits() {
        float r = VectorMath.NORMAL_RANGE;
        float[] sweep = sweep(-r, r, 4099, 100_000, 11);
        float[] edges = {r, -r, Math.nextDown(r), -Math.nextDown(r), 85.99f, -85.99f, 0f, -0f, 1e-30f, -1e-30f,
            Float.MIN_VALUE, 0.34657359f, -0.34657359f};
        int l = S.length();
        float[] x = Arrays.copyOf(sweep, (sweep.length + edges.length + l - 1) / l * l);
        System.arraycopy(edges, 0, x, sweep.length, edges.length);
        float[] ve = new float[l];
        float[] vs = new float[l];
        for (int i = 0; i + l <= x.length; i += l) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            VectorMath.exp(v).intoArray(ve, 0);
            VectorMath.sigmoid(v).intoArray(vs, 0);
            for (int j = 0; j < l; j++) {
                assertEquals(Float.floatToRawIntBits(DetMath.exp(x[i + j])), Float.floatToRawIntBits(ve[j]),
                        "exp(" + x[i + j] + ")");
                assertEquals(Float.floatToRawIntBits(DetMath.sigmoid(x[i + j])), Float.floatToRawIntBits(vs[j]),
                        "sigmoid(" + x[i + j] + ")");
            }
        }
        // one lane just outside the range: the general path, still the scalar bits in every lane
        for (float out : new float[] {Math.nextUp(r), -Math.nextUp(r), -87.5f, 88.7f, -100f, Float.NaN}) {
            float[] y = Arrays.copyOfRange(x, 0, l);
            y[l - 1] = out;
            VectorMath.exp(FloatVector.fromArray(S, y, 0)).intoArray(ve, 0);
            for (int j = 0; j < l; j++) {
                assertEquals(Float.floatToRawIntBits(DetMath.exp(y[j])), Float.floatToRawIntBits(ve[j]),
                        "exp(" + y[j] + ") beside " + out);
            }
        }
    }

    /** The scalar kernel's outputs are the formula's, the vector kernel's the scalar's (NaNs compared as NaN). */
    private static void assertPiecewise(float[] x, int from, int to, float[] scalar, float[] vector,
                                        java.util.function.Function<Float, Float> formula, String name) {
        for (int i = from; i < to; i++) {
            assertEquals(Float.floatToIntBits(formula.apply(x[i])), Float.floatToIntBits(scalar[i]), name + " scalar");
            assertEquals(Float.floatToIntBits(scalar[i]), Float.floatToIntBits(vector[i]), name + " of " + x[i]);
        }
    }

    @Test
    void vectorKernelsGiveTheScalarBitsAtEveryOffsetAndTail() {
        PointwiseKernels vec = new VectorPointwise();
        PointwiseKernels sca = new ScalarPointwise();
        float[] x = tricky(300, 8);
        float[] neg = new float[x.length]; // log-softmax outputs are <= 0
        for (int i = 0; i < x.length; i++) {
            neg[i] = -Math.abs(x[i]);
        }
        float[] dy = TestSupport.random(9, x.length);
        int l = S.length();
        for (int from = 0; from <= 2 * l + 1; from++) {
            for (int to = from; to <= Math.min(x.length, from + 4 * l + 3); to++) {
                float[] a = new float[x.length];
                float[] b = new float[x.length];
                vec.sigmoid(from, to, x, a);
                sca.sigmoid(from, to, x, b);
                assertSameBits(b, a, "sigmoid [" + from + ", " + to + ")");
                vec.silu(from, to, x, a);
                sca.silu(from, to, x, b);
                assertSameBits(b, a, "silu [" + from + ", " + to + ")");
                for (int i = from; i < to; i++) {
                    assertEquals(Float.floatToIntBits(x[i] * DetMath.sigmoid(x[i])), Float.floatToIntBits(b[i]),
                            "silu is x times the sigmoid's value, rounded once");
                }
                float[] inPlace = x.clone();
                vec.silu(from, to, inPlace, inPlace);
                for (int i = from; i < to; i++) {
                    assertEquals(Float.floatToIntBits(b[i]), Float.floatToIntBits(inPlace[i]), "silu in place");
                }
                vec.tanh(from, to, x, a);
                sca.tanh(from, to, x, b);
                assertSameBits(b, a, "tanh [" + from + ", " + to + ")");
                // the piecewise activations: PyTorch's float32 steps in lanes (a NaN's payload may differ: compared
                // as NaN), the scalar kernel being UnaryKernels' formula
                vec.hardswish(from, to, x, a);
                sca.hardswish(from, to, x, b);
                assertPiecewise(x, from, to, b, a, UnaryKernels::hardswish, "hardswish");
                vec.hardsigmoid(from, to, x, a);
                sca.hardsigmoid(from, to, x, b);
                assertPiecewise(x, from, to, b, a, UnaryKernels::hardsigmoid, "hardsigmoid");
                vec.hardtanh(from, to, 0f, 6f, x, a);
                sca.hardtanh(from, to, 0f, 6f, x, b);
                assertPiecewise(x, from, to, b, a, v -> UnaryKernels.hardtanh(v, 0f, 6f), "relu6");
                vec.hardtanh(from, to, -1.5f, 2.25f, x, a);
                sca.hardtanh(from, to, -1.5f, 2.25f, x, b);
                assertSameBits(b, a, "hardtanh [" + from + ", " + to + ")");
                float[] hsInPlace = x.clone();
                vec.hardswish(from, to, hsInPlace, hsInPlace);
                for (int i = from; i < to; i++) {
                    assertEquals(Float.floatToIntBits(UnaryKernels.hardswish(x[i])), Float.floatToIntBits(hsInPlace[i]),
                            "hardswish in place");
                }
                vec.expShift(to - from, x, from, 1.5f, a, from);
                sca.expShift(to - from, x, from, 1.5f, b, from);
                assertSameBits(b, a, "expShift [" + from + ", " + to + ")");
                vec.logSoftmaxGrad(to - from, neg, from, dy, from, 0.75f, a, from);
                sca.logSoftmaxGrad(to - from, neg, from, dy, from, 0.75f, b, from);
                assertSameBits(b, a, "logSoftmaxGrad [" + from + ", " + to + ")");
            }
        }
    }

    /**
     * The reproducibility probe: the same op on the same input, called until the JIT has compiled the kernels
     * (it began interpreted), never changes its output, and gives {@link DetMath}'s bits on both kernel families.
     */
    @Test
    void outputsNeverChangeAcrossJitTiers() {
        int n = 4099;
        float[] x = tricky(n, 10);
        float[] sx = new float[n];
        float[] tx = new float[n];
        float[] silu = new float[n];
        for (int i = 0; i < n; i++) {
            sx[i] = DetMath.sigmoid(x[i]);
            tx[i] = DetMath.tanh(x[i]);
            silu[i] = x[i] * sx[i];
        }
        float[] soft = new float[n];
        for (int i = 0; i < n; i++) {
            soft[i] = Float.isFinite(x[i]) ? x[i] : 0f; // a softmax row with a finite result
        }
        for (String kernels : new String[] {"vector", "scalar"}) {
            try (CpuBackend b = TestSupport.backend(kernels, 1)) {
                Shape s = Shape.of(n);
                Shape rows = Shape.of(1, n);
                try (Tensor xt = b.upload(x, s); Tensor y = b.upload(new float[n], s);
                     Tensor st = b.upload(soft, rows); Tensor sm = b.upload(new float[n], rows);
                     Tensor lsm = b.upload(new float[n], rows); Tensor g = b.upload(new float[n], rows)) {
                    float[] softFirst = null;
                    float[] logFirst = null;
                    float[] gradFirst = null;
                    int calls = kernels.equals("vector") ? 20_000 : 3_000;
                    for (int c = 0; c < calls; c++) {
                        b.activation().sigmoid(xt, y);
                        assertSameBits(sx, y.toArray(), kernels + " sigmoid, call " + c);
                        b.activation().tanh(xt, y);
                        assertSameBits(tx, y.toArray(), kernels + " tanh, call " + c);
                        b.pointwise().unary(UnaryOp.of(UnaryOp.Kind.SILU), xt, y);
                        // x * s: a product with a NaN operand carries one operand's NaN payload, which one depends on
                        // the operand order the JIT picks, so NaNs compare as NaN here (all else bit for bit)
                        assertArrayEquals(silu, y.toArray(), kernels + " silu, call " + c);
                        b.activation().softmax(false, 1, n, 1, st, sm);
                        b.activation().softmax(true, 1, n, 1, st, lsm);
                        b.activation().softmaxBackward(true, 1, n, 1, lsm, sm, g);
                        if (softFirst == null) {
                            softFirst = sm.toArray();
                            logFirst = lsm.toArray();
                            gradFirst = g.toArray();
                        } else {
                            assertArrayEquals(softFirst, sm.toArray(), kernels + " softmax, call " + c);
                            assertArrayEquals(logFirst, lsm.toArray(), kernels + " log_softmax, call " + c);
                            assertArrayEquals(gradFirst, g.toArray(), kernels + " log_softmax backward, call " + c);
                        }
                    }
                }
            }
        }
    }
}
