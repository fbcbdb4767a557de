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
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        int oh = g.outH();
        int ow = g.outW();
        int blk = kn.dotBlockLength();
        BandLayout lay = new BandLayout(g, Math.max(kn.nr(), blk), 1);
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
            for (int img = 0; img < g.n(); img++) {
                int xOff = (img * g.c() + grp * cg) * g.h() * g.w();
                int dyOff = (img * g.k() + grp * kg) * oh * ow;
                for (int band = 0; band < lay.bands; band++) {
                    int oh0 = band * lay.bandRows;
                    int rows = Math.min(lay.bandRows, oh - oh0);
                    for (int cb = 0; cb < lay.colBands; cb++) {
                        int ow0 = cb * lay.colTile;
                        int cols = Math.min(lay.colTile, ow - ow0);
                        float[] buf = lay.fill(ws, x, xOff, oh0, ow0, c0, c1);
                        int qLen = (rows - 1) * lay.wq + cols;
                        float[] dq = ws.floats(Workspace.Slot.PLANE2, kg * qLen);
                        layOutGradient(dy, dyOff + oh0 * ow + ow0, oh * ow, ow, kg, rows, cols, lay.wq, qLen, dq);
                        accumulate(dq, qLen, kg, buf, rowOff, j0, j1, dw, dwBase, kd);
                    }
                }
            }
        });
    }

    /** dq[k][r*wq + c] = dy[k][r][c] for the band's rows and columns, junk columns zero. */
    private static void layOutGradient(float[] dy, int off, int plane, int ow, int kg, int rows, int cols, int wq,
                                       int qLen, float[] dq) {
        for (int k = 0; k < kg; k++) {
            int d = k * qLen;
            for (int r = 0; r < rows; r++) {
                System.arraycopy(dy, off + k * plane + r * ow, dq, d + r * wq, cols);
                int end = Math.min(qLen, (r + 1) * wq);
                for (int j = r * wq + cols; j < end; j++) {
                    dq[d + j] = 0f;
                }
            }
        }
    }

    /** dw[k][j] += dot(dq[k], band row j) for k in [0, kg), j in [j0, j1): 4 x 4 vector blocks plus edges. */
    private void accumulate(float[] dq, int qLen, int kg, float[] buf, int[] rowOff, int j0, int j1, float[] dw,
                            int dwBase, int kd) {
        int vLen = qLen / kn.dotBlockLength() * kn.dotBlockLength();
        int k4 = kg / 4 * 4;
        int j4 = j0 + (j1 - j0) / 4 * 4;
        for (int kb = 0; kb < k4; kb += 4) {
            for (int jb = j0; jb < j4; jb += 4) {
                kn.dotTile(vLen, dq, kb * qLen, qLen, buf, rowOff, jb, dw, dwBase + kb * kd + jb, kd);
            }
        }
        // what the 4 x 4 vector blocks left: the tail of each dot, and the edge rows and columns
        scalar(dq, qLen, buf, rowOff, 0, k4, j0, j4, vLen, qLen, dw, dwBase, kd);
        scalar(dq, qLen, buf, rowOff, 0, kg, j4, j1, 0, qLen, dw, dwBase, kd);
        scalar(dq, qLen, buf, rowOff, k4, kg, j0, j4, 0, qLen, dw, dwBase, kd);
    }

    private static void scalar(float[] dq, int qLen, float[] buf, int[] rowOff, int k0, int k1, int j0, int j1,
                               int from, int to, float[] dw, int dwBase, int kd) {
        if (from >= to) {
            return;
        }
        for (int k = k0; k < k1; k++) {
            for (int j = j0; j < j1; j++) {
                float s = 0f;
                int b = rowOff[j];
                for (int t = from; t < to; t++) {
                    s += dq[k * qLen + t] * buf[b + t];
                }
                dw[dwBase + k * kd + j] += s;
            }
        }
    }
}
