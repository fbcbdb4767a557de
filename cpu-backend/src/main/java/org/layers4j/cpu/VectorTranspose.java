package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link Kernels#transpose}: an L x L block of floats transposed in registers (L = 4, 8 or 16 lanes), the copies
 * between channel planes and channel-interleaved rows of {@link BlockedDepthwise}. Stage s (s = 0 .. log2(L) - 1,
 * distance 2^s) pairs rows i and i + 2^s (bit s of i clear) and swaps the off-diagonal 2^s x 2^s blocks of each pair:
 * row i keeps its lanes with bit s clear and takes the lanes of row i + 2^s moved up by 2^s in the others, row i + 2^s
 * the reverse; after the last stage row i holds column i. Each output of a stage is one permute and one blend, L
 * log2(L) pairs per block, written out as straight-line code so that every vector stays in a register (an array of
 * vectors is not scalar-replaced: such a loop ran 20 times slower). 16 lanes: 0.22 ns per float on the AVX-512 test
 * machine, against 0.34-0.97 for scalar loops over either index order. Loaded only through {@link VectorKernels}.
 */
final class VectorTranspose {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Per stage (distance 1, 2, 4, 8): lane c takes lane c - distance (the other row moved up into the upper lanes). */
    private static final VectorShuffle<Float> DOWN1 = shift(-1);
    private static final VectorShuffle<Float> DOWN2 = shift(-2);
    private static final VectorShuffle<Float> DOWN4 = shift(-4);
    private static final VectorShuffle<Float> DOWN8 = shift(-8);
    /** Per stage: lane c takes lane c + distance (the upper lanes moved down). */
    private static final VectorShuffle<Float> UP1 = shift(1);
    private static final VectorShuffle<Float> UP2 = shift(2);
    private static final VectorShuffle<Float> UP4 = shift(4);
    private static final VectorShuffle<Float> UP8 = shift(8);
    /** Per stage: the lanes whose index has the distance's bit set. */
    private static final VectorMask<Float> HIGH1 = high(1);
    private static final VectorMask<Float> HIGH2 = high(2);
    private static final VectorMask<Float> HIGH4 = high(4);
    private static final VectorMask<Float> HIGH8 = high(8);

    private VectorTranspose() {
    }

    /** Whether {@link #transpose} runs in registers at this vector length. */
    static boolean inRegisters() {
        return L == 4 || L == 8 || L == 16;
    }

    /**
     * d[dOff + rows[rowsOff + i] + j] = x[xOff + j*xStride + i] for i, j in [0, L); L is 4, 8 or 16
     * ({@link #inRegisters}).
     */
    static void transpose(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        if (L == 16) {
            transpose16(x, xOff, xStride, d, dOff, rows, rowsOff);
        } else if (L == 8) {
            transpose8(x, xOff, xStride, d, dOff, rows, rowsOff);
        } else {
            transpose4(x, xOff, xStride, d, dOff, rows, rowsOff);
        }
    }

    private static VectorShuffle<Float> shift(int by) {
        return VectorShuffle.fromOp(S, c -> Math.floorMod(c + by, L));
    }

    private static VectorMask<Float> high(int distance) {
        boolean[] high = new boolean[L];
        for (int c = 0; c < L; c++) {
            high[c] = (c & distance) != 0;
        }
        return VectorMask.fromArray(S, high, 0);
    }

    /** {@link #transpose} for 4 lanes: log2(4) stages of block swaps, each a blend of one vector with the other moved. */
    private static void transpose4(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        FloatVector v0 = FloatVector.fromArray(S, x, xOff);
        FloatVector v1 = FloatVector.fromArray(S, x, xOff + 1 * xStride);
        FloatVector v2 = FloatVector.fromArray(S, x, xOff + 2 * xStride);
        FloatVector v3 = FloatVector.fromArray(S, x, xOff + 3 * xStride);
        FloatVector a0 = v0.blend(v1.rearrange(DOWN1), HIGH1);
        FloatVector a1 = v0.rearrange(UP1).blend(v1, HIGH1);
        FloatVector a2 = v2.blend(v3.rearrange(DOWN1), HIGH1);
        FloatVector a3 = v2.rearrange(UP1).blend(v3, HIGH1);
        FloatVector b0 = a0.blend(a2.rearrange(DOWN2), HIGH2);
        FloatVector b2 = a0.rearrange(UP2).blend(a2, HIGH2);
        FloatVector b1 = a1.blend(a3.rearrange(DOWN2), HIGH2);
        FloatVector b3 = a1.rearrange(UP2).blend(a3, HIGH2);
        b0.intoArray(d, dOff + rows[rowsOff]);
        b1.intoArray(d, dOff + rows[rowsOff + 1]);
        b2.intoArray(d, dOff + rows[rowsOff + 2]);
        b3.intoArray(d, dOff + rows[rowsOff + 3]);
    }

