package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on the platform's preferred float species (16 lanes with AVX-512, 8 with AVX2).
 * The GEMM micro-tile is 8 rows x 2 vectors: sixteen FMA accumulators plus two B vectors and a broadcast
 * fit the 32 AVX-512 registers, and each step issues 16 FMAs for 2 vector loads and 8 scalar broadcasts
 * (8 x 32 ran at 113 GFLOP/s on one Zen 4 core against 90 for 4 x 32, MicroKernelBenchmark). Loaded only by
 * reflection from {@link Kernels#select}, so nothing references it when the module is absent.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = 8;
    private static final int NR = 2 * L;

    private final PointwiseKernels pointwise = new VectorPointwise();

    @Override
    public PointwiseKernels pointwise() {
        return pointwise;
    }

    @Override
    public String description() {
        return "Vector API " + S.vectorBitSize() + "-bit (" + L + " floats), micro-tile " + MR + "x" + NR;
    }

    @Override
    public int mr() {
        return MR;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void tile(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector r00;
        FloatVector r01;
        FloatVector r10;
        FloatVector r11;
        FloatVector r20;
        FloatVector r21;
        FloatVector r30;
        FloatVector r31;
        FloatVector r40;
        FloatVector r41;
        FloatVector r50;
        FloatVector r51;
        FloatVector r60;
        FloatVector r61;
        FloatVector r70;
        FloatVector r71;
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + L);
        } else {
            r00 = FloatVector.zero(S);
            r01 = r00;
            r10 = r00;
            r11 = r00;
            r20 = r00;
            r21 = r00;
            r30 = r00;
            r31 = r00;
            r40 = r00;
            r41 = r00;
            r50 = r00;
            r51 = r00;
            r60 = r00;
            r61 = r00;
            r70 = r00;
            r71 = r00;
        }
        int ao = aOff;
        int bo = bOff;
        for (int k = 0; k < kc; k++, ao += MR, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + 0]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + L);
    }

    @Override
    public void tileRows(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector r00;
        FloatVector r01;
        FloatVector r10;
        FloatVector r11;
        FloatVector r20;
        FloatVector r21;
        FloatVector r30;
        FloatVector r31;
        FloatVector r40;
        FloatVector r41;
        FloatVector r50;
        FloatVector r51;
        FloatVector r60;
        FloatVector r61;
        FloatVector r70;
        FloatVector r71;
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + L);
        } else {
            r00 = FloatVector.zero(S);
            r01 = r00;
            r10 = r00;
            r11 = r00;
            r20 = r00;
            r21 = r00;
            r30 = r00;
            r31 = r00;
            r40 = r00;
            r41 = r00;
            r50 = r00;
            r51 = r00;
            r60 = r00;
            r61 = r00;
            r70 = r00;
            r71 = r00;
        }
        int ao = aOff;
        for (int k = 0; k < kc; k++, ao += MR) {
            int bo = rowOff[rOff + k] + xOff;
            FloatVector b0 = FloatVector.fromArray(S, x, bo);
            FloatVector b1 = FloatVector.fromArray(S, x, bo + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + 0]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + L);
    }

    @Override
    public void taps(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out, int outOff) {
        int t = 0;
        // four independent accumulators per pass: one would serialize on the FMA latency
        for (; t + 4 * L <= len; t += 4 * L) {
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            for (int i = 0; i < nTaps; i++) {
                FloatVector wv = FloatVector.broadcast(S, w[wOff + i]);
                int xo = xBase + tapOff[i] + t;
                s0 = wv.fma(FloatVector.fromArray(S, x, xo), s0);
                s1 = wv.fma(FloatVector.fromArray(S, x, xo + L), s1);
                s2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * L), s2);
                s3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * L), s3);
            }
            s0.intoArray(out, outOff + t);
            s1.intoArray(out, outOff + t + L);
            s2.intoArray(out, outOff + t + 2 * L);
            s3.intoArray(out, outOff + t + 3 * L);
        }
        for (; t + L <= len; t += L) {
            FloatVector s0 = FloatVector.zero(S);
            for (int i = 0; i < nTaps; i++) {
                s0 = FloatVector.broadcast(S, w[wOff + i]).fma(FloatVector.fromArray(S, x, xBase + tapOff[i] + t), s0);
            }
            s0.intoArray(out, outOff + t);
        }
        for (; t < len; t++) {
            float s = 0f;
            for (int i = 0; i < nTaps; i++) {
                s += w[wOff + i] * x[xBase + tapOff[i] + t];
            }
            out[outOff + t] = s;
        }
    }

    @Override
    public void dotTile(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] out, int outOff,
                        int ldo) {
        int a0 = aOff + 0 * lda;
        int a1 = aOff + 1 * lda;
        int a2 = aOff + 2 * lda;
        int a3 = aOff + 3 * lda;
        int b0 = bOff[bIdx + 0];
        int b1 = bOff[bIdx + 1];
        int b2 = bOff[bIdx + 2];
        int b3 = bOff[bIdx + 3];
        FloatVector s00 = FloatVector.zero(S);
        FloatVector s01 = FloatVector.zero(S);
        FloatVector s02 = FloatVector.zero(S);
        FloatVector s03 = FloatVector.zero(S);
        FloatVector s10 = FloatVector.zero(S);
        FloatVector s11 = FloatVector.zero(S);
        FloatVector s12 = FloatVector.zero(S);
        FloatVector s13 = FloatVector.zero(S);
        FloatVector s20 = FloatVector.zero(S);
        FloatVector s21 = FloatVector.zero(S);
        FloatVector s22 = FloatVector.zero(S);
        FloatVector s23 = FloatVector.zero(S);
        FloatVector s30 = FloatVector.zero(S);
        FloatVector s31 = FloatVector.zero(S);
        FloatVector s32 = FloatVector.zero(S);
        FloatVector s33 = FloatVector.zero(S);
        for (int t = 0; t < len; t += L) {
            FloatVector v0 = FloatVector.fromArray(S, b, b0 + t);
            FloatVector v1 = FloatVector.fromArray(S, b, b1 + t);
            FloatVector v2 = FloatVector.fromArray(S, b, b2 + t);
            FloatVector v3 = FloatVector.fromArray(S, b, b3 + t);
            FloatVector u0 = FloatVector.fromArray(S, a, a0 + t);
            s00 = u0.fma(v0, s00);
            s01 = u0.fma(v1, s01);
            s02 = u0.fma(v2, s02);
            s03 = u0.fma(v3, s03);
            FloatVector u1 = FloatVector.fromArray(S, a, a1 + t);
            s10 = u1.fma(v0, s10);
            s11 = u1.fma(v1, s11);
            s12 = u1.fma(v2, s12);
            s13 = u1.fma(v3, s13);
            FloatVector u2 = FloatVector.fromArray(S, a, a2 + t);
            s20 = u2.fma(v0, s20);
            s21 = u2.fma(v1, s21);
            s22 = u2.fma(v2, s22);
            s23 = u2.fma(v3, s23);
            FloatVector u3 = FloatVector.fromArray(S, a, a3 + t);
            s30 = u3.fma(v0, s30);
            s31 = u3.fma(v1, s31);
            s32 = u3.fma(v2, s32);
            s33 = u3.fma(v3, s33);
        }
        out[outOff + 0 * ldo + 0] += s00.reduceLanes(VectorOperators.ADD);
        out[outOff + 0 * ldo + 1] += s01.reduceLanes(VectorOperators.ADD);
        out[outOff + 0 * ldo + 2] += s02.reduceLanes(VectorOperators.ADD);
        out[outOff + 0 * ldo + 3] += s03.reduceLanes(VectorOperators.ADD);
        out[outOff + 1 * ldo + 0] += s10.reduceLanes(VectorOperators.ADD);
        out[outOff + 1 * ldo + 1] += s11.reduceLanes(VectorOperators.ADD);
        out[outOff + 1 * ldo + 2] += s12.reduceLanes(VectorOperators.ADD);
        out[outOff + 1 * ldo + 3] += s13.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * ldo + 0] += s20.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * ldo + 1] += s21.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * ldo + 2] += s22.reduceLanes(VectorOperators.ADD);
        out[outOff + 2 * ldo + 3] += s23.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * ldo + 0] += s30.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * ldo + 1] += s31.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * ldo + 2] += s32.reduceLanes(VectorOperators.ADD);
        out[outOff + 3 * ldo + 3] += s33.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public int dotBlockLength() {
        return L;
    }

    @Override
    public float sum(int len, float[] x, int xOff) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        int t = 0;
        for (; t + 2 * L <= len; t += 2 * L) {
            s0 = s0.add(FloatVector.fromArray(S, x, xOff + t));
            s1 = s1.add(FloatVector.fromArray(S, x, xOff + t + L));
        }
        float s = s0.add(s1).reduceLanes(VectorOperators.ADD);
        for (; t < len; t++) {
            s += x[xOff + t];
        }
        return s;
    }

    @Override
    public void axpy(int len, float alpha, float[] x, int xOff, float[] y, int yOff) {
        FloatVector av = FloatVector.broadcast(S, alpha);
        int t = 0;
        for (; t + L <= len; t += L) {
            av.fma(FloatVector.fromArray(S, x, xOff + t), FloatVector.fromArray(S, y, yOff + t)).intoArray(y, yOff + t);
        }
        for (; t < len; t++) {
            y[yOff + t] += alpha * x[xOff + t];
        }
    }

    @Override
    public float dot(int len, float[] x, int xOff, float[] y, int yOff) {
        FloatVector s0 = FloatVector.zero(S);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int t = 0;
        for (; t + 4 * L <= len; t += 4 * L) {
            s0 = FloatVector.fromArray(S, x, xOff + t).fma(FloatVector.fromArray(S, y, yOff + t), s0);
            s1 = FloatVector.fromArray(S, x, xOff + t + L).fma(FloatVector.fromArray(S, y, yOff + t + L), s1);
            s2 = FloatVector.fromArray(S, x, xOff + t + 2 * L).fma(FloatVector.fromArray(S, y, yOff + t + 2 * L), s2);
            s3 = FloatVector.fromArray(S, x, xOff + t + 3 * L).fma(FloatVector.fromArray(S, y, yOff + t + 3 * L), s3);
        }
        for (; t + L <= len; t += L) {
            s0 = FloatVector.fromArray(S, x, xOff + t).fma(FloatVector.fromArray(S, y, yOff + t), s0);
        }
        float s = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        for (; t < len; t++) {
            s += x[xOff + t] * y[yOff + t];
        }
        return s;
    }
}
