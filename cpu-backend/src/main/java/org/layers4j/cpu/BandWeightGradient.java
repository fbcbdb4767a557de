package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The weight gradient on the same band buffers as the forward ({@link BandLayout}): for a band,
 * dw[k][tap] += sum over q of dy[k][q] * band[rowOffset[tap] + q], where dy is laid out with the band's row
 * stride (junk columns zero). That is a GEMM whose reduction runs along contiguous rows of both operands,
 * so it is computed as 4 x 4 blocks of vector dot products ({@link Kernels#dotTile}) straight from the band
 * and from dy, without any im2col. Tasks own disjoint column ranges of one group's dw (whole taps), loop over
 * images and bands, and fill only the input channels their taps read, so no two threads write the same
 * element and no reduction across threads is needed.
 */
final class BandWeightGradient {
    private final Kernels kn;
    private final ParallelRunner runner;

    BandWeightGradient(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    void backwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        if (g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0
                && g.h() * g.w() % kn.dotBlockLength() == 0) {
            pointwise(g, x, dy, dw);
            return;
        }
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        int oh = g.outH();
        int ow = g.outW();
        int blk = kn.dotBlockLength();
        // every plane is followed by blk zeros: dots run over qLen rounded up to whole vectors, and the
        // rounded-up reads of the last tap of a plane then meet zeros, never another plane's (or call's) data
        BandLayout lay = new BandLayout(g, Math.max(kn.nr(), blk), blk, 1);
        int[] rowOff = lay.rowOffsets();
        int quads = (kd + 3) / 4;
        int perGroup = Math.max(1, Math.min(quads, (2 * runner.threads() + groups - 1) / groups));
        runner.run(groups * perGroup, idx -> {
            int grp = idx / perGroup;
            int t = idx % perGroup;
            int j0 = t * quads / perGroup * 4;
            int j1 = Math.min(kd, (t + 1) * quads / perGroup * 4);
            int c0 = j0 / kk;
            int c1 = (j1 - 1) / kk + 1;
            int dwBase = grp * kg * kd;
            for (int k = 0; k < kg; k++) {
                Arrays.fill(dw, dwBase + k * kd + j0, dwBase + k * kd + j1, 0f);
            }
            Workspace ws = Workspace.get();
            float[] lanes = lanes(ws, kg, j0, j1);
            for (int img = 0; img < g.n(); img++) {
                int xOff = (img * g.c() + grp * cg) * g.h() * g.w();
                int dyOff = (img * g.k() + grp * kg) * oh * ow;
                for (int band = 0; band < lay.bands; band++) {
                    int oh0 = band * lay.bandRows;
                    int rows = Math.min(lay.bandRows, oh - oh0);
                    for (int cb = 0; cb < lay.colBands; cb++) {
                        int ow0 = cb * lay.colTile;
                        int cols = Math.min(lay.colTile, ow - ow0);
                        float[] buf = lay.fill(kn, ws, x, xOff, oh0, ow0, c0, c1);
                        int qLen = (rows - 1) * lay.wq + cols;
                        int qPad = (qLen + blk - 1) / blk * blk;
                        float[] dq = ws.floats(Workspace.Slot.PLANE2, kg * qPad);
                        layOutGradient(dy, dyOff + oh0 * ow + ow0, oh * ow, ow, kg, rows, cols, lay.wq, qPad, dq);
                        accumulate(dq, 0, qPad, qPad, kg, buf, rowOff, j0, j1, dw, dwBase, kd, lanes);
                    }
                }
            }
            reduceLanes(lanes, kg, j0, j1, dw, dwBase, kd);
        });
    }

    /**
     * This task's zeroed buffer of lane partial sums: one block of 16 x dotBlockLength() floats per 4 x 4 block of
     * dw rows [0, kg / 4 * 4) and columns [j0, j0 + (j1 - j0) / 4 * 4), row-block-major. The horizontal sums run
     * once per call ({@link #reduceLanes}), not once per band and image: on small planes (a grouped 14 x 14
     * layer's dots are 28 vectors long) they cost as much as the dots.
     */
    private float[] lanes(Workspace ws, int kg, int j0, int j1) {
        int size = kg / 4 * ((j1 - j0) / 4) * 16 * kn.dotBlockLength();
        float[] lanes = ws.floats(Workspace.Slot.ROW, size);
        Arrays.fill(lanes, 0, size, 0f);
        return lanes;
    }

    /** dw[k][j] += the sum of the lanes of (k, j), for the 4 x 4 blocks of {@link #lanes}. */
    private void reduceLanes(float[] lanes, int kg, int j0, int j1, float[] dw, int dwBase, int kd) {
        int blk = kn.dotBlockLength();
        int k4 = kg / 4 * 4;
        int j4 = j0 + (j1 - j0) / 4 * 4;
        int l = 0;
        for (int kb = 0; kb < k4; kb += 4) {
            for (int jb = j0; jb < j4; jb += 4) {
                for (int e = 0; e < 16; e++, l += blk) {
                    dw[dwBase + (kb + e / 4) * kd + jb + e % 4] += kn.sum(blk, lanes, l);
                }
            }
        }
    }

    /** dq[k][r*wq + c] = dy[k][r][c] for the band's rows and columns; junk columns and the tail to qPad zero. */
    private static void layOutGradient(float[] dy, int off, int plane, int ow, int kg, int rows, int cols, int wq,
                                       int qPad, float[] dq) {
        for (int k = 0; k < kg; k++) {
            int d = k * qPad;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(dy, off + k * plane + r * ow, dq, d + r * wq, cols);
                int end = r == rows - 1 ? qPad : (r + 1) * wq;
                for (int j = r * wq + cols; j < end; j++) {
                    dq[d + j] = 0f;
                }
            }
        }
    }

    /**
     * dw[k][j] += dot(a row k, b row j) over len (a whole number of vectors) for k in [0, kg), j in [j0, j1),
     * a row k at {@code aBase + k*lda}, b row j at {@code bOff[j]}: 4 x 4 vector blocks whose lanes of
     * partial sums accumulate in {@code lanes} (see {@link #lanes}), single vector dots for the edge rows and
     * columns (straight into dw).
     */
    private void accumulate(float[] a, int aBase, int lda, int len, int kg, float[] b, int[] bOff, int j0, int j1,
                            float[] dw, int dwBase, int kd, float[] lanes) {
        int k4 = kg / 4 * 4;
        int j4 = j0 + (j1 - j0) / 4 * 4;
        int block = 16 * kn.dotBlockLength();
        int l = 0;
        for (int kb = 0; kb < k4; kb += 4) {
            for (int jb = j0; jb < j4; jb += 4, l += block) {
                kn.dotTileLanes(len, a, aBase + kb * lda, lda, b, bOff, jb, lanes, l);
            }
        }
        for (int k = 0; k < kg; k++) {
            for (int j = k < k4 ? j4 : j0; j < j1; j++) {
                dw[dwBase + k * kd + j] += kn.dot(len, a, aBase + k * lda, b, bOff[j]);
            }
        }
    }

    /**
     * An unpadded unit-stride 1x1 convolution whose plane is a whole number of vectors: dw = dy x^T per
     * image and group, both operands read in place (no band, no layout copy).
     */
    private void pointwise(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int plane = g.h() * g.w();
        int quads = (cg + 3) / 4;
        int perGroup = Math.max(1, Math.min(quads, (2 * runner.threads() + groups - 1) / groups));
        runner.run(groups * perGroup, idx -> {
            int grp = idx / perGroup;
            int t = idx % perGroup;
            int j0 = t * quads / perGroup * 4;
            int j1 = Math.min(cg, (t + 1) * quads / perGroup * 4);
            int dwBase = grp * kg * cg;
            for (int k = 0; k < kg; k++) {
                Arrays.fill(dw, dwBase + k * cg + j0, dwBase + k * cg + j1, 0f);
            }
            int[] rowOff = new int[cg];
            float[] lanes = lanes(Workspace.get(), kg, j0, j1);
            for (int img = 0; img < g.n(); img++) {
                int xOff = (img * g.c() + grp * cg) * plane;
                for (int c = 0; c < cg; c++) {
                    rowOff[c] = xOff + c * plane;
                }
                accumulate(dy, (img * g.k() + grp * kg) * plane, plane, plane, kg, x, rowOff, j0, j1, dw, dwBase, cg,
                        lanes);
            }
            reduceLanes(lanes, kg, j0, j1, dw, dwBase, cg);
        });
    }
}
