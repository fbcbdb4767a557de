package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The four-tap block of {@link Kernels#tapDots}: the dot products of one row with four shifted rows of a
 * plane at once (the depthwise weight gradient: dy against the input at every tap). Four taps per pass share
 * each load of the row, and two vectors per tap keep eight FMA chains in flight: 10 loads per 8 FMAs, where
 * one dot per tap needs 2 loads per FMA. Loaded only through {@link VectorKernels}.
 */
final class VectorTapKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorTapKernels() {
    }

    /** out[outOff + j] += sum over t of a[aOff + t] * x[xj + t], for the four rows x0 .. x3. */
    static void dots4(int len, float[] a, int aOff, float[] x, int x0, int x1, int x2, int x3, float[] out,
                      int outOff) {
        FloatVector s00 = FloatVector.zero(S);
        FloatVector s01 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s30 = s00;
        FloatVector s31 = s00;
        int t = 0;
        for (; t + 2 * L <= len; t += 2 * L) {
            FloatVector a0 = FloatVector.fromArray(S, a, aOff + t);
            FloatVector a1 = FloatVector.fromArray(S, a, aOff + t + L);
            s00 = a0.fma(FloatVector.fromArray(S, x, x0 + t), s00);
            s01 = a1.fma(FloatVector.fromArray(S, x, x0 + t + L), s01);
            s10 = a0.fma(FloatVector.fromArray(S, x, x1 + t), s10);
            s11 = a1.fma(FloatVector.fromArray(S, x, x1 + t + L), s11);
            s20 = a0.fma(FloatVector.fromArray(S, x, x2 + t), s20);
            s21 = a1.fma(FloatVector.fromArray(S, x, x2 + t + L), s21);
            s30 = a0.fma(FloatVector.fromArray(S, x, x3 + t), s30);
            s31 = a1.fma(FloatVector.fromArray(S, x, x3 + t + L), s31);
        }
        for (; t + L <= len; t += L) {
            FloatVector a0 = FloatVector.fromArray(S, a, aOff + t);
            s00 = a0.fma(FloatVector.fromArray(S, x, x0 + t), s00);
            s10 = a0.fma(FloatVector.fromArray(S, x, x1 + t), s10);
            s20 = a0.fma(FloatVector.fromArray(S, x, x2 + t), s20);
            s30 = a0.fma(FloatVector.fromArray(S, x, x3 + t), s30);
        }
        float d0 = s00.add(s01).reduceLanes(VectorOperators.ADD);
        float d1 = s10.add(s11).reduceLanes(VectorOperators.ADD);
        float d2 = s20.add(s21).reduceLanes(VectorOperators.ADD);
        float d3 = s30.add(s31).reduceLanes(VectorOperators.ADD);
        for (; t < len; t++) {
            float av = a[aOff + t];
            d0 += av * x[x0 + t];
            d1 += av * x[x1 + t];
            d2 += av * x[x2 + t];
            d3 += av * x[x3 + t];
        }
        out[outOff] += d0;
        out[outOff + 1] += d1;
        out[outOff + 2] += d2;
        out[outOff + 3] += d3;
    }
    /** {@link Kernels#tapDots3x3}: nine accumulators, three input and three gradient vectors per step. */
    static void dots3x3(int len, float[] d, int dOff, int ds, float[] x, int xOff, int xs, float[] acc, int accOff) {
        FloatVector s00 = FloatVector.fromArray(S, acc, accOff);
        FloatVector s01 = FloatVector.fromArray(S, acc, accOff + L);
        FloatVector s02 = FloatVector.fromArray(S, acc, accOff + 2 * L);
        FloatVector s10 = FloatVector.fromArray(S, acc, accOff + 3 * L);
        FloatVector s11 = FloatVector.fromArray(S, acc, accOff + 4 * L);
        FloatVector s12 = FloatVector.fromArray(S, acc, accOff + 5 * L);
        FloatVector s20 = FloatVector.fromArray(S, acc, accOff + 6 * L);
        FloatVector s21 = FloatVector.fromArray(S, acc, accOff + 7 * L);
        FloatVector s22 = FloatVector.fromArray(S, acc, accOff + 8 * L);
        int d0 = dOff + 2 * ds;
        int d1 = dOff + ds;
        int x1 = xOff + xs;
        int x2 = x1 + xs;
        for (int p = 0; p < len; p += L) {
            FloatVector a0 = FloatVector.fromArray(S, d, d0 + p);
            FloatVector a1 = FloatVector.fromArray(S, d, d1 + p);
            FloatVector a2 = FloatVector.fromArray(S, d, dOff + p);
            FloatVector b = FloatVector.fromArray(S, x, xOff + p);
            s00 = a0.fma(b, s00);
            s10 = a1.fma(b, s10);
            s20 = a2.fma(b, s20);
            b = FloatVector.fromArray(S, x, x1 + p);
            s01 = a0.fma(b, s01);
            s11 = a1.fma(b, s11);
            s21 = a2.fma(b, s21);
            b = FloatVector.fromArray(S, x, x2 + p);
            s02 = a0.fma(b, s02);
            s12 = a1.fma(b, s12);
            s22 = a2.fma(b, s22);
        }
        s00.intoArray(acc, accOff);
        s01.intoArray(acc, accOff + L);
        s02.intoArray(acc, accOff + 2 * L);
        s10.intoArray(acc, accOff + 3 * L);
        s11.intoArray(acc, accOff + 4 * L);
        s12.intoArray(acc, accOff + 5 * L);
        s20.intoArray(acc, accOff + 6 * L);
        s21.intoArray(acc, accOff + 7 * L);
        s22.intoArray(acc, accOff + 8 * L);
    }
}
