package org.layers4j.cpu;

import org.layers4j.spi.ConvGeometry;

/**
 * The forward convolution of small planes as one GEMM over the whole batch: B's columns are the output
 * positions of all images (image-major), packed nr at a time straight from the input (an im2col panel of
 * kd x nr values, zero where a tap falls in the padding), A the packed weights of the band kernels. The band
 * kernels ({@link IndirectConvolution}) compute whole panels of nr positions per band, junk columns
 * included; on a 4 x 4 or 2 x 2 plane most of a panel is junk or past the band (a 3 x 3 kernel on 2 x 2
 * outputs uses 4 of every 32 columns at nr = 32), which is where VGG-style networks spend half of their
 * FLOPs. Across images every column is useful, and each packed value serves all kpad rows of A.
 */
final class Im2colConvolution {
    /**
     * Below this share of useful columns in the band kernels' panels, the batch GEMM is used. 0.8: ResNet's 7 x 7
     * layers (a band there uses 49 of 64 columns) take it on both tile shapes, its 14 x 14 ones (196 of 224) stay on
     * the bands. With the 6-row AVX2 tile the batch GEMM beat the bands on 7 x 7 planes since it was written
     * (ResNet-18's layer4 3 x 3, 512 channels, batch 8: 22.4 -> 19.4 ms); on AVX-512 since its packing reads a
     * zero-bordered copy of the input and its stores run per channel and image (13.1-13.5 against 15.6-17.8 ms,
     * alternating processes, 2 threads), while at 14 x 14 the bands stay ahead (10.0-10.2 against 10.8-11.1).
     */
    static final double MIN_BAND_UTILIZATION = 0.8;
    /** The weights must fill at least this many micro-tile rows to amortize the im2col gather. */
    static final int MIN_ROW_BLOCKS = 4;
    /** Input channels per group below which the position classes' short depth runs are not worth it. */
    static final int MIN_CLASS_CHANNELS = 16;
    /** The position classes are used when they compute at most this share of the plain batch GEMM's FLOPs. */
    static final double MAX_CLASS_COST = 0.9;
    /** Depth block of a micro-kernel call (as in the band kernels). */
    private static final int DEPTH_BLOCK = 1024;

    private final Kernels kn;
    private final ParallelRunner runner;
    private final IndirectConvolution indirect;

    Im2colConvolution(Kernels kn, ParallelRunner runner, IndirectConvolution indirect) {
        this.kn = kn;
        this.runner = runner;
        this.indirect = indirect;
    }

    /** Whether the band kernels would waste more than a fifth of their columns here. */
    boolean prefers(ConvGeometry g) {
        int nr = kn.nr();
        int mr = kn.mr();
        if (Gemm.roundUp(g.kPerGroup(), mr) < MIN_ROW_BLOCKS * mr || g.n() < 2) {
            return false;
        }
        if (g.kh() == 1 && g.kw() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.padH() == 0 && g.padW() == 0) {
            return false; // read in place by the band kernels, no junk columns
        }
        long computed = new BandLayout(g, nr, 0, 1).computedColumns(nr);
        return (double) g.outH() * g.outW() < MIN_BAND_UTILIZATION * computed
                && (long) g.n() * g.outH() * g.outW() <= Integer.MAX_VALUE - nr;
    }

