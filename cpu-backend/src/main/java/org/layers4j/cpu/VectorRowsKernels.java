package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API micro-tiles of {@link Kernels#tileRowsA}: C[mr x nr] (+)= A B where A's rows are read in
 * place from rows of {@code x} (A[i][q] = x[rowOff[rOff + i] + xOff + q], one broadcast per element) and B is a
 * packed panel of nr columns ({@code b[bOff + q*nr + j]}). The weight gradient uses them with A = shifted input
 * rows (taps of a band) and B = the output gradient transposed, so the reduction over output positions runs
 * down the accumulators, with no horizontal sums. The tile shapes are those of {@link VectorKernels}' GEMM
 * tiles, so each fits the machine's vector registers. Loaded only through {@link VectorKernels}.
 */
final class VectorRowsKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorRowsKernels() {
    }

    /** 8 rows x 2 vectors: 16 accumulators + 2 B vectors + 1 broadcast. */
    static void tile8x2(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                        int ldc, boolean accumulate) {
        int x0 = rowOff[rOff + 0] + xOff;
        int x1 = rowOff[rOff + 1] + xOff;
        int x2 = rowOff[rOff + 2] + xOff;
        int x3 = rowOff[rOff + 3] + xOff;
        int x4 = rowOff[rOff + 4] + xOff;
        int x5 = rowOff[rOff + 5] + xOff;
        int x6 = rowOff[rOff + 6] + xOff;
        int x7 = rowOff[rOff + 7] + xOff;
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
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 1 * L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 1 * L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 1 * L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 1 * L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 1 * L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 1 * L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + 1 * L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + 1 * L);
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
        int bo = bOff;
        for (int q = 0; q < kc; q++, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, x[x0 + q]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            FloatVector a1 = FloatVector.broadcast(S, x[x1 + q]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            FloatVector a2 = FloatVector.broadcast(S, x[x2 + q]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            FloatVector a3 = FloatVector.broadcast(S, x[x3 + q]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            FloatVector a4 = FloatVector.broadcast(S, x[x4 + q]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            FloatVector a5 = FloatVector.broadcast(S, x[x5 + q]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            FloatVector a6 = FloatVector.broadcast(S, x[x6 + q]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            FloatVector a7 = FloatVector.broadcast(S, x[x7 + q]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + 1 * L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + 1 * L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + 1 * L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + 1 * L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + 1 * L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + 1 * L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + 1 * L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + 1 * L);
    }

    /** 6 rows x 2 vectors: 12 accumulators + 2 B vectors + 1 broadcast. */
    static void tile6x2(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                        int ldc, boolean accumulate) {
        int x0 = rowOff[rOff + 0] + xOff;
        int x1 = rowOff[rOff + 1] + xOff;
        int x2 = rowOff[rOff + 2] + xOff;
        int x3 = rowOff[rOff + 3] + xOff;
        int x4 = rowOff[rOff + 4] + xOff;
        int x5 = rowOff[rOff + 5] + xOff;
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
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 1 * L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 1 * L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 1 * L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 1 * L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 1 * L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 1 * L);
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
        }
        int bo = bOff;
        for (int q = 0; q < kc; q++, bo += 2 * L) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + 1 * L);
            FloatVector a0 = FloatVector.broadcast(S, x[x0 + q]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            FloatVector a1 = FloatVector.broadcast(S, x[x1 + q]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            FloatVector a2 = FloatVector.broadcast(S, x[x2 + q]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            FloatVector a3 = FloatVector.broadcast(S, x[x3 + q]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            FloatVector a4 = FloatVector.broadcast(S, x[x4 + q]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            FloatVector a5 = FloatVector.broadcast(S, x[x5 + q]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + 1 * L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + 1 * L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + 1 * L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + 1 * L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + 1 * L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + 1 * L);
    }

    /** 8 rows x 3 vectors: 24 accumulators + 3 B vectors + 1 broadcast. */
    static void tile8x3(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                        int ldc, boolean accumulate) {
        int x0 = rowOff[rOff + 0] + xOff;
        int x1 = rowOff[rOff + 1] + xOff;
        int x2 = rowOff[rOff + 2] + xOff;
        int x3 = rowOff[rOff + 3] + xOff;
        int x4 = rowOff[rOff + 4] + xOff;
        int x5 = rowOff[rOff + 5] + xOff;
        int x6 = rowOff[rOff + 6] + xOff;
        int x7 = rowOff[rOff + 7] + xOff;
        FloatVector r00;
        FloatVector r01;
        FloatVector r02;
        FloatVector r10;
        FloatVector r11;
        FloatVector r12;
        FloatVector r20;
        FloatVector r21;
        FloatVector r22;
        FloatVector r30;
        FloatVector r31;
        FloatVector r32;
        FloatVector r40;
        FloatVector r41;
        FloatVector r42;
        FloatVector r50;
        FloatVector r51;
        FloatVector r52;
        FloatVector r60;
        FloatVector r61;
        FloatVector r62;
        FloatVector r70;
        FloatVector r71;
        FloatVector r72;
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 1 * L);
            r02 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 2 * L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 1 * L);
            r12 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 2 * L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 1 * L);
            r22 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 2 * L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 1 * L);
            r32 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 2 * L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 1 * L);
            r42 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 2 * L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 1 * L);
            r52 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 2 * L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + 1 * L);
            r62 = FloatVector.fromArray(S, c, cOff + 6 * ldc + 2 * L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + 1 * L);
            r72 = FloatVector.fromArray(S, c, cOff + 7 * ldc + 2 * L);
        } else {
            r00 = FloatVector.zero(S);
            r01 = r00;
            r02 = r00;
            r10 = r00;
            r11 = r00;
            r12 = r00;
            r20 = r00;
            r21 = r00;
            r22 = r00;
            r30 = r00;
            r31 = r00;
            r32 = r00;
            r40 = r00;
            r41 = r00;
            r42 = r00;
            r50 = r00;
            r51 = r00;
            r52 = r00;
            r60 = r00;
            r61 = r00;
            r62 = r00;
            r70 = r00;
            r71 = r00;
            r72 = r00;
        }
        int bo = bOff;
        for (int q = 0; q < kc; q++, bo += 3 * L) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + 1 * L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, x[x0 + q]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            r02 = a0.fma(b2, r02);
            FloatVector a1 = FloatVector.broadcast(S, x[x1 + q]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            r12 = a1.fma(b2, r12);
            FloatVector a2 = FloatVector.broadcast(S, x[x2 + q]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            r22 = a2.fma(b2, r22);
            FloatVector a3 = FloatVector.broadcast(S, x[x3 + q]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            r32 = a3.fma(b2, r32);
            FloatVector a4 = FloatVector.broadcast(S, x[x4 + q]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            r42 = a4.fma(b2, r42);
            FloatVector a5 = FloatVector.broadcast(S, x[x5 + q]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            r52 = a5.fma(b2, r52);
            FloatVector a6 = FloatVector.broadcast(S, x[x6 + q]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            r62 = a6.fma(b2, r62);
            FloatVector a7 = FloatVector.broadcast(S, x[x7 + q]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
            r72 = a7.fma(b2, r72);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + 1 * L);
        r02.intoArray(c, cOff + 0 * ldc + 2 * L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + 1 * L);
        r12.intoArray(c, cOff + 1 * ldc + 2 * L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + 1 * L);
        r22.intoArray(c, cOff + 2 * ldc + 2 * L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + 1 * L);
        r32.intoArray(c, cOff + 3 * ldc + 2 * L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + 1 * L);
        r42.intoArray(c, cOff + 4 * ldc + 2 * L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + 1 * L);
        r52.intoArray(c, cOff + 5 * ldc + 2 * L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + 1 * L);
        r62.intoArray(c, cOff + 6 * ldc + 2 * L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + 1 * L);
        r72.intoArray(c, cOff + 7 * ldc + 2 * L);
    }
}
