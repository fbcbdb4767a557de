package org.layers4j.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row kernel of {@link Kernels#laneRowDots}: one input row of one to three channels against a row of the
 * output gradient whose vectors hold a group's output channels ({@link LaneWeightGradient}). Each input value
 * is broadcast once and multiplied into the gradient vectors of the three kernel columns, which are the current
 * vector and the two loaded before it (kept in registers, so one load serves three columns and three
 * channels): 4 loads per 9 FMAs into 9 accumulators, 13 of AVX2's 16 registers. The reduction over the row
 * runs down the accumulators, so no horizontal sums. Each method is a single loop: C2 (JDK 17) keeps vectors
 * that live across nested loops boxed, which made a rows x columns version 15 times slower. Loaded only
 * through {@link VectorKernels}.
 */
final class VectorLaneKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorLaneKernels() {
    }

    /** Three channels (x rows at x0, x0 + xs, x0 + 2 xs; accumulators at a0, a0 + as, a0 + 2 as). */
    static void rowDots3(int cols, float[] x, int x0, int xs, float[] d, int d0, float[] acc, int a0, int as) {
        int a1 = a0 + as;
        int a2 = a1 + as;
        FloatVector s00 = FloatVector.fromArray(S, acc, a0);
        FloatVector s01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector s02 = FloatVector.fromArray(S, acc, a0 + 2 * L);
        FloatVector s10 = FloatVector.fromArray(S, acc, a1);
        FloatVector s11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector s12 = FloatVector.fromArray(S, acc, a1 + 2 * L);
        FloatVector s20 = FloatVector.fromArray(S, acc, a2);
        FloatVector s21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector s22 = FloatVector.fromArray(S, acc, a2 + 2 * L);
        FloatVector d1 = FloatVector.fromArray(S, d, d0 - L);
        FloatVector d2 = FloatVector.fromArray(S, d, d0 - 2 * L);
        int x1 = x0 + xs;
        int x2 = x1 + xs;
        for (int j = 0; j < cols; j++) {
            FloatVector d0v = FloatVector.fromArray(S, d, d0 + j * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + j]);
            s00 = b.fma(d0v, s00);
            s01 = b.fma(d1, s01);
            s02 = b.fma(d2, s02);
            b = FloatVector.broadcast(S, x[x1 + j]);
            s10 = b.fma(d0v, s10);
            s11 = b.fma(d1, s11);
            s12 = b.fma(d2, s12);
            b = FloatVector.broadcast(S, x[x2 + j]);
            s20 = b.fma(d0v, s20);
            s21 = b.fma(d1, s21);
            s22 = b.fma(d2, s22);
            d2 = d1;
            d1 = d0v;
        }
        s00.intoArray(acc, a0);
        s01.intoArray(acc, a0 + L);
        s02.intoArray(acc, a0 + 2 * L);
        s10.intoArray(acc, a1);
        s11.intoArray(acc, a1 + L);
        s12.intoArray(acc, a1 + 2 * L);
        s20.intoArray(acc, a2);
        s21.intoArray(acc, a2 + L);
        s22.intoArray(acc, a2 + 2 * L);
    }

    /** Two channels: 6 accumulators. */
    static void rowDots2(int cols, float[] x, int x0, int xs, float[] d, int d0, float[] acc, int a0, int as) {
        int a1 = a0 + as;
        FloatVector s00 = FloatVector.fromArray(S, acc, a0);
        FloatVector s01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector s02 = FloatVector.fromArray(S, acc, a0 + 2 * L);
        FloatVector s10 = FloatVector.fromArray(S, acc, a1);
        FloatVector s11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector s12 = FloatVector.fromArray(S, acc, a1 + 2 * L);
        FloatVector d1 = FloatVector.fromArray(S, d, d0 - L);
        FloatVector d2 = FloatVector.fromArray(S, d, d0 - 2 * L);
        int x1 = x0 + xs;
        for (int j = 0; j < cols; j++) {
            FloatVector d0v = FloatVector.fromArray(S, d, d0 + j * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + j]);
            s00 = b.fma(d0v, s00);
            s01 = b.fma(d1, s01);
            s02 = b.fma(d2, s02);
            b = FloatVector.broadcast(S, x[x1 + j]);
            s10 = b.fma(d0v, s10);
            s11 = b.fma(d1, s11);
            s12 = b.fma(d2, s12);
            d2 = d1;
            d1 = d0v;
        }
        s00.intoArray(acc, a0);
        s01.intoArray(acc, a0 + L);
        s02.intoArray(acc, a0 + 2 * L);
        s10.intoArray(acc, a1);
        s11.intoArray(acc, a1 + L);
        s12.intoArray(acc, a1 + 2 * L);
    }

    /** One channel: 3 accumulators (only groups of one input channel need it). */
    static void rowDots1(int cols, float[] x, int x0, float[] d, int d0, float[] acc, int a0) {
        FloatVector s00 = FloatVector.fromArray(S, acc, a0);
        FloatVector s01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector s02 = FloatVector.fromArray(S, acc, a0 + 2 * L);
        FloatVector d1 = FloatVector.fromArray(S, d, d0 - L);
        FloatVector d2 = FloatVector.fromArray(S, d, d0 - 2 * L);
        for (int j = 0; j < cols; j++) {
            FloatVector d0v = FloatVector.fromArray(S, d, d0 + j * L);
            FloatVector b = FloatVector.broadcast(S, x[x0 + j]);
            s00 = b.fma(d0v, s00);
            s01 = b.fma(d1, s01);
            s02 = b.fma(d2, s02);
            d2 = d1;
            d1 = d0v;
        }
        s00.intoArray(acc, a0);
        s01.intoArray(acc, a0 + L);
        s02.intoArray(acc, a0 + 2 * L);
    }
}
