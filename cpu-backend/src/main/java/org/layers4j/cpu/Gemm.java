package org.layers4j.cpu;

/**
 * A single-threaded blocked GEMM driver in the BLIS style: C[m x n] (=|+=) A[m x k] B[k x n], with A and
 * B delivered by packers that write register-friendly panels straight from their source (a transposed
 * weight matrix, a gradient matrix) so that no intermediate matrix is materialized. Used by the strided
 * backward-data path (GEMM into a column tile, then col2im).
 * The depth is cut into blocks of {@link #KC} so a B micro-panel stays in L1 and the packed B block in
 * L2; rows are cut into blocks of {@link #MC}. Threads split the work above this level.
 */
final class Gemm {
    /** Depth block: kc x nr floats of B (32 KiB at nr = 32) is the L1-resident micro-panel. */
    static final int KC = 256;
    /** Row block: mc x kc floats of packed A (128 KiB) stay in L2 while the B panels stream by; rounded down to mr. */
    static final int MC = 128;

    /** Packs rows [i0, i0 + mr) of A, depth [k0, k0 + kc), as {@code dst[off + kk*mr + i]}; rows past m are 0. */
    interface PackA {
        void pack(int i0, int k0, int kc, int mr, float[] dst, int off);
    }

    /**
     * Packs columns [j0, j0 + nc) of B, depth [k0, k0 + kc), as panels of nr columns:
     * {@code dst[off + panel*kc*nr + kk*nr + j]}; columns past nc in the last panel are 0.
     */
    interface PackB {
        void pack(int j0, int nc, int k0, int kc, int nr, float[] dst, int off);
    }

    private Gemm() {
    }

    /**
     * C = A B (or C += A B when {@code accumulate}). C's element (i, j) is {@code c[cOff + i*ldc + j]};
     * only the m x n block is written.
     */
    static void multiply(Kernels kn, Workspace ws, int m, int n, int k, PackA a, PackB b,
                         float[] c, int cOff, int ldc, boolean accumulate) {
        int mr = kn.mr();
        int nr = kn.nr();
        int panels = (n + nr - 1) / nr;
        int kcMax = Math.min(k, KC);
        // a row block must be whole tiles (6-row tiles: 126), or a block's last tile would overlap the next block
        int mcBlock = MC / mr * mr;
        int mcMax = Math.min(roundUp(m, mr), mcBlock);
        float[] bp = ws.floats(Workspace.Slot.PACK_B, panels * nr * kcMax);
        float[] ap = ws.floats(Workspace.Slot.PACK_A, mcMax * kcMax);
        float[] edge = ws.floats(Workspace.Slot.EDGE, mr * nr);
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean acc = accumulate || pc > 0;
            b.pack(0, n, pc, kc, nr, bp, 0);
            for (int ic = 0; ic < m; ic += mcBlock) {
                int mc = Math.min(mcBlock, m - ic);
                int blocks = (mc + mr - 1) / mr;
                for (int ib = 0; ib < blocks; ib++) {
                    a.pack(ic + ib * mr, pc, kc, mr, ap, ib * mr * kc);
                }
                for (int jp = 0; jp < panels; jp++) {
                    int j = jp * nr;
                    int cols = Math.min(nr, n - j);
                    int bOff = jp * kc * nr;
                    for (int ib = 0; ib < blocks; ib++) {
                        int i = ic + ib * mr;
                        int rows = Math.min(mr, m - i);
                        int cPos = cOff + i * ldc + j;
                        if (rows == mr && cols == nr) {
                            kn.tile(kc, ap, ib * mr * kc, bp, bOff, c, cPos, ldc, acc);
                        } else {
                            edgeTile(kn, kc, ap, ib * mr * kc, bp, bOff, c, cPos, ldc, acc, rows, cols, edge);
                        }
                    }
                }
            }
        }
    }

    /** A partial tile at the bottom or right border: computed in full into a scratch tile, copied back in part. */
    private static void edgeTile(Kernels kn, int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cPos,
                                 int ldc, boolean acc, int rows, int cols, float[] edge) {
        int nr = kn.nr();
        if (acc) {
            for (int i = 0; i < rows; i++) {
                System.arraycopy(c, cPos + i * ldc, edge, i * nr, cols);
            }
        }
        kn.tile(kc, ap, aOff, bp, bOff, edge, 0, nr, acc);
        for (int i = 0; i < rows; i++) {
            System.arraycopy(edge, i * nr, c, cPos + i * ldc, cols);
        }
    }

    static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }
}
