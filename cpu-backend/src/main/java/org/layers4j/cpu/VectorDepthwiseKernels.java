package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels#depthwiseRow}: one output row of a channel-blocked depthwise convolution, a vector of channels per
 * output position. Kernels 3 or 5 taps wide at column step 1 or 2 run four positions at a time unrolled over each
 * kernel row, every input vector of the row loaded once for all the taps and positions that read it (5 x 5 at step 1:
 * 8 input and 5 weight loads per 20 FMAs, where one load per FMA read 25; 1152 channels on 7 x 7, AVX-512, two threads:
 * 0.088 -> 0.071 ms). Other kernels go in groups of eight positions (four on rows narrower than eight), each tap's
 * weight vector loaded once per group. Four or eight independent FMA chains hide the FMA latency; the last group of
 * a row is moved back to end at the row's end and recomputes a few positions (the same sums, stored again) instead of
 * running a narrower tail. Positions from fusedEnd on are then recomputed one by one as products and sums, and the
 * bias is added to the row's sums last (x + b, one rounding, as when it was added before the store).
 *
 * <p>No vector crosses a method boundary: every kernel takes arrays and offsets only. The unrolled kernels are larger
 * than C2 inlines (FreqInlineSize), so in a model, where all four are hot, each is compiled on its own; a vector
 * passed to it then had no exact type there, and C2 left every operation on it to the Vector API's Java fallback,
 * which allocates an array per operation (MobileNetV3-Large at batch 8: 20 GB of garbage in a 10 s run, a young
 * collection every 2 ms, its channel-blocked depthwise layers twice as slow on two threads as on one). Loaded only
 * through {@link VectorKernels}.
 */
