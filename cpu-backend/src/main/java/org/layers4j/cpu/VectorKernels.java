package org.layers4j.cpu;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels on the platform's preferred float species, with the register tiles chosen once per
 * JVM from the vector length and the number of vector registers ({@link #REGISTERS}), as BLIS and
 * OpenBLAS choose a kernel per micro-architecture:
 * <ul>
 * <li>32 registers (x86 with AVX-512, aarch64): GEMM tile 8 rows x 2 vectors — 16 accumulators + 2 B vectors
 * + 1 broadcast = 19 live registers, 16 FMAs per 2 vector loads and 8 broadcasts (8 x 32 ran at 113 GFLOP/s on
 * one Zen 4 core against 90 for 4 x 32); weight-gradient dot block 4 x 4 (16 accumulators + 4 + 1).</li>
 * <li>16 registers (x86 with AVX2 or less): GEMM tile 6 rows x 2 vectors — 12 accumulators + 2 B + 1
 * broadcast = 15 registers; the 8 x 2 tile needs 19 and spills (51 against 80 GFLOP/s on one Zen 3 core,
 * the FMA peak there being 73-79). The 4 x 4 dot block (21 live vectors) is computed as two 2 x 4 halves
 * (8 accumulators + 4 + 1) over L1-sized chunks of the reduction.</li>
 * </ul>
 * {@code -Dlayers4j.cpu.tile=8x2|6x2|8x3} (rows x vectors) overrides the GEMM tile, for measurements.
 * Loaded only by reflection from {@link Kernels#select}, so nothing references it when the module is absent.
 */
final class VectorKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Vector registers the JIT can allocate: 32 with AVX-512 (UseAVX >= 3) and on aarch64, else 16. */
    static final int REGISTERS = vectorRegisters();
    /** GEMM tile: rows x vectors. */
    private static final int TILE_ROWS;
    private static final int TILE_VECTORS;

    static {
        String forced = System.getProperty("layers4j.cpu.tile", "").trim().toLowerCase(Locale.ROOT);
        switch (forced) {
            case "8x2":
                TILE_ROWS = 8;
                TILE_VECTORS = 2;
                break;
            case "6x2":
                TILE_ROWS = 6;
                TILE_VECTORS = 2;
                break;
            case "8x3":
                TILE_ROWS = 8;
                TILE_VECTORS = 3;
                break;
            case "":
                TILE_ROWS = REGISTERS >= 32 ? 8 : 6;
                TILE_VECTORS = 2;
                break;
            default:
                throw new IllegalArgumentException("layers4j.cpu.tile must be 8x2, 6x2 or 8x3, but got '" + forced + "'");
        }
    }

    private static final int MR = TILE_ROWS;
    private static final int NR = TILE_VECTORS * L;
    /** Whether the 4 x 4 dot block fits the registers in one pass (21 live vectors). */
    private static final boolean DOT_ONE_PASS = Boolean.parseBoolean(
            System.getProperty("layers4j.cpu.dotOnePass", String.valueOf(REGISTERS >= 32)));
    /** Reduction chunk of the two-pass dot block: 4 B rows + 2 A rows of it (24 KiB) stay in a 32 KiB L1. */
    private static final int DOT_CHUNK = Math.max(L, Integer.getInteger("layers4j.cpu.dotChunk", 1024) / L * L);

    private final PointwiseKernels pointwise = new VectorPointwise();

    @Override
    public PointwiseKernels pointwise() {
        return pointwise;
    }

    @Override
    public String description() {
        return "Vector API " + S.vectorBitSize() + "-bit (" + L + " floats), " + REGISTERS + " vector registers ("
                + isaName() + "), micro-tile " + MR + "x" + NR + " (" + TILE_ROWS + " rows x " + TILE_VECTORS
                + " vectors)" + (shortMr() < MR ? ", short tile " + shortMr() + "x" + NR : "") + ", dot block 4x4"
                + (DOT_ONE_PASS ? "" : " as 2 x (2x4)");
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
        // TILE_* are static finals: C2 folds this to one call
        if (TILE_VECTORS == 3) {
            tile8x3(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
        } else if (TILE_ROWS == 6) {
            tile6x2(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
        } else {
            tile8x2(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
        }
    }

    @Override
    public int shortMr() {
        // the short tile has the 2-vector width of the default tiles; the 8 x 3 measurement tile has none
        return TILE_VECTORS == 2 ? VectorShortKernels.ROWS : MR;
    }

    @Override
    public void tileShort(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc,
                          boolean accumulate) {
        requireShortTile();
        VectorShortKernels.tile4x2(kc, a, aOff, b, bOff, c, cOff, ldc, accumulate);
    }

    @Override
    public void tileRowsShort(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c,
                              int cOff, int ldc, boolean accumulate) {
        requireShortTile();
        VectorShortKernels.tileRows4x2(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
    }

    private static void requireShortTile() {
        if (TILE_VECTORS != 2) {
            throw new IllegalStateException("the " + MR + "x" + NR + " tile has no short tile (shortMr() == mr())");
        }
    }

    @Override
    public void tileRows(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc, boolean accumulate) {
        if (TILE_VECTORS == 3) {
            tileRows8x3(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
        } else if (TILE_ROWS == 6) {
            tileRows6x2(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
        } else {
            tileRows8x2(kc, a, aOff, x, rowOff, rOff, xOff, c, cOff, ldc, accumulate);
        }
    }

    private static void tile8x2(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
        for (int k = 0; k < kc; k++, ao += 8, bo += 2 * L) {
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
    public void tileRowsA(int kc, float[] x, int[] rowOff, int rOff, int xOff, float[] b, int bOff, float[] c, int cOff,
                          int ldc, boolean accumulate) {
        if (TILE_VECTORS == 3) {
            VectorRowsKernels.tile8x3(kc, x, rowOff, rOff, xOff, b, bOff, c, cOff, ldc, accumulate);
        } else if (TILE_ROWS == 6) {
            VectorRowsKernels.tile6x2(kc, x, rowOff, rOff, xOff, b, bOff, c, cOff, ldc, accumulate);
        } else {
            VectorRowsKernels.tile8x2(kc, x, rowOff, rOff, xOff, b, bOff, c, cOff, ldc, accumulate);
        }
    }

    private static void tileRows8x2(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
        for (int k = 0; k < kc; k++, ao += 8) {
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

    private static void tile6x2(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
        int ao = aOff;
        int bo = bOff;
        for (int k = 0; k < kc; k++, ao += 6, bo += 2 * L) {
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
    }

    private static void tileRows6x2(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
        int ao = aOff;
        for (int k = 0; k < kc; k++, ao += 6) {
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
    }

    private static void tile8x3(int kc, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r02 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 2 * L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r12 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 2 * L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r22 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 2 * L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
            r32 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 2 * L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + L);
            r42 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 2 * L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + L);
            r52 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 2 * L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + L);
            r62 = FloatVector.fromArray(S, c, cOff + 6 * ldc + 2 * L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + L);
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
        int ao = aOff;
        int bo = bOff;
        for (int k = 0; k < kc; k++, ao += 8, bo += 3 * L) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + 0]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            r02 = a0.fma(b2, r02);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            r12 = a1.fma(b2, r12);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            r22 = a2.fma(b2, r22);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            r32 = a3.fma(b2, r32);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            r42 = a4.fma(b2, r42);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            r52 = a5.fma(b2, r52);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            r62 = a6.fma(b2, r62);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
            r72 = a7.fma(b2, r72);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r02.intoArray(c, cOff + 0 * ldc + 2 * L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r12.intoArray(c, cOff + 1 * ldc + 2 * L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r22.intoArray(c, cOff + 2 * ldc + 2 * L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
        r32.intoArray(c, cOff + 3 * ldc + 2 * L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + L);
        r42.intoArray(c, cOff + 4 * ldc + 2 * L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + L);
        r52.intoArray(c, cOff + 5 * ldc + 2 * L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + L);
        r62.intoArray(c, cOff + 6 * ldc + 2 * L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + L);
        r72.intoArray(c, cOff + 7 * ldc + 2 * L);
    }

    private static void tileRows8x3(int kc, float[] a, int aOff, float[] x, int[] rowOff, int rOff, int xOff, float[] c, int cOff, int ldc, boolean accumulate) {
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
            r01 = FloatVector.fromArray(S, c, cOff + 0 * ldc + L);
            r02 = FloatVector.fromArray(S, c, cOff + 0 * ldc + 2 * L);
            r10 = FloatVector.fromArray(S, c, cOff + 1 * ldc);
            r11 = FloatVector.fromArray(S, c, cOff + 1 * ldc + L);
            r12 = FloatVector.fromArray(S, c, cOff + 1 * ldc + 2 * L);
            r20 = FloatVector.fromArray(S, c, cOff + 2 * ldc);
            r21 = FloatVector.fromArray(S, c, cOff + 2 * ldc + L);
            r22 = FloatVector.fromArray(S, c, cOff + 2 * ldc + 2 * L);
            r30 = FloatVector.fromArray(S, c, cOff + 3 * ldc);
            r31 = FloatVector.fromArray(S, c, cOff + 3 * ldc + L);
            r32 = FloatVector.fromArray(S, c, cOff + 3 * ldc + 2 * L);
            r40 = FloatVector.fromArray(S, c, cOff + 4 * ldc);
            r41 = FloatVector.fromArray(S, c, cOff + 4 * ldc + L);
            r42 = FloatVector.fromArray(S, c, cOff + 4 * ldc + 2 * L);
            r50 = FloatVector.fromArray(S, c, cOff + 5 * ldc);
            r51 = FloatVector.fromArray(S, c, cOff + 5 * ldc + L);
            r52 = FloatVector.fromArray(S, c, cOff + 5 * ldc + 2 * L);
            r60 = FloatVector.fromArray(S, c, cOff + 6 * ldc);
            r61 = FloatVector.fromArray(S, c, cOff + 6 * ldc + L);
            r62 = FloatVector.fromArray(S, c, cOff + 6 * ldc + 2 * L);
            r70 = FloatVector.fromArray(S, c, cOff + 7 * ldc);
            r71 = FloatVector.fromArray(S, c, cOff + 7 * ldc + L);
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
        int ao = aOff;
        for (int k = 0; k < kc; k++, ao += 8) {
            int bo = rowOff[rOff + k] + xOff;
            FloatVector b0 = FloatVector.fromArray(S, x, bo);
            FloatVector b1 = FloatVector.fromArray(S, x, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, x, bo + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao + 0]);
            r00 = a0.fma(b0, r00);
            r01 = a0.fma(b1, r01);
            r02 = a0.fma(b2, r02);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            r10 = a1.fma(b0, r10);
            r11 = a1.fma(b1, r11);
            r12 = a1.fma(b2, r12);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            r20 = a2.fma(b0, r20);
            r21 = a2.fma(b1, r21);
            r22 = a2.fma(b2, r22);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            r30 = a3.fma(b0, r30);
            r31 = a3.fma(b1, r31);
            r32 = a3.fma(b2, r32);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            r40 = a4.fma(b0, r40);
            r41 = a4.fma(b1, r41);
            r42 = a4.fma(b2, r42);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            r50 = a5.fma(b0, r50);
            r51 = a5.fma(b1, r51);
            r52 = a5.fma(b2, r52);
            FloatVector a6 = FloatVector.broadcast(S, a[ao + 6]);
            r60 = a6.fma(b0, r60);
            r61 = a6.fma(b1, r61);
            r62 = a6.fma(b2, r62);
            FloatVector a7 = FloatVector.broadcast(S, a[ao + 7]);
            r70 = a7.fma(b0, r70);
            r71 = a7.fma(b1, r71);
            r72 = a7.fma(b2, r72);
        }
        r00.intoArray(c, cOff + 0 * ldc);
        r01.intoArray(c, cOff + 0 * ldc + L);
        r02.intoArray(c, cOff + 0 * ldc + 2 * L);
        r10.intoArray(c, cOff + 1 * ldc);
        r11.intoArray(c, cOff + 1 * ldc + L);
        r12.intoArray(c, cOff + 1 * ldc + 2 * L);
        r20.intoArray(c, cOff + 2 * ldc);
        r21.intoArray(c, cOff + 2 * ldc + L);
        r22.intoArray(c, cOff + 2 * ldc + 2 * L);
        r30.intoArray(c, cOff + 3 * ldc);
        r31.intoArray(c, cOff + 3 * ldc + L);
        r32.intoArray(c, cOff + 3 * ldc + 2 * L);
        r40.intoArray(c, cOff + 4 * ldc);
        r41.intoArray(c, cOff + 4 * ldc + L);
        r42.intoArray(c, cOff + 4 * ldc + 2 * L);
        r50.intoArray(c, cOff + 5 * ldc);
        r51.intoArray(c, cOff + 5 * ldc + L);
        r52.intoArray(c, cOff + 5 * ldc + 2 * L);
        r60.intoArray(c, cOff + 6 * ldc);
        r61.intoArray(c, cOff + 6 * ldc + L);
        r62.intoArray(c, cOff + 6 * ldc + 2 * L);
        r70.intoArray(c, cOff + 7 * ldc);
        r71.intoArray(c, cOff + 7 * ldc + L);
        r72.intoArray(c, cOff + 7 * ldc + 2 * L);
    }

    /**
     * Lane i takes lane 2i mod L: the even lanes of a vector, in its lower half and again in its upper half (a
     * one-vector rearrange; JDK 17 runs the two-vector form, and masked loads, far slower).
     */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> (2 * i) % L);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> (2 * i + 1) % L);
    /** The upper half of the lanes. */
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(S, -1L << (L / 2));

    /** L ones then L zeros: the int mask keeping lanes [0, w) is the L lanes from index L - w. */
    private static final int[] KEEP = keepMasks();
    private static final VectorSpecies<Integer> INTS = S.withLanes(int.class);

    private static int[] keepMasks() {
        int[] m = new int[2 * L];
        java.util.Arrays.fill(m, 0, L, -1);
        return m;
    }

    @Override
    public void padRows(float[] x, int xOff, int rows, int w, float[] dst, int dOff, int dStride) {
        int r = 0;
        if (w < L) {
            // one load per row, the lanes past w cleared (a bitwise and: the values' bits unchanged), one store: the
            // zeros land in the padding or in later rows' interiors (short rows: an arraycopy call each costs more)
            IntVector keep = IntVector.fromArray(INTS, KEEP, L - w);
            for (; r < rows && xOff + r * w + L <= x.length && dOff + r * dStride + L <= dst.length; r++) {
                ((IntVector) FloatVector.fromArray(S, x, xOff + r * w).reinterpretAsInts()).and(keep)
                        .reinterpretAsFloats().intoArray(dst, dOff + r * dStride);
            }
        }
        for (; r < rows; r++) {
            System.arraycopy(x, xOff + r * w, dst, dOff + r * dStride, w);
        }
    }

    @Override
    public void packRows(float[] src, int sOff, int sStride, int rows, int cols, float[] y, int yOff) {
        int r = 0;
        if (cols < L) {
            // whole-vector stores while they end inside the run (their junk lanes are overwritten by the next rows)
            for (; r < rows && r * cols + L <= rows * cols && sOff + r * sStride + L <= src.length; r++) {
                FloatVector.fromArray(S, src, sOff + r * sStride).intoArray(y, yOff + r * cols);
            }
        }
        for (; r < rows; r++) {
            System.arraycopy(src, sOff + r * sStride, y, yOff + r * cols, cols);
        }
    }

    /** L pairs from x[src ..]: the even values to even[eOff ..], the odd ones to odd[oOff ..]. */
    private static void deinterleaveVector(float[] x, int src, float[] even, int eOff, float[] odd, int oOff) {
        FloatVector lo = FloatVector.fromArray(S, x, src);
        FloatVector hi = FloatVector.fromArray(S, x, src + L);
        lo.rearrange(EVEN).blend(hi.rearrange(EVEN), HIGH_HALF).intoArray(even, eOff);
        lo.rearrange(ODD).blend(hi.rearrange(ODD), HIGH_HALF).intoArray(odd, oOff);
    }

    @Override
    public void deinterleave(int n, float[] x, int src, float[] even, int eOff, float[] odd, int oOff) {
        int i = 0;
        // two loads, then each phase's lanes of both by a permute and a blend
        for (; i + L <= n && src + 2 * L <= x.length; i += L, src += 2 * L) {
            deinterleaveVector(x, src, even, eOff + i, odd, oOff + i);
        }
        if (i < n && n >= L && src + 2 * L <= x.length + 2 * (i + L - n)) {
            // the last L pairs again, overlapping the ones done: the same values, no scalar tail
            deinterleaveVector(x, src - 2 * (i + L - n), even, eOff + n - L, odd, oOff + n - L);
            return;
        }
        for (; i < n; i++, src += 2) {
            even[eOff + i] = x[src];
            odd[oOff + i] = x[src + 1];
        }
    }

    @Override
    public void gather(int n, float[] x, int src, int stride, float[] dst, int d) {
        int i = 0;
        if (stride == 2) {
            // two loads and one two-vector rearrange per L values, while the odd lane past the last value read is
            // still inside x
            for (; i + L <= n && src + 2 * L <= x.length; i += L, src += 2 * L) {
                FloatVector lo = FloatVector.fromArray(S, x, src);
                FloatVector hi = FloatVector.fromArray(S, x, src + L);
                lo.rearrange(EVEN).blend(hi.rearrange(EVEN), HIGH_HALF).intoArray(dst, d + i);
            }
        }
        for (; i < n; i++, src += stride) {
            dst[d + i] = x[src];
        }
    }

    @Override
    public void taps(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out, int outOff) {
        taps(len, x, xBase, tapOff, w, wOff, nTaps, out, outOff, false);
    }

    @Override
    public void tapsToScratch(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out,
                              int outOff) {
        taps(len, x, xBase, tapOff, w, wOff, nTaps, out, outOff, true);
    }

    private static void taps(int len, float[] x, int xBase, int[] tapOff, float[] w, int wOff, int nTaps, float[] out,
                             int outOff, boolean scratch) {
        int t = 0;
        // eight independent accumulators per pass: each runs a chain of nTaps FMAs, and two FMA pipes of
        // latency 4 need eight chains in flight (four left the depthwise kernels latency-bound at half the peak)
        for (; t + 8 * L <= len; t += 8 * L) {
            FloatVector s0 = FloatVector.zero(S);
            FloatVector s1 = s0;
            FloatVector s2 = s0;
            FloatVector s3 = s0;
            FloatVector s4 = s0;
            FloatVector s5 = s0;
            FloatVector s6 = s0;
            FloatVector s7 = s0;
            for (int i = 0; i < nTaps; i++) {
                FloatVector wv = FloatVector.broadcast(S, w[wOff + i]);
                int xo = xBase + tapOff[i] + t;
                s0 = wv.fma(FloatVector.fromArray(S, x, xo), s0);
                s1 = wv.fma(FloatVector.fromArray(S, x, xo + L), s1);
                s2 = wv.fma(FloatVector.fromArray(S, x, xo + 2 * L), s2);
                s3 = wv.fma(FloatVector.fromArray(S, x, xo + 3 * L), s3);
                s4 = wv.fma(FloatVector.fromArray(S, x, xo + 4 * L), s4);
                s5 = wv.fma(FloatVector.fromArray(S, x, xo + 5 * L), s5);
                s6 = wv.fma(FloatVector.fromArray(S, x, xo + 6 * L), s6);
                s7 = wv.fma(FloatVector.fromArray(S, x, xo + 7 * L), s7);
            }
            s0.intoArray(out, outOff + t);
            s1.intoArray(out, outOff + t + L);
            s2.intoArray(out, outOff + t + 2 * L);
            s3.intoArray(out, outOff + t + 3 * L);
            s4.intoArray(out, outOff + t + 4 * L);
            s5.intoArray(out, outOff + t + 5 * L);
            s6.intoArray(out, outOff + t + 6 * L);
            s7.intoArray(out, outOff + t + 7 * L);
        }
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
        if (scratch && t < len && outOff + t + L <= out.length && xBase + maxOf(tapOff, nTaps) + t + L <= x.length) {
            // the last partial vector in whole lanes, as the scalar loop below computes each output (a product,
            // then a sum: no fma, so every lane has the bits of s += w * x); the lanes past len are junk in scratch
            FloatVector s0 = FloatVector.zero(S);
            for (int i = 0; i < nTaps; i++) {
                s0 = s0.add(FloatVector.broadcast(S, w[wOff + i]).mul(FloatVector.fromArray(S, x, xBase + tapOff[i] + t)));
            }
            s0.intoArray(out, outOff + t);
            return;
        }
        for (; t < len; t++) {
            float s = 0f;
            for (int i = 0; i < nTaps; i++) {
                s += w[wOff + i] * x[xBase + tapOff[i] + t];
            }
            out[outOff + t] = s;
        }
    }

    private static int maxOf(int[] a, int n) {
        int m = 0;
        for (int i = 0; i < n; i++) {
            m = Math.max(m, a[i]);
        }
        return m;
    }

    @Override
    public void tapDots(int len, float[] a, int aOff, float[] x, int xBase, int[] tapOff, int nTaps, float[] out,
                        int outOff) {
        int i = 0;
        for (; i + 4 <= nTaps; i += 4) {
            VectorTapKernels.dots4(len, a, aOff, x, xBase + tapOff[i], xBase + tapOff[i + 1], xBase + tapOff[i + 2],
                    xBase + tapOff[i + 3], out, outOff + i);
        }
        for (; i < nTaps; i++) {
            out[outOff + i] += dot(len, a, aOff, x, xBase + tapOff[i]);
        }
    }

    @Override
    public void tapDots3x3(int len, float[] d, int dOff, int ds, float[] x, int xOff, int xs, float[] acc, int accOff) {
        VectorTapKernels.dots3x3(len, d, dOff, ds, x, xOff, xs, acc, accOff);
    }

    @Override
    public void dotTileLanes(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] acc,
                             int accOff) {
        if (DOT_ONE_PASS) {
            dotLanes4x4(len, a, aOff, lda, b, bOff, bIdx, acc, accOff);
            return;
        }
        int b0 = bOff[bIdx + 0];
        int b1 = bOff[bIdx + 1];
        int b2 = bOff[bIdx + 2];
        int b3 = bOff[bIdx + 3];
        for (int t0 = 0; t0 < len; t0 += DOT_CHUNK) {
            int t1 = Math.min(len, t0 + DOT_CHUNK);
            dotLanes2x4(t0, t1, a, aOff, lda, b, b0, b1, b2, b3, acc, accOff);
            dotLanes2x4(t0, t1, a, aOff + 2 * lda, lda, b, b0, b1, b2, b3, acc, accOff + 8 * L);
        }
    }

    /** Rows 0-1 of a lane block over [t0, t1): 8 accumulators, 4 B and 1 A vector (13 of 16 registers). */
    private static void dotLanes2x4(int t0, int t1, float[] a, int aOff, int lda, float[] b, int b0, int b1, int b2,
                                   int b3, float[] acc, int accOff) {
        int a0 = aOff;
        int a1 = aOff + lda;
        FloatVector s00 = FloatVector.zero(S);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        for (int t = t0; t < t1; t += L) {
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
        }
        s00.add(FloatVector.fromArray(S, acc, accOff + 0 * L)).intoArray(acc, accOff + 0 * L);
        s01.add(FloatVector.fromArray(S, acc, accOff + 1 * L)).intoArray(acc, accOff + 1 * L);
        s02.add(FloatVector.fromArray(S, acc, accOff + 2 * L)).intoArray(acc, accOff + 2 * L);
        s03.add(FloatVector.fromArray(S, acc, accOff + 3 * L)).intoArray(acc, accOff + 3 * L);
        s10.add(FloatVector.fromArray(S, acc, accOff + 4 * L)).intoArray(acc, accOff + 4 * L);
        s11.add(FloatVector.fromArray(S, acc, accOff + 5 * L)).intoArray(acc, accOff + 5 * L);
        s12.add(FloatVector.fromArray(S, acc, accOff + 6 * L)).intoArray(acc, accOff + 6 * L);
        s13.add(FloatVector.fromArray(S, acc, accOff + 7 * L)).intoArray(acc, accOff + 7 * L);
    }

    private static void dotLanes4x4(int len, float[] a, int aOff, int lda, float[] b, int[] bOff, int bIdx, float[] acc,
                                   int accOff) {
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
        s00.add(FloatVector.fromArray(S, acc, accOff + 0 * L)).intoArray(acc, accOff + 0 * L);
        s01.add(FloatVector.fromArray(S, acc, accOff + 1 * L)).intoArray(acc, accOff + 1 * L);
        s02.add(FloatVector.fromArray(S, acc, accOff + 2 * L)).intoArray(acc, accOff + 2 * L);
        s03.add(FloatVector.fromArray(S, acc, accOff + 3 * L)).intoArray(acc, accOff + 3 * L);
        s10.add(FloatVector.fromArray(S, acc, accOff + 4 * L)).intoArray(acc, accOff + 4 * L);
        s11.add(FloatVector.fromArray(S, acc, accOff + 5 * L)).intoArray(acc, accOff + 5 * L);
        s12.add(FloatVector.fromArray(S, acc, accOff + 6 * L)).intoArray(acc, accOff + 6 * L);
        s13.add(FloatVector.fromArray(S, acc, accOff + 7 * L)).intoArray(acc, accOff + 7 * L);
        s20.add(FloatVector.fromArray(S, acc, accOff + 8 * L)).intoArray(acc, accOff + 8 * L);
        s21.add(FloatVector.fromArray(S, acc, accOff + 9 * L)).intoArray(acc, accOff + 9 * L);
        s22.add(FloatVector.fromArray(S, acc, accOff + 10 * L)).intoArray(acc, accOff + 10 * L);
        s23.add(FloatVector.fromArray(S, acc, accOff + 11 * L)).intoArray(acc, accOff + 11 * L);
        s30.add(FloatVector.fromArray(S, acc, accOff + 12 * L)).intoArray(acc, accOff + 12 * L);
        s31.add(FloatVector.fromArray(S, acc, accOff + 13 * L)).intoArray(acc, accOff + 13 * L);
        s32.add(FloatVector.fromArray(S, acc, accOff + 14 * L)).intoArray(acc, accOff + 14 * L);
        s33.add(FloatVector.fromArray(S, acc, accOff + 15 * L)).intoArray(acc, accOff + 15 * L);
    }

    @Override
    public int depthwiseLanes() {
        return VectorTranspose.inRegisters() ? L : 0;
    }

    @Override
    public void transpose(float[] x, int xOff, int xStride, float[] d, int dOff, int[] rows, int rowsOff) {
        VectorTranspose.transpose(x, xOff, xStride, d, dOff, rows, rowsOff);
    }

    @Override
    public void depthwiseRow(int ow, int fusedEnd, float[] x, int xOff, int colStep, int[] tapOff, int nTaps, int kw,
                             float[] w, float[] bias, int bOff, float[] out, int outOff) {
        VectorDepthwiseKernels.row(ow, fusedEnd, x, xOff, colStep, tapOff, nTaps, kw, w, bias, bOff, out, outOff);
    }

    @Override
    public int lanes() {
        return L;
    }

    @Override
    public void laneRowDots(int channels, int cols, float[] x, int xOff, int xStride, float[] d, int dOff, float[] acc,
                            int accOff, int accStride) {
        switch (channels) {
            case 3:
                VectorLaneKernels.rowDots3(cols, x, xOff, xStride, d, dOff, acc, accOff, accStride);
                break;
            case 2:
                VectorLaneKernels.rowDots2(cols, x, xOff, xStride, d, dOff, acc, accOff, accStride);
                break;
            case 1:
                VectorLaneKernels.rowDots1(cols, x, xOff, d, dOff, acc, accOff);
                break;
            default:
                throw new IllegalArgumentException("laneRowDots takes 1 to 3 channels, got " + channels);
        }
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

    @Override
    public void dots(int len, float[] w, int wOff, float[] x, int xOff, int xStride, int count, float[] out, int outOff,
                     int outStride) {
        int i = 0;
        for (; i + 2 <= count; i += 2) {
            dotPair(len, w, wOff, x, xOff + i * xStride, xOff + (i + 1) * xStride, out, outOff + i * outStride,
                    outOff + (i + 1) * outStride);
        }
        if (i < count) {
            out[outOff + i * outStride] = dot(len, w, wOff, x, xOff + i * xStride);
        }
    }

    /** {@link #dot} of w against two inputs at once, the same operations per input: each weight vector loaded once. */
    private static void dotPair(int len, float[] w, int wOff, float[] x, int xa, int xb, float[] out, int oa, int ob) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = a0;
        FloatVector a2 = a0;
        FloatVector a3 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        FloatVector b2 = a0;
        FloatVector b3 = a0;
        int t = 0;
        for (; t + 4 * L <= len; t += 4 * L) {
            FloatVector w0 = FloatVector.fromArray(S, w, wOff + t);
            FloatVector w1 = FloatVector.fromArray(S, w, wOff + t + L);
            FloatVector w2 = FloatVector.fromArray(S, w, wOff + t + 2 * L);
            FloatVector w3 = FloatVector.fromArray(S, w, wOff + t + 3 * L);
            a0 = w0.fma(FloatVector.fromArray(S, x, xa + t), a0);
            a1 = w1.fma(FloatVector.fromArray(S, x, xa + t + L), a1);
            a2 = w2.fma(FloatVector.fromArray(S, x, xa + t + 2 * L), a2);
            a3 = w3.fma(FloatVector.fromArray(S, x, xa + t + 3 * L), a3);
            b0 = w0.fma(FloatVector.fromArray(S, x, xb + t), b0);
            b1 = w1.fma(FloatVector.fromArray(S, x, xb + t + L), b1);
            b2 = w2.fma(FloatVector.fromArray(S, x, xb + t + 2 * L), b2);
            b3 = w3.fma(FloatVector.fromArray(S, x, xb + t + 3 * L), b3);
        }
        for (; t + L <= len; t += L) {
            FloatVector w0 = FloatVector.fromArray(S, w, wOff + t);
            a0 = w0.fma(FloatVector.fromArray(S, x, xa + t), a0);
            b0 = w0.fma(FloatVector.fromArray(S, x, xb + t), b0);
        }
        float sa = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        float sb = b0.add(b1).add(b2.add(b3)).reduceLanes(VectorOperators.ADD);
        for (; t < len; t++) {
            sa += w[wOff + t] * x[xa + t];
            sb += w[wOff + t] * x[xb + t];
        }
        out[oa] = sa;
        out[ob] = sb;
    }

    private static String isaName() {
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64")) {
            return S.vectorBitSize() == 128 ? "aarch64 NEON" : "aarch64 SVE";
        }
        int avx = useAvx();
        if (avx >= 3 && S.vectorBitSize() == 512) {
            return "AVX-512";
        }
        if (avx >= 3) {
            return "AVX-512VL at " + S.vectorBitSize() + " bits";
        }
        if (avx >= 2 && S.vectorBitSize() == 256) {
            return "AVX2";
        }
        return (avx > 0 ? "AVX" + (avx == 1 ? "" : avx) : "SSE") + " at " + S.vectorBitSize() + " bits";
    }

    /**
     * The vector registers C2 allocates on this machine: on x86-64 32 (zmm/ymm/xmm0-31) with AVX-512
     * (the JVM's UseAVX flag, which it lowers to what the CPU supports, is 3), else 16; 32 on aarch64.
     * {@code -Dlayers4j.cpu.vectorRegisters=16|32} overrides it.
     */
    private static int vectorRegisters() {
        String forced = System.getProperty("layers4j.cpu.vectorRegisters");
        if (forced != null) {
            return Integer.parseInt(forced.trim());
        }
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64")) {
            return 32;
        }
        if (arch.equals("amd64") || arch.equals("x86_64")) {
            return useAvx() >= 3 ? 32 : 16;
        }
        return 16;
    }

    /** HotSpot's UseAVX (0-3), or -1 when it cannot be read (another VM, jdk.management absent). */
    private static int useAvx() {
        try {
            return Integer.parseInt(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("UseAVX").getValue());
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }
}
