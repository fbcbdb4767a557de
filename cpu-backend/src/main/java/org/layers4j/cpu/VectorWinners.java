package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The winners of a 3 x 3, stride-2 max pool's windows (the cells its backward routes each gradient to), one vector
 * of consecutive outputs of a row at a time: the three columns of every window are the even and odd lanes of two
 * unit-stride loads of each input row, split with a permute, and each window's first cell in row-major order equal to
 * its output wins, as in {@link MaxPoolWinner#find}'s scan (IEEE equality, so -0 equals 0).
 */
final class VectorWinners {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i % L);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);
    private static final VectorMask<Float> UPPER = VectorMask.fromLong(S, -1L << (L / 2));

    private VectorWinners() {
    }

    /**
     * codes[t] = 3 * i + j of the winning cell of window t, t in [0, L): window t reads x[rows[i] + col + 2t + j] for
     * i, j in 0..2 and its output is y[yOff + t]. The caller keeps every read inside the rows: col >= 0 and
     * col + 2L + 1 < the row's width. Returns false, codes undefined, when some output is NaN (its winner is then the
     * scalar scan's).
     */
    static boolean find(float[] x, int row0, int row1, int row2, int col, float[] y, int yOff, float[] codes) {
        FloatVector m = FloatVector.fromArray(S, y, yOff);
        if (m.compare(VectorOperators.NE, m).anyTrue()) {
            return false;
        }
        FloatVector.broadcast(S, -1f).intoArray(codes, 0);
        // backwards from cell 8, so that the first equal cell in row-major order is the last one written
        row(x, row2 + col, y, yOff, codes, 6);
        row(x, row1 + col, y, yOff, codes, 3);
        row(x, row0 + col, y, yOff, codes, 0);
        return true;
    }

    /**
     * The codes of one input row's cells equal to the outputs, over those found so far (codes[0 .. L)). Arrays only: a
     * vector passed to a method C2 compiles on its own has no exact type there and runs on the Vector API's
     * allocating fallback (see {@link VectorDepthwiseKernels}).
     */
    private static void row(float[] x, int at, float[] y, int yOff, float[] codes, int first) {
        FloatVector m = FloatVector.fromArray(S, y, yOff);
        FloatVector found = FloatVector.fromArray(S, codes, 0);
        FloatVector a = FloatVector.fromArray(S, x, at);
        FloatVector b = FloatVector.fromArray(S, x, at + L);
        FloatVector c = FloatVector.fromArray(S, x, at + 2);
        FloatVector d = FloatVector.fromArray(S, x, at + 2 + L);
        FloatVector left = a.rearrange(EVEN).blend(b.rearrange(EVEN), UPPER);
        FloatVector middle = a.rearrange(ODD).blend(b.rearrange(ODD), UPPER);
        FloatVector right = c.rearrange(EVEN).blend(d.rearrange(EVEN), UPPER);
        found = found.blend(first + 2f, right.compare(VectorOperators.EQ, m));
        found = found.blend(first + 1f, middle.compare(VectorOperators.EQ, m));
        found.blend((float) first, left.compare(VectorOperators.EQ, m)).intoArray(codes, 0);
    }
}