final class VectorDepthwiseKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorDepthwiseKernels() {
    }

    static void row(int ow, int fusedEnd, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, int kw,
                    float[] w, float[] bias, int bOff, float[] out, int outOff) {
        int fused = Math.max(0, Math.min(ow, fusedEnd));
        int unrolled = fused >= 4 ? unrolled(kw, colStep) : 0;
        if (unrolled != 0) {
            int rows = nTaps / kw;
            for (int q0 = 0; q0 < fused; q0 += 4) {
                int q = Math.min(q0, fused - 4);
                switch (unrolled) {
                    case 31 -> k3s1(q, x, xOff, tapOff, rows, w, out, outOff);
                    case 32 -> k3s2(q, x, xOff, tapOff, rows, w, out, outOff);
                    case 51 -> k5s1(q, x, xOff, tapOff, rows, w, out, outOff);
                    default -> k5s2(q, x, xOff, tapOff, rows, w, out, outOff);
                }
            }
        } else if (fused >= 8) {
            for (int q0 = 0; q0 < fused; q0 += 8) {
                eight(Math.min(q0, fused - 8), x, xOff, colStep, tapOff, nTaps, w, out, outOff);
            }
        } else if (fused >= 4) {
            four(0, x, xOff, colStep, tapOff, nTaps, w, out, outOff);
            four(fused - 4, x, xOff, colStep, tapOff, nTaps, w, out, outOff);
        } else {
            for (int q = 0; q < fused; q++) {
                one(q, x, xOff, colStep, tapOff, nTaps, w, out, outOff);
            }
        }
        for (int q = fused; q < ow; q++) {
            unfused(q, x, xOff, colStep, tapOff, nTaps, w, out, outOff);
        }
        if (bias != null) {
            addBias(ow, bias, bOff, out, outOff);
        }
    }

    /** One position, its taps by FMAs. */
    private static void one(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w, float[] out,
                            int outOff) {
        int base = xOff + q * colStep;
        FloatVector s = FloatVector.zero(S);
        for (int t = 0; t < nTaps; t++) {
            s = FloatVector.fromArray(S, w, t * L).fma(FloatVector.fromArray(S, x, base + tapOff[t]), s);
        }
        s.intoArray(out, outOff + q * L);
    }

    /** One position as products, then sums (the plane path's last partial vector). */
    private static void unfused(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                                float[] out, int outOff) {
        int base = xOff + q * colStep;
        FloatVector s = FloatVector.zero(S);
        for (int t = 0; t < nTaps; t++) {
            s = s.add(FloatVector.fromArray(S, w, t * L).mul(FloatVector.fromArray(S, x, base + tapOff[t])));
        }
        s.intoArray(out, outOff + q * L);
    }

    /** out[outOff + q*L + l] += bias[bOff + l] for the row's ow positions: x + b, one rounding, as before the store. */
    private static void addBias(int ow, float[] bias, int bOff, float[] out, int outOff) {
        FloatVector b = FloatVector.fromArray(S, bias, bOff);
        for (int q = 0; q < ow; q++) {
            int o = outOff + q * L;
            FloatVector.fromArray(S, out, o).add(b).intoArray(out, o);
        }
    }

    /**
     * 10 * kw + stride for the kernels unrolled over a kernel row (3 or 5 taps, column step 1 or 2), 0 for the others
     * and where their input vectors would not fit the registers beside the four sums and a weight.
     */
    private static int unrolled(int kw, int colStep) {
        int sw = colStep / L;
        if ((kw != 3 && kw != 5) || colStep % L != 0 || (sw != 1 && sw != 2)
                || 3 * sw + kw + 5 > VectorKernels.REGISTERS) {
            return 0;
        }
        return 10 * kw + sw;
    }

    /** Four positions of a 3-wide kernel at column step 1: each kernel row loads its 6 input vectors once. */
    private static void k3s1(int q, float[] x, int xOff, int[] tapOff, int rows, float[] w, float[] out,
                             int outOff) {
        int base = xOff + q * 1 * L;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < rows; i++) {
            int xo = base + tapOff[i * 3];
            int wo = i * 3 * L;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, x, xo + 3 * L);
            FloatVector x4 = FloatVector.fromArray(S, x, xo + 4 * L);
            FloatVector x5 = FloatVector.fromArray(S, x, xo + 5 * L);
            FloatVector w0 = FloatVector.fromArray(S, w, wo);
            s0 = w0.fma(x0, s0);
            s1 = w0.fma(x1, s1);
            s2 = w0.fma(x2, s2);
            s3 = w0.fma(x3, s3);
            FloatVector w1 = FloatVector.fromArray(S, w, wo + 1 * L);
            s0 = w1.fma(x1, s0);
            s1 = w1.fma(x2, s1);
            s2 = w1.fma(x3, s2);
            s3 = w1.fma(x4, s3);
            FloatVector w2 = FloatVector.fromArray(S, w, wo + 2 * L);
            s0 = w2.fma(x2, s0);
            s1 = w2.fma(x3, s1);
            s2 = w2.fma(x4, s2);
            s3 = w2.fma(x5, s3);
        }
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
    }

    /** Four positions of a 3-wide kernel at column step 2: each kernel row loads its 9 input vectors once. */
    private static void k3s2(int q, float[] x, int xOff, int[] tapOff, int rows, float[] w, float[] out,
                             int outOff) {
        int base = xOff + q * 2 * L;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < rows; i++) {
            int xo = base + tapOff[i * 3];
            int wo = i * 3 * L;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, x, xo + 3 * L);
            FloatVector x4 = FloatVector.fromArray(S, x, xo + 4 * L);
            FloatVector x5 = FloatVector.fromArray(S, x, xo + 5 * L);
            FloatVector x6 = FloatVector.fromArray(S, x, xo + 6 * L);
            FloatVector x7 = FloatVector.fromArray(S, x, xo + 7 * L);
            FloatVector x8 = FloatVector.fromArray(S, x, xo + 8 * L);
            FloatVector w0 = FloatVector.fromArray(S, w, wo);
            s0 = w0.fma(x0, s0);
            s1 = w0.fma(x2, s1);
            s2 = w0.fma(x4, s2);
            s3 = w0.fma(x6, s3);
            FloatVector w1 = FloatVector.fromArray(S, w, wo + 1 * L);
            s0 = w1.fma(x1, s0);
            s1 = w1.fma(x3, s1);
            s2 = w1.fma(x5, s2);
            s3 = w1.fma(x7, s3);
            FloatVector w2 = FloatVector.fromArray(S, w, wo + 2 * L);
            s0 = w2.fma(x2, s0);
            s1 = w2.fma(x4, s1);
            s2 = w2.fma(x6, s2);
            s3 = w2.fma(x8, s3);
        }
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
    }

    /** Four positions of a 5-wide kernel at column step 1: each kernel row loads its 8 input vectors once. */
    private static void k5s1(int q, float[] x, int xOff, int[] tapOff, int rows, float[] w, float[] out,
                             int outOff) {
        int base = xOff + q * 1 * L;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < rows; i++) {
            int xo = base + tapOff[i * 5];
            int wo = i * 5 * L;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, x, xo + 3 * L);
            FloatVector x4 = FloatVector.fromArray(S, x, xo + 4 * L);
            FloatVector x5 = FloatVector.fromArray(S, x, xo + 5 * L);
            FloatVector x6 = FloatVector.fromArray(S, x, xo + 6 * L);
            FloatVector x7 = FloatVector.fromArray(S, x, xo + 7 * L);
            FloatVector w0 = FloatVector.fromArray(S, w, wo);
            s0 = w0.fma(x0, s0);
            s1 = w0.fma(x1, s1);
            s2 = w0.fma(x2, s2);
            s3 = w0.fma(x3, s3);
            FloatVector w1 = FloatVector.fromArray(S, w, wo + 1 * L);
            s0 = w1.fma(x1, s0);
            s1 = w1.fma(x2, s1);
            s2 = w1.fma(x3, s2);
            s3 = w1.fma(x4, s3);
            FloatVector w2 = FloatVector.fromArray(S, w, wo + 2 * L);
            s0 = w2.fma(x2, s0);
            s1 = w2.fma(x3, s1);
            s2 = w2.fma(x4, s2);
            s3 = w2.fma(x5, s3);
            FloatVector w3 = FloatVector.fromArray(S, w, wo + 3 * L);
            s0 = w3.fma(x3, s0);
            s1 = w3.fma(x4, s1);
            s2 = w3.fma(x5, s2);
            s3 = w3.fma(x6, s3);
            FloatVector w4 = FloatVector.fromArray(S, w, wo + 4 * L);
            s0 = w4.fma(x4, s0);
            s1 = w4.fma(x5, s1);
            s2 = w4.fma(x6, s2);
            s3 = w4.fma(x7, s3);
        }
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
    }

    /** Four positions of a 5-wide kernel at column step 2: each kernel row loads its 11 input vectors once. */
    private static void k5s2(int q, float[] x, int xOff, int[] tapOff, int rows, float[] w, float[] out,
                             int outOff) {
        int base = xOff + q * 2 * L;
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (int i = 0; i < rows; i++) {
            int xo = base + tapOff[i * 5];
            int wo = i * 5 * L;
            FloatVector x0 = FloatVector.fromArray(S, x, xo);
            FloatVector x1 = FloatVector.fromArray(S, x, xo + 1 * L);
            FloatVector x2 = FloatVector.fromArray(S, x, xo + 2 * L);
            FloatVector x3 = FloatVector.fromArray(S, x, xo + 3 * L);
            FloatVector x4 = FloatVector.fromArray(S, x, xo + 4 * L);
            FloatVector x5 = FloatVector.fromArray(S, x, xo + 5 * L);
            FloatVector x6 = FloatVector.fromArray(S, x, xo + 6 * L);
            FloatVector x7 = FloatVector.fromArray(S, x, xo + 7 * L);
            FloatVector x8 = FloatVector.fromArray(S, x, xo + 8 * L);
            FloatVector x9 = FloatVector.fromArray(S, x, xo + 9 * L);
            FloatVector x10 = FloatVector.fromArray(S, x, xo + 10 * L);
            FloatVector w0 = FloatVector.fromArray(S, w, wo);
            s0 = w0.fma(x0, s0);
            s1 = w0.fma(x2, s1);
            s2 = w0.fma(x4, s2);
            s3 = w0.fma(x6, s3);
            FloatVector w1 = FloatVector.fromArray(S, w, wo + 1 * L);
            s0 = w1.fma(x1, s0);
            s1 = w1.fma(x3, s1);
            s2 = w1.fma(x5, s2);
            s3 = w1.fma(x7, s3);
            FloatVector w2 = FloatVector.fromArray(S, w, wo + 2 * L);
            s0 = w2.fma(x2, s0);
            s1 = w2.fma(x4, s1);
            s2 = w2.fma(x6, s2);
            s3 = w2.fma(x8, s3);
            FloatVector w3 = FloatVector.fromArray(S, w, wo + 3 * L);
            s0 = w3.fma(x3, s0);
            s1 = w3.fma(x5, s1);
            s2 = w3.fma(x7, s2);
            s3 = w3.fma(x9, s3);
            FloatVector w4 = FloatVector.fromArray(S, w, wo + 4 * L);
            s0 = w4.fma(x4, s0);
            s1 = w4.fma(x6, s1);
            s2 = w4.fma(x8, s2);
            s3 = w4.fma(x10, s3);
        }
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
    }

    private static void eight(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                              float[] out, int outOff) {
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
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
        s4.intoArray(out, outOff + (q + 4) * L);
        s5.intoArray(out, outOff + (q + 4) * L + L);
        s6.intoArray(out, outOff + (q + 4) * L + 2 * L);
        s7.intoArray(out, outOff + (q + 4) * L + 3 * L);
    }

    private static void four(int q, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, float[] w,
                             float[] out, int outOff) {
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
        s0.intoArray(out, outOff + q * L);
        s1.intoArray(out, outOff + q * L + L);
        s2.intoArray(out, outOff + q * L + 2 * L);
        s3.intoArray(out, outOff + q * L + 3 * L);
    }
}
