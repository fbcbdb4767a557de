package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels#depthwiseRow}: one output row of a channel-blocked depthwise convolution, a vector of channels per
 * output position. Positions go in groups of eight (of four on rows narrower than eight), so that eight (four)
 * independent FMA chains hide the FMA latency and each tap's weight vector is loaded once per group; the last group
 * of a row is moved back to end at the row's end and recomputes a few positions (the same sums, stored again) instead
 * of running a narrower tail. Positions from fusedEnd on are then recomputed one by one as products and sums. Loaded
 * only through {@link VectorKernels}.
 */
final class VectorDepthwiseKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorDepthwiseKernels() {
    }

    static void row(int ow, int fusedEnd, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                    float[] bias, int bOff, float[] out, int outOff) {
        FloatVector b = bias == null ? null : FloatVector.fromArray(S, bias, bOff);
        int fused = Math.max(0, Math.min(ow, fusedEnd));
        if (fused >= 8) {
            for (int q0 = 0; q0 < fused; q0 += 8) {
                eight(Math.min(q0, fused - 8), x, xOff, colStep, tapOff, nTaps, w, b, out, outOff);
            }
        } else if (fused >= 4) {
            four(0, x, xOff, colStep, tapOff, nTaps, w, b, out, outOff);
            four(fused - 4, x, xOff, colStep, tapOff, nTaps, w, b, out, outOff);
        } else {
            for (int q = 0; q < fused; q++) {
                int base = xOff + q * colStep;
                FloatVector s = FloatVector.zero(S);
                for (int t = 0; t < nTaps; t++) {
                    s = FloatVector.fromArray(S, w, t * L).fma(FloatVector.fromArray(S, x, base + tapOff[t]), s);
                }
                (b == null ? s : s.add(b)).intoArray(out, outOff + q * L);
            }
        }
        for (int q = fused; q < ow; q++) {
            int base = xOff + q * colStep;
            FloatVector s = FloatVector.zero(S);
            for (int t = 0; t < nTaps; t++) {
                s = s.add(FloatVector.fromArray(S, w, t * L).mul(FloatVector.fromArray(S, x, base + tapOff[t])));
            }
            (b == null ? s : s.add(b)).intoArray(out, outOff + q * L);
        }
    }

    private static void eight(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                              FloatVector b, float[] out, int outOff) {
        int base = xOff + q * colStep;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        FloatVector s4 = s0;
        FloatVector s5 = s0;
        FloatVector s6 = s0;
        FloatVector s7 = s0;
        for (int t = 0; t < nTaps; t++) {
            FloatVector wv = FloatVector.fromArray(S, w, t * L);
            int xo = base + tapOff[t];
            s0 = wv.fma(FloatVector.fromArray(S, x, xo), s0);
            s1 = wv.fma(FloatVector.fromArray(S, x, xo + colStep), s1);
            s2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * colStep), s2);
            s3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * colStep), s3);
            s4 = wv.fma(FloatVector.fromArray(S, x, xo + 4 * colStep), s4);
            s5 = wv.fma(FloatVector.fromArray(S, x, xo + 5 * colStep), s5);
            s6 = wv.fma(FloatVector.fromArray(S, x, xo + 6 * colStep), s6);
            s7 = wv.fma(FloatVector.fromArray(S, x, xo + 7 * colStep), s7);
        }
        if (b != null) {
            s0 = s0.add(b);
            s1 = s1.add(b);
            s2 = s2.add(b);
            s3 = s3.add(b);
            s4 = s4.add(b);
            s5 = s5.add(b);
            s6 = s6.add(b);
            s7 = s7.add(b);
        }
        int o = outOff + q * L;
        s0.intoArray(out, o);
        s1.intoArray(out, o + L);
        s2.intoArray(out, o + 2 * L);
        s3.intoArray(out, o + 3 * L);
        s4.intoArray(out, o + 4 * L);
        s5.intoArray(out, o + 5 * L);
        s6.intoArray(out, o + 6 * L);
        s7.intoArray(out, o + 7 * L);
    }

    private static void four(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                             FloatVector b, float[] out, int outOff) {
        int base = xOff + q * colStep;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int t = 0; t < nTaps; t++) {
            FloatVector wv = FloatVector.fromArray(S, w, t * L);
            int xo = base + tapOff[t];
            s0 = wv.fma(FloatVector.fromArray(S, x, xo), s0);
            s1 = wv.fma(FloatVector.fromArray(S, x, xo + colStep), s1);
            s2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * colStep), s2);
            s3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * colStep), s3);
        }
        if (b != null) {
            s0 = s0.add(b);
            s1 = s1.add(b);
            s2 = s2.add(b);
            s3 = s3.add(b);
        }
        int o = outOff + q * L;
        s0.intoArray(out, o);
        s1.intoArray(out, o + L);
        s2.intoArray(out, o + 2 * L);
        s3.intoArray(out, o + 3 * L);
    }
}