    /** {@link #transpose} for 8 lanes: log2(8) stages of block swaps, each a blend of one vector with the other moved. */
    private static void transpose8(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        FloatVector v0 = FloatVector.fromArray(S, x, xOff);
        FloatVector v1 = FloatVector.fromArray(S, x, xOff + 1 * xStride);
        FloatVector v2 = FloatVector.fromArray(S, x, xOff + 2 * xStride);
        FloatVector v3 = FloatVector.fromArray(S, x, xOff + 3 * xStride);
        FloatVector v4 = FloatVector.fromArray(S, x, xOff + 4 * xStride);
        FloatVector v5 = FloatVector.fromArray(S, x, xOff + 5 * xStride);
        FloatVector v6 = FloatVector.fromArray(S, x, xOff + 6 * xStride);
        FloatVector v7 = FloatVector.fromArray(S, x, xOff + 7 * xStride);
        FloatVector a0 = v0.blend(v1.rearrange(DOWN1), HIGH1);
        FloatVector a1 = v0.rearrange(UP1).blend(v1, HIGH1);
        FloatVector a2 = v2.blend(v3.rearrange(DOWN1), HIGH1);
        FloatVector a3 = v2.rearrange(UP1).blend(v3, HIGH1);
        FloatVector a4 = v4.blend(v5.rearrange(DOWN1), HIGH1);
        FloatVector a5 = v4.rearrange(UP1).blend(v5, HIGH1);
        FloatVector a6 = v6.blend(v7.rearrange(DOWN1), HIGH1);
        FloatVector a7 = v6.rearrange(UP1).blend(v7, HIGH1);
        FloatVector b0 = a0.blend(a2.rearrange(DOWN2), HIGH2);
        FloatVector b2 = a0.rearrange(UP2).blend(a2, HIGH2);
        FloatVector b1 = a1.blend(a3.rearrange(DOWN2), HIGH2);
        FloatVector b3 = a1.rearrange(UP2).blend(a3, HIGH2);
        FloatVector b4 = a4.blend(a6.rearrange(DOWN2), HIGH2);
        FloatVector b6 = a4.rearrange(UP2).blend(a6, HIGH2);
        FloatVector b5 = a5.blend(a7.rearrange(DOWN2), HIGH2);
        FloatVector b7 = a5.rearrange(UP2).blend(a7, HIGH2);
        FloatVector c0 = b0.blend(b4.rearrange(DOWN4), HIGH4);
        FloatVector c4 = b0.rearrange(UP4).blend(b4, HIGH4);
        FloatVector c1 = b1.blend(b5.rearrange(DOWN4), HIGH4);
        FloatVector c5 = b1.rearrange(UP4).blend(b5, HIGH4);
        FloatVector c2 = b2.blend(b6.rearrange(DOWN4), HIGH4);
        FloatVector c6 = b2.rearrange(UP4).blend(b6, HIGH4);
        FloatVector c3 = b3.blend(b7.rearrange(DOWN4), HIGH4);
        FloatVector c7 = b3.rearrange(UP4).blend(b7, HIGH4);
        c0.intoArray(d, dOff + rows[rowsOff]);
        c1.intoArray(d, dOff + rows[rowsOff + 1]);
        c2.intoArray(d, dOff + rows[rowsOff + 2]);
        c3.intoArray(d, dOff + rows[rowsOff + 3]);
        c4.intoArray(d, dOff + rows[rowsOff + 4]);
        c5.intoArray(d, dOff + rows[rowsOff + 5]);
        c6.intoArray(d, dOff + rows[rowsOff + 6]);
        c7.intoArray(d, dOff + rows[rowsOff + 7]);
    }

