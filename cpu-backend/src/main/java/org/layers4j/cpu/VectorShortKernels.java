package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The short micro-tiles of {@link Kernels#tileShort} and {@link Kernels#tileRowsShort}: 4 rows x 2 vectors, the
 * width of {@link VectorKernels}' GEMM tiles. 8 accumulators keep both FMA pipes busy at a 4-cycle FMA latency
 * (8 independent chains), 4 broadcasts and 2 loads per 8 FMAs; they compute the remainder rows of weights whose
 * row count is not a multiple of the main tile's ({@link RowBlocks}). Loaded only through {@link VectorKernels}.
 */
final class VectorShortKernels {
    /** Rows of the short tile. */
    static final int ROWS = 4;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorShortKernels() {
    }

    /** C[4 x 2L] (+)= A B, B a packed panel ({@code b[bOff + k*2L + j]}). */
    static void tile4x2(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                        boolean accumulate) {
        FloatVector r00;
        FloatVector r01;
        FloatVector r10;
        FloatVector r11;
        FloatVector r20;
        FloatVector r21;
        FloatVector r30;
        FloatVector r31;
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
        } else {
            r00 = FloatVector.zero(S);
            r01 = r00;
            r10 = r00;
            r11 = r00;
            r20 = r00;
            r21 = r00;
            r30 = r00;
            r31 = r00;
        }
        int ao = aOff;
        int bo = bOff;
        for (int k = 0; k < kc; k++, ao += 4, bo += 2 * L) {
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
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
    }

    /** C[4 x 2L] (+)= A B, B row k read in place at {@code x[rowOff[rOff + k] + xOff ...]}. */
    static void tileRows4x2(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff,
                            int ldc, boolean accumulate) {
        FloatVector r00;
        FloatVector r01;
        FloatVector r10;
        FloatVector r11;
        FloatVector r20;
        FloatVector r21;
        FloatVector r30;
        FloatVector r31;
        if (accumulate) {
            r00 = FloatVector.fromArray(S, c, cOff + 0 * ldc);
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
        } else {
            r00 = FloatVector.zero(S);
            r01 = r00;
            r10 = r00;
            r11 = r00;
            r20 = r00;
            r21 = r00;
            r30 = r00;
            r31 = r00;
        }
        int ao = aOff;
        for (int k = 0; k < kc; k++, ao += 4) {
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
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
    }
}
