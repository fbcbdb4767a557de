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
    /** Planes of at most a tile share a GEMM across images up to about this many columns ({@link #batched}). */
    static final int BATCH_COLUMNS = 512;

    private final Kernels kn;
    private final ParallelRunner runner;

    private final boolean batching;

    Col2imBackwardData(Kernels kn, ParallelRunner runner) {
        this(kn, runner, true);
    }

    /** batching false: one image per GEMM everywhere (tests compare {@link #batched} with it). */
    Col2imBackwardData(Kernels kn, ParallelRunner runner, boolean batching) {
        this.kn = kn;
        this.runner = runner;
        this.batching = batching;
    }

    /** Whether this geometry takes {@link #batched}. */
    boolean batches(ConvGeometry g) {
        int plane = g.outH() * g.outW();
        return batching && plane <= COL2IM_TILE && batchSize(g) > 1 && batchedPacksLess(g, batchBlocks(g));
    }

    /** Images per GEMM of {@link #batched}: as many as fit {@link #BATCH_COLUMNS} columns, at least one. */
    private static int batchSize(ConvGeometry g) {
        return Math.min(g.n(), Math.max(1, BATCH_COLUMNS / Math.max(1, g.outH() * g.outW())));
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
        if (batches(g)) {
            batched(g, dy, w, dx, batchSize(g), u, phased, contiguous, wqs, phasedPlane);
            return;
        }
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
                    col2imPhased(u, cols, 0, nc, nc, rows, j0, acc, phased ? 0 : chanBase, wqs);
                } else {
                    col2imStrided(u, cols, 0, nc, nc, rows, j0, dx, chanBase);
                }
            }
            if (phased) {
                interleave(u, acc, c1 - c0, wqs, dx, chanBase);
            }
        });
    }

    /** Channel blocks per group of {@link #batched}: two tasks per thread over the groups. */
    private int batchBlocks(ConvGeometry g) {
        return Math.max(1, Math.min(g.cPerGroup(), (2 * runner.threads() + g.groups() - 1) / g.groups()));
    }

    /**
     * Whether {@link #batched} packs at most half the floats of one image per GEMM: there every image packs its
     * group's kd x kg of W^T; batched, each group packs W^T once and each of its channel blocks packs every image's
     * kg x plane of dy (ResNet's stride-2 3 x 3 into 7 x 7: 9216 against 3872 floats per output channel).
     */
    static boolean batchedPacksLess(ConvGeometry g, int blocks) {
        long kd = (long) g.cPerGroup() * g.kh() * g.kw();
        long oneImage = g.n() * kd;
        long batched = kd + (long) blocks * g.n() * g.outH() * g.outW();
        return 2 * batched <= oneImage;
    }

    /**
     * Planes of at most one column tile, several images per GEMM: each task owns a block of input channels of one
     * group over the whole batch, packs its rows of W^T once per depth block for {@code batch} images' columns
     * side by side (one image per GEMM packed all of W^T for as few as 49 columns), then scatters each image's
     * columns as the one-image tile would. A column's dot products run over the same depth blocks in the same
     * order whichever columns share its GEMM, and every dx element receives the same additions in the same order,
     * so the results are those of one image at a time.
     */
    private void batched(ConvGeometry g, float[] dy, float[] w, float[] dx, int batch, Packers.Unfold u,
                         boolean phased, boolean contiguous, int wqs, int phasedPlane) {
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        int plane = g.outH() * g.outW();
        int hw = g.h() * g.w();
        int blocks = batchBlocks(g);
        runner.run(groups * blocks, idx -> {
            int b = idx % blocks;
            int grp = idx / blocks;
            int c0 = b * cg / blocks;
            int c1 = (b + 1) * cg / blocks;
            int rows = (c1 - c0) * kk;
            Workspace ws = Workspace.get();
            float[] cols = ws.floats(Workspace.Slot.COLUMNS, rows * batch * plane);
            float[] acc = phased ? ws.floats(Workspace.Slot.PLANE2, (c1 - c0) * phasedPlane) : dx;
            Packers.TransposedA a = new Packers.TransposedA(w, grp * kg * kd + c0 * kk, kd, rows);
            for (int img0 = 0; img0 < g.n(); img0 += batch) {
                int count = Math.min(batch, g.n() - img0);
                int nc = count * plane;
                Gemm.multiply(kn, ws, rows, nc, kg, a,
                        new Packers.ImagesB(dy, (img0 * g.k() + grp * kg) * plane, plane, g.k() * plane, plane),
                        cols, 0, nc, false);
                for (int i = 0; i < count; i++) {
                    int chanBase = ((img0 + i) * g.c() + grp * cg + c0) * hw;
                    if (phased) {
                        Arrays.fill(acc, 0, (c1 - c0) * phasedPlane, 0f);
                    } else {
                        Arrays.fill(dx, chanBase, chanBase + (c1 - c0) * hw, 0f);
                    }
                    if (contiguous) {
                        col2imPhased(u, cols, i * plane, nc, plane, rows, 0, acc, phased ? 0 : chanBase, wqs);
                    } else {
                        col2imStrided(u, cols, i * plane, nc, plane, rows, 0, dx, chanBase);
                    }
                    if (phased) {
                        interleave(u, acc, c1 - c0, wqs, dx, chanBase);
                    }
                }
            }
        });
    }

    /**
     * dx[c][ih][iw] += cols[r][p] for every unfolded row r = (c, kh, kw) and column p of the tile, element by element:
     * the strides too large for phased rows ({@link ConvEngine#hugeStride}), where runs are one or two outputs.
     */
    private static void col2imStrided(Packers.Unfold u, float[] cols, int colOff, int ld, int nc, int rows, int j0,
                                      float[] dx, int chanBase) {
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
                    int src = colOff + r * ld + (p - j0);
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
    private void col2imPhased(Packers.Unfold u, float[] cols, int colOff, int ld, int nc, int rows, int j0,
                              float[] acc, int base, int wqs) {
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
                        kn.axpy(hi - lo, 1f, cols, colOff + r * ld + (p - j0) + lo, acc,
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