    /** {@link #transpose} for 16 lanes: log2(16) stages of block swaps, each a blend of one vector with the other moved. */
    private static void transpose16(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        FloatVector v0 = FloatVector.fromArray(S, x, xOff);
        FloatVector v1 = FloatVector.fromArray(S, x, xOff + 1 * xStride);
        FloatVector v2 = FloatVector.fromArray(S, x, xOff + 2 * xStride);
        FloatVector v3 = FloatVector.fromArray(S, x, xOff + 3 * xStride);
        FloatVector v4 = FloatVector.fromArray(S, x, xOff + 4 * xStride);
        FloatVector v5 = FloatVector.fromArray(S, x, xOff + 5 * xStride);
        FloatVector v6 = FloatVector.fromArray(S, x, xOff + 6 * xStride);
        FloatVector v7 = FloatVector.fromArray(S, x, xOff + 7 * xStride);
        FloatVector v8 = FloatVector.fromArray(S, x, xOff + 8 * xStride);
        FloatVector v9 = FloatVector.fromArray(S, x, xOff + 9 * xStride);
        FloatVector v10 = FloatVector.fromArray(S, x, xOff + 10 * xStride);
        FloatVector v11 = FloatVector.fromArray(S, x, xOff + 11 * xStride);
        FloatVector v12 = FloatVector.fromArray(S, x, xOff + 12 * xStride);
        FloatVector v13 = FloatVector.fromArray(S, x, xOff + 13 * xStride);
        FloatVector v14 = FloatVector.fromArray(S, x, xOff + 14 * xStride);
        FloatVector v15 = FloatVector.fromArray(S, x, xOff + 15 * xStride);
        FloatVector a0 = v0.blend(v1.rearrange(DOWN1), HIGH1);
        FloatVector a1 = v0.rearrange(UP1).blend(v1, HIGH1);
        FloatVector a2 = v2.blend(v3.rearrange(DOWN1), HIGH1);
        FloatVector a3 = v2.rearrange(UP1).blend(v3, HIGH1);
        FloatVector a4 = v4.blend(v5.rearrange(DOWN1), HIGH1);
        FloatVector a5 = v4.rearrange(UP1).blend(v5, HIGH1);
        FloatVector a6 = v6.blend(v7.rearrange(DOWN1), HIGH1);
        FloatVector a7 = v6.rearrange(UP1).blend(v7, HIGH1);
        FloatVector a8 = v8.blend(v9.rearrange(DOWN1), HIGH1);
        FloatVector a9 = v8.rearrange(UP1).blend(v9, HIGH1);
        FloatVector a10 = v10.blend(v11.rearrange(DOWN1), HIGH1);
        FloatVector a11 = v10.rearrange(UP1).blend(v11, HIGH1);
        FloatVector a12 = v12.blend(v13.rearrange(DOWN1), HIGH1);
        FloatVector a13 = v12.rearrange(UP1).blend(v13, HIGH1);
        FloatVector a14 = v14.blend(v15.rearrange(DOWN1), HIGH1);
        FloatVector a15 = v14.rearrange(UP1).blend(v15, HIGH1);
        FloatVector b0 = a0.blend(a2.rearrange(DOWN2), HIGH2);
        FloatVector b2 = a0.rearrange(UP2).blend(a2, HIGH2);
        FloatVector b1 = a1.blend(a3.rearrange(DOWN2), HIGH2);
        FloatVector b3 = a1.rearrange(UP2).blend(a3, HIGH2);
        FloatVector b4 = a4.blend(a6.rearrange(DOWN2), HIGH2);
        FloatVector b6 = a4.rearrange(UP2).blend(a6, HIGH2);
        FloatVector b5 = a5.blend(a7.rearrange(DOWN2), HIGH2);
        FloatVector b7 = a5.rearrange(UP2).blend(a7, HIGH2);
        FloatVector b8 = a8.blend(a10.rearrange(DOWN2), HIGH2);
        FloatVector b10 = a8.rearrange(UP2).blend(a10, HIGH2);
        FloatVector b9 = a9.blend(a11.rearrange(DOWN2), HIGH2);
        FloatVector b11 = a9.rearrange(UP2).blend(a11, HIGH2);
        FloatVector b12 = a12.blend(a14.rearrange(DOWN2), HIGH2);
        FloatVector b14 = a12.rearrange(UP2).blend(a14, HIGH2);
        FloatVector b13 = a13.blend(a15.rearrange(DOWN2), HIGH2);
        FloatVector b15 = a13.rearrange(UP2).blend(a15, HIGH2);
        FloatVector c0 = b0.blend(b4.rearrange(DOWN4), HIGH4);
        FloatVector c4 = b0.rearrange(UP4).blend(b4, HIGH4);
        FloatVector c1 = b1.blend(b5.rearrange(DOWN4), HIGH4);
        FloatVector c5 = b1.rearrange(UP4).blend(b5, HIGH4);
        FloatVector c2 = b2.blend(b6.rearrange(DOWN4), HIGH4);
        FloatVector c6 = b2.rearrange(UP4).blend(b6, HIGH4);
        FloatVector c3 = b3.blend(b7.rearrange(DOWN4), HIGH4);
        FloatVector c7 = b3.rearrange(UP4).blend(b7, HIGH4);
        FloatVector c8 = b8.blend(b12.rearrange(DOWN4), HIGH4);
        FloatVector c12 = b8.rearrange(UP4).blend(b12, HIGH4);
        FloatVector c9 = b9.blend(b13.rearrange(DOWN4), HIGH4);
        FloatVector c13 = b9.rearrange(UP4).blend(b13, HIGH4);
        FloatVector c10 = b10.blend(b14.rearrange(DOWN4), HIGH4);
        FloatVector c14 = b10.rearrange(UP4).blend(b14, HIGH4);
        FloatVector c11 = b11.blend(b15.rearrange(DOWN4), HIGH4);
        FloatVector c15 = b11.rearrange(UP4).blend(b15, HIGH4);
        FloatVector d0 = c0.blend(c8.rearrange(DOWN8), HIGH8);
        FloatVector d8 = c0.rearrange(UP8).blend(c8, HIGH8);
        FloatVector d1 = c1.blend(c9.rearrange(DOWN8), HIGH8);
        FloatVector d9 = c1.rearrange(UP8).blend(c9, HIGH8);
        FloatVector d2 = c2.blend(c10.rearrange(DOWN8), HIGH8);
        FloatVector d10 = c2.rearrange(UP8).blend(c10, HIGH8);
        FloatVector d3 = c3.blend(c11.rearrange(DOWN8), HIGH8);
        FloatVector d11 = c3.rearrange(UP8).blend(c11, HIGH8);
        FloatVector d4 = c4.blend(c12.rearrange(DOWN8), HIGH8);
        FloatVector d12 = c4.rearrange(UP8).blend(c12, HIGH8);
        FloatVector d5 = c5.blend(c13.rearrange(DOWN8), HIGH8);
        FloatVector d13 = c5.rearrange(UP8).blend(c13, HIGH8);
        FloatVector d6 = c6.blend(c14.rearrange(DOWN8), HIGH8);
        FloatVector d14 = c6.rearrange(UP8).blend(c14, HIGH8);
        FloatVector d7 = c7.blend(c15.rearrange(DOWN8), HIGH8);
        FloatVector d15 = c7.rearrange(UP8).blend(c15, HIGH8);
        d0.intoArray(d, dOff + rows[rowsOff]);
        d1.intoArray(d, dOff + rows[rowsOff + 1]);
        d2.intoArray(d, dOff + rows[rowsOff + 2]);
        d3.intoArray(d, dOff + rows[rowsOff + 3]);
        d4.intoArray(d, dOff + rows[rowsOff + 4]);
        d5.intoArray(d, dOff + rows[rowsOff + 5]);
        d6.intoArray(d, dOff + rows[rowsOff + 6]);
        d7.intoArray(d, dOff + rows[rowsOff + 7]);
        d8.intoArray(d, dOff + rows[rowsOff + 8]);
        d9.intoArray(d, dOff + rows[rowsOff + 9]);
        d10.intoArray(d, dOff + rows[rowsOff + 10]);
        d11.intoArray(d, dOff + rows[rowsOff + 11]);
        d12.intoArray(d, dOff + rows[rowsOff + 12]);
        d13.intoArray(d, dOff + rows[rowsOff + 13]);
        d14.intoArray(d, dOff + rows[rowsOff + 14]);
        d15.intoArray(d, dOff + rows[rowsOff + 15]);
    }
}
