package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * Backward data for any geometry: per column tile of the output positions, dcol = W^T dy by GEMM ({@link Gemm}),
 * then each unfolded row of dcol is scatter-added into dx (col2im). At unit width stride a row's run of
 * positions lands on a contiguous run of an input row (a vector axpy). At width stride sw > 1 the same run lands
 * on every sw-th element; the task then accumulates into its channels' input rows split into sw phases
 * (element iw = j*sw + b at phase b, position j), where the run is contiguous again, and interleaves the phases
 * into dx once at the end — one scatter for both, the unit stride being the one-phase case. Each element
 * receives the same additions in the same order either way, so the layouts give identical results. Tasks own whole input channels, so their scatter-adds never overlap.
 */
final class Col2imBackwardData {
    /** Width of a column tile (col2im runs on it while it is in cache). */
    private static final int COL2IM_TILE = 256;

    private final Kernels kn;
    private final ParallelRunner runner;

    Col2imBackwardData(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    void backwardData(ConvGeometry g, float[] dy, float[] w, float[] dx) {
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        int plane = g.outH() * g.outW();
        int hw = g.h() * g.w();
        int outer = g.n() * groups;
        int blocks = Math.max(1, Math.min(cg, (4 * runner.threads() + outer - 1) / outer));
        Packers.Unfold u = new Packers.Unfold(g);
        // phases only for strides of polyphase size: a row of sw phases holds sw * ceil(w / sw) < w + sw floats;
        // at sw = 1 the single phase is dx's own row layout, so the task scatters into dx directly
        boolean phased = g.strideW() > 1 && !ConvEngine.hugeStride(g);
        boolean contiguous = g.strideW() == 1 || phased;
        int wqs = (g.w() + g.strideW() - 1) / g.strideW();
        int phasedPlane = g.h() * g.strideW() * wqs;
        runner.run(outer * blocks, idx -> {
            int b = idx % blocks;
            int ng = idx / blocks;
            int grp = ng % groups;
            int img = ng / groups;
            int c0 = b * cg / blocks;
            int c1 = (b + 1) * cg / blocks;
            int rows = (c1 - c0) * kk;
            int chanBase = (img * g.c() + grp * cg + c0) * hw;
            Workspace ws = Workspace.get();
            float[] acc;
            if (phased) {
                acc = ws.floats(Workspace.Slot.PLANE2, (c1 - c0) * phasedPlane);
                Arrays.fill(acc, 0, (c1 - c0) * phasedPlane, 0f);
            } else {
                acc = dx;
                Arrays.fill(dx, chanBase, chanBase + (c1 - c0) * hw, 0f);
            }
            float[] cols = ws.floats(Workspace.Slot.COLUMNS, rows * Math.min(COL2IM_TILE, plane));
            Packers.TransposedA a = new Packers.TransposedA(w, grp * kg * kd + c0 * kk, kd, rows);
            for (int j0 = 0; j0 < plane; j0 += COL2IM_TILE) {
                int nc = Math.min(COL2IM_TILE, plane - j0);
                Gemm.multiply(kn, ws, rows, nc, kg, a,
                        new Packers.MatrixB(dy, (img * g.k() + grp * kg) * plane + j0, plane),
                        cols, 0, nc, false);
                if (contiguous) {
                    col2imPhased(u, cols, nc, rows, j0, acc, phased ? 0 : chanBase, wqs);
                } else {
                    col2imStrided(u, cols, nc, rows, j0, dx, chanBase);
                }
            }
            if (phased) {
                interleave(u, acc, c1 - c0, wqs, dx, chanBase);
            }
        });
    }

    /**
     * dx[c][ih][iw] += cols[r][p] for every unfolded row r = (c, kh, kw) and column p of the tile, element by element:
     * the strides too large for phased rows ({@link ConvEngine#hugeStride}), where runs are one or two outputs.
     */
    private static void col2imStrided(Packers.Unfold u, float[] cols, int nc, int rows, int j0, float[] dx,
                                      int chanBase) {
        for (int r = 0; r < rows; r++) {
            int c = r / u.kk;
            int rem = r - c * u.kk;
            int kh = rem / u.kw;
            int kw = rem - kh * u.kw;
            int chan = chanBase + c * u.h * u.w;
            int hShift = kh * u.dh - u.ph;
            int wShift = kw * u.dw - u.pw;
            int p = j0;
            int end = j0 + nc;
            int oh = p / u.ow;
            int ow = p - oh * u.ow;
            while (p < end) {
                int run = Math.min(u.ow - ow, end - p);
                int ih = oh * u.sh + hShift;
                if (ih >= 0 && ih < u.h) {
                    int row = chan + ih * u.w;
                    int src = r * nc + (p - j0);
                    for (int t = 0; t < run; t++) {
                        int iw = (ow + t) * u.sw + wShift;
                        if (iw >= 0 && iw < u.w) {
                            dx[row + iw] += cols[src + t];
                        }
                    }
                }
                p += run;
                oh++;
                ow = 0;
            }
        }
    }

    /**
     * The col2im scatter-add into phased rows: acc[base + ((c*h + ih)*sw + b)*wqs + j] holds dx[c][ih][j*sw + b]
     * (at sw = 1, wqs = w: dx's own layout). Output column ow + t of tap wShift = jShift*sw + b lands on phase b,
     * position ow + t + jShift: a contiguous run per row, one vector axpy.
     */
    private void col2imPhased(Packers.Unfold u, float[] cols, int nc, int rows, int j0, float[] acc, int base,
                              int wqs) {
        for (int r = 0; r < rows; r++) {
            int c = r / u.kk;
            int rem = r - c * u.kk;
            int kh = rem / u.kw;
            int kw = rem - kh * u.kw;
            int hShift = kh * u.dh - u.ph;
            int wShift = kw * u.dw - u.pw;
            int phase = Math.floorMod(wShift, u.sw);
            int jShift = Math.floorDiv(wShift, u.sw);
            // positions j of this phase inside the input row: j*sw + phase < w
            int jLimit = (u.w - phase + u.sw - 1) / u.sw;
            int chan = base + c * u.h * u.sw * wqs;
            int p = j0;
            int end = j0 + nc;
            int oh = p / u.ow;
            int ow = p - oh * u.ow;
            while (p < end) {
                int run = Math.min(u.ow - ow, end - p);
                int ih = oh * u.sh + hShift;
                if (ih >= 0 && ih < u.h) {
                    int j = ow + jShift;
                    int lo = Math.max(0, Math.min(run, -j));
                    int hi = Math.max(lo, Math.min(run, jLimit - j));
                    if (hi > lo) {
                        kn.axpy(hi - lo, 1f, cols, r * nc + (p - j0) + lo, acc,
                                chan + (ih * u.sw + phase) * wqs + j + lo);
                    }
                }
                p += run;
                oh++;
                ow = 0;
            }
        }
    }

    /** dx[c][ih][j*sw + b] = acc[((c*h + ih)*sw + b)*wqs + j] for the task's channels. */
    private static void interleave(Packers.Unfold u, float[] acc, int channels, int wqs, float[] dx, int chanBase) {
        for (int c = 0; c < channels; c++) {
            for (int ih = 0; ih < u.h; ih++) {
                int dst = chanBase + (c * u.h + ih) * u.w;
                for (int phase = 0; phase < u.sw; phase++) {
                    int src = ((c * u.h + ih) * u.sw + phase) * wqs;
                    for (int j = 0, iw = phase; iw < u.w; j++, iw += u.sw) {
                        dx[dst + iw] = acc[src + j];
                    }
                }
            }
        }
    }
}