    void forward(ConvGeometry g, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        PositionClasses classes = classes(g);
        if (classes != null) {
            forwardByClass(g, classes, x, w, ep, y);
            return;
        }
        int nr = kn.nr();
        int groups = g.groups();
        int kg = g.kPerGroup();
        int kd = g.cPerGroup() * g.kh() * g.kw();
        RowBlocks blocks = RowBlocks.of(kg, kn);
        int kpad = blocks.kpad();
        int plane = g.outH() * g.outW();
        int positions = g.n() * plane;
        int panels = (positions + nr - 1) / nr;
        float[] a = w.panels(indirect, g, blocks, false);
        float[] padded = padded(g, x);
        int[] taps = padded != null ? paddedTaps(g) : tapOffsets(g);
        // One task per panel and, where the work is small, per half of the weights' row blocks, so that uneven panel
        // counts still share out evenly (13 panels of a batch of 7 x 7 planes on 2 threads: 7 against 6 whole ones);
        // the panels are then packed once, in a pass of their own, for both halves. (Several panels per task, each
        // weight block multiplied with all of them while in L1, ran no faster on either ISA.)
        int threads = runner.threads();
        long packedAll = (long) groups * panels * kd * nr;
        int parts = groups * panels < 8 * threads && packedAll <= MAX_SHARED_PACKED_FLOATS
                ? Math.min(blocks.count(), 2) : 1;
        float[] shared = parts > 1 ? Workspace.get().floats(Workspace.Slot.PACKED_INPUT, (int) packedAll) : null;
        if (shared != null) {
            runner.run(groups * panels, idx -> {
                int j0 = idx % panels * nr;
                packPanel(g, x, padded, idx / panels, j0, Math.min(nr, positions - j0), taps, shared, idx * kd * nr);
            });
        }
        runner.run(groups * panels * parts, idx -> {
            int part = idx % parts;
            int grp = idx / parts / panels;
            int panel = idx / parts % panels;
            int j0 = panel * nr;
            int cols = Math.min(nr, positions - j0);
            int b0 = part * blocks.count() / parts;
            int b1 = (part + 1) * blocks.count() / parts;
            Workspace ws = Workspace.get();
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * nr);
            float[] b = shared;
            int bBase = (grp * panels + panel) * kd * nr;
            if (b == null) {
                b = ws.floats(Workspace.Slot.PACK_B, kd * nr);
                bBase = 0;
                packPanel(g, x, padded, grp, j0, cols, taps, b, 0);
            }
            int aGroup = grp * kpad * kd;
            for (int bl = b0; bl < b1; bl++) {
                int rb = blocks.start(bl);
                int m = blocks.rows(bl);
                for (int d0 = 0; d0 < kd; d0 += DEPTH_BLOCK) {
                    kn.tileOf(m, Math.min(DEPTH_BLOCK, kd - d0), a, aGroup + rb * kd + d0 * m, b, bBase + d0 * nr, tile,
                            rb * nr, nr, d0 > 0);
                }
            }
            int k0 = Math.min(blocks.start(b0), kg);
            int k1 = Math.min(b1 < blocks.count() ? blocks.start(b1) : kg, kg);
            storeRuns(g, tile, nr, j0, cols, grp, k0, k1, ep, y);
        });
    }

    /** One panel of B from the padded input, or from x with bounds tests where there is no padded copy. */
    private void packPanel(ConvGeometry g, float[] x, float[] padded, int grp, int j0, int cols, int[] taps, float[] b,
                           int bOff) {
        if (padded != null) {
            packPadded(g, padded, grp, j0, cols, taps, b, bOff);
        } else {
            pack(g, x, grp, j0, cols, taps, b, bOff);
        }
    }

    /** The most floats of panels packed once for a call (64 MiB), above which each task packs its own panel. */
    private static final long MAX_SHARED_PACKED_FLOATS = 16L << 20;
    /**
     * The position classes where they pay ({@link #forwardByClass}: the taps inside the input only, multiplied tap
     * by tap, then channel by channel), else null (the plain batch GEMM: every tap, channel by channel).
     */
    PositionClasses classes(ConvGeometry g) {
        PositionClasses classes = ConvEngine.hugeStride(g) || g.cPerGroup() < MIN_CLASS_CHANNELS ? null
                : PositionClasses.of(g, kn.nr());
        return classes != null && classes.cost <= MAX_CLASS_COST * Gemm.roundUp(g.n() * g.outH() * g.outW(), kn.nr())
                * g.kh() * g.kw() ? classes : null;
    }

    /** Inputs in floats up to which {@link #padded} copies the batch with its zero borders (64 MiB). */
    private static final long MAX_PADDED_FLOATS = 16L << 20;

    /**
     * The input with its zero borders, [n][c][h + 2 padH][w + 2 padW] in the calling thread's scratch (read by the
     * tasks while this call runs), so that packing reads every tap without a bounds test; null where that copy would
     * be large (huge strides, huge paddings), which then pack from x with the tests.
     */
    private float[] padded(ConvGeometry g, float[] x) {
        long hp = g.h() + 2L * g.padH();
        long wp = g.w() + 2L * g.padW();
        long size = (long) g.n() * g.c() * hp * wp;
        if (ConvEngine.hugeStride(g) || size > MAX_PADDED_FLOATS) {
            return null;
        }
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int pw = g.padW();
        int rowLen = (int) wp;
        int planeLen = (int) (hp * wp);
        float[] xp = Workspace.get().floats(Workspace.Slot.PADDED_INPUT, (int) size);
        runner.run(g.n() * g.c(), p -> {
            int d = p * planeLen;
            java.util.Arrays.fill(xp, d, d + ph * rowLen, 0f);
            for (int r = 0; r < h; r++) {
                int at = d + (ph + r) * rowLen;
                java.util.Arrays.fill(xp, at, at + pw, 0f);
                System.arraycopy(x, (p * h + r) * w, xp, at + pw, w);
                java.util.Arrays.fill(xp, at + pw + w, at + rowLen, 0f);
            }
            java.util.Arrays.fill(xp, d + (ph + h) * rowLen, d + planeLen, 0f);
        });
        return xp;
    }

    /** Per tap (c, i, j) in weight order: its offset in a padded input plane, c*hp*wp + i*dh*wp + j*dw. */
    private static int[] paddedTaps(ConvGeometry g) {
        int wp = g.w() + 2 * g.padW();
        int planeLen = (g.h() + 2 * g.padH()) * wp;
        int kk = g.kh() * g.kw();
        int[] t = new int[g.cPerGroup() * kk];
        for (int c = 0; c < g.cPerGroup(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    t[c * kk + i * g.kw() + j] = c * planeLen + i * g.dilationH() * wp + j * g.dilationW();
                }
            }
        }
        return t;
    }

    /** {@link #pack} from the padded input: b[d*nr + j] = xp[column j's first tap + taps[d]], zero past cols. */
    private void packPadded(ConvGeometry g, float[] xp, int grp, int j0, int cols, int[] taps, float[] b, int bOff) {
        int nr = kn.nr();
        int wp = g.w() + 2 * g.padW();
        int planeLen = (g.h() + 2 * g.padH()) * wp;
        int plane = g.outH() * g.outW();
        int ow = g.outW();
        int[] base = new int[nr];
        for (int j = 0; j < cols; j++) {
            int pos = j0 + j;
            int img = pos / plane;
            int p = pos - img * plane;
            int oh = p / ow;
            base[j] = (img * g.c() + grp * g.cPerGroup()) * planeLen + oh * g.strideH() * wp
                    + (p - oh * ow) * g.strideW();
        }
        for (int d = 0; d < taps.length; d++) {
            int t = taps[d];
            int row = bOff + d * nr;
            for (int j = 0; j < cols; j++) {
                b[row + j] = xp[base[j] + t];
            }
            for (int j = cols; j < nr; j++) {
                b[row + j] = 0f;
            }
        }
    }

    /**
     * Tile columns [0, cols) (batch positions j0 ..) of channels [k0, k1) -> y through ep: per image, each channel's
     * run of consecutive positions as one vector store.
     */
    private static void storeRuns(ConvGeometry g, float[] tile, int nr, int j0, int cols, int grp, int k0, int k1,
                                  Epilogue ep, float[] y) {
        int kg = g.kPerGroup();
        int plane = g.outH() * g.outW();
        for (int j = 0; j < cols; ) {
            int pos = j0 + j;
            int img = pos / plane;
            int p = pos - img * plane;
            int len = Math.min(cols - j, plane - p);
            int dst = (img * g.k() + grp * kg) * plane + p;
            for (int k = k0; k < k1; k++) {
                ep.store(tile, k * nr + j, grp * kg + k, y, dst + k * plane, len);
            }
            j += len;
        }
    }

    /**
     * The batch GEMM per position class ({@link PositionClasses}): a panel's columns share the rectangle of taps
     * inside the input, so only those taps' depth is multiplied (with tap-major packed weights, one contiguous depth
     * range per kernel row). On 2 x 2 planes a 3 x 3 kernel has 4 of its 9 taps inside the input at every position,
     * on 4 x 4 planes 6.25 on average: the padding's zeros are not multiplied.
     */
    private void forwardByClass(ConvGeometry g, PositionClasses pc, float[] x, ConvWeights w, Epilogue ep, float[] y) {
        int nr = kn.nr();
        int kg = g.kPerGroup();
        int cg = g.cPerGroup();
        int kw = g.kw();
        int kd = cg * g.kh() * kw;
        RowBlocks blocks = RowBlocks.of(kg, kn);
        int kpad = blocks.kpad();
        int panels = pc.panelClass.length;
        float[] a = w.panels(indirect, g, blocks, true);
        runner.run(g.groups() * panels, idx -> {
            int grp = idx / panels;
            int panel = idx % panels;
            int cls = pc.panelClass[panel];
            int iLo = pc.bounds[4 * cls];
            int ni = pc.bounds[4 * cls + 1] - iLo;
            int jLo = pc.bounds[4 * cls + 2];
            int nj = pc.bounds[4 * cls + 3] - jLo;
            Workspace ws = Workspace.get();
            float[] b = ws.floats(Workspace.Slot.PACK_B, Math.max(1, ni * nj * cg) * nr);
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * nr);
            packClass(g, x, grp, pc.columns, panel * nr, iLo, ni, jLo, nj, b);
            int aGroup = grp * kpad * kd;
            int depth = nj * cg;
            for (int bl = 0; bl < blocks.count(); bl++) {
                int rb = blocks.start(bl);
                int m = blocks.rows(bl);
                if (ni == 0 || nj == 0) {
                    java.util.Arrays.fill(tile, rb * nr, (rb + m) * nr, 0f);
                }
                for (int ii = 0; ii < ni; ii++) {
                    int dA = ((iLo + ii) * kw + jLo) * cg;
                    for (int d0 = 0; d0 < depth; d0 += DEPTH_BLOCK) {
                        kn.tileOf(m, Math.min(DEPTH_BLOCK, depth - d0), a, aGroup + rb * kd + (dA + d0) * m, b,
                                (ii * depth + d0) * nr, tile, rb * nr, nr, ii > 0 || d0 > 0);
                    }
                }
            }
            for (int j = 0; j < nr; j++) {
                int pos = pc.columns[panel * nr + j];
                if (pos >= 0) {
                    storeColumn(g, tile, nr, j, pos, grp, ep, y);
                }
            }
        });
    }

    /** Tile column j (row stride nr) -> y[img][grp*kg + k][p] for batch position pos = img*plane + p, through ep. */
    private static void storeColumn(ConvGeometry g, float[] tile, int nr, int j, int pos, int grp, Epilogue ep,
                                    float[] y) {
        int kg = g.kPerGroup();
        int plane = g.outH() * g.outW();
        int img = pos / plane;
        int dst = (img * g.k() + grp * kg) * plane + pos - img * plane;
        for (int k = 0; k < kg; k++) {
            int at = dst + k * plane;
            y[at] = ep.element(tile[k * nr + j], grp * kg + k, at);
        }
    }

    /**
     * b[((ii*nj + jj)*cg + c)*nr + j] = input channel c at tap (iLo + ii, jLo + jj) of the position in column
     * {@code col0 + j} (all inside the input, by the class); zero for padding columns.
     */
    private void packClass(ConvGeometry g, float[] x, int grp, int[] columns, int col0, int iLo, int ni, int jLo,
                           int nj, float[] b) {
        int nr = kn.nr();
        int h = g.h();
        int w = g.w();
        int cg = g.cPerGroup();
        int ow = g.outW();
        int plane = g.outH() * ow;
        int[] at = new int[nr];
        for (int j = 0; j < nr; j++) {
            int pos = columns[col0 + j];
            if (pos < 0) {
                at[j] = -1;
                continue;
            }
            int img = pos / plane;
            int p = pos - img * plane;
            int oh = p / ow;
            int ih = oh * g.strideH() - g.padH() + iLo * g.dilationH();
            int iw = (p - oh * ow) * g.strideW() - g.padW() + jLo * g.dilationW();
            at[j] = (img * g.c() + grp * cg) * h * w + ih * w + iw;
        }
        for (int ii = 0; ii < ni; ii++) {
            for (int jj = 0; jj < nj; jj++) {
                int shift = ii * g.dilationH() * w + jj * g.dilationW();
                for (int c = 0; c < cg; c++) {
                    int row = ((ii * nj + jj) * cg + c) * nr;
                    int chan = c * h * w + shift;
                    for (int j = 0; j < nr; j++) {
                        b[row + j] = at[j] < 0 ? 0f : x[at[j] + chan];
                    }
                }
            }
        }
    }

    /** Per tap (c, i, j) in weight order: its channel, row and column shift, as c*h*w, i*dh, j*dw. */
    private static int[] tapOffsets(ConvGeometry g) {
        int kk = g.kh() * g.kw();
        int[] t = new int[3 * g.cPerGroup() * kk];
        for (int c = 0; c < g.cPerGroup(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    int d = c * kk + i * g.kw() + j;
                    t[3 * d] = c * g.h() * g.w();
                    t[3 * d + 1] = i * g.dilationH();
                    t[3 * d + 2] = j * g.dilationW();
                }
            }
        }
        return t;
    }

    /**
     * b[d*nr + j] = the input value tap d reads for output position j0 + j (zero in the padding and for the
     * columns past {@code cols}).
     */
    private void pack(ConvGeometry g, float[] x, int grp, int j0, int cols, int[] taps, float[] b, int bOff) {
        int nr = kn.nr();
        int h = g.h();
        int w = g.w();
        int plane = g.outH() * g.outW();
        int ow = g.outW();
        int kd = taps.length / 3;
        int[] base = new int[nr];
        int[] ih0 = new int[nr];
        int[] iw0 = new int[nr];
        for (int j = 0; j < cols; j++) {
            int pos = j0 + j;
            int img = pos / plane;
            int p = pos - img * plane;
            int oh = p / ow;
            base[j] = (img * g.c() + grp * g.cPerGroup()) * h * w;
            ih0[j] = oh * g.strideH() - g.padH();
            iw0[j] = (p - oh * ow) * g.strideW() - g.padW();
        }
        for (int d = 0; d < kd; d++) {
            int chan = taps[3 * d];
            int di = taps[3 * d + 1];
            int dj = taps[3 * d + 2];
            int row = bOff + d * nr;
            for (int j = 0; j < cols; j++) {
                int ih = ih0[j] + di;
                int iw = iw0[j] + dj;
                b[row + j] = ih >= 0 && ih < h && iw >= 0 && iw < w ? x[base[j] + chan + ih * w + iw] : 0f;
            }
            for (int j = cols; j < nr; j++) {
                b[row + j] = 0f;
            }
        }
    }
}
