package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The weight gradient of groups with exactly one vector of output channels ({@link Kernels#lanes()}: 8 on AVX2,
 * a ResNeXt-style grouped 3 x 3 layer), kernel width 3, unit stride and dilation along the width. The output
 * gradient of an image and group is transposed once into dT[oh][column][lane] (lane = output channel), with
 * zero columns on both sides, so that dwT[c][kh][kw] (a vector over the output channels) = sum over input rows
 * and columns of x[c][i][j] * dT[oh(i, kh)][j + padW - kw]: every input value is broadcast once and serves the
 * three kernel columns, whose gradient vectors the row kernel ({@link Kernels#laneRowDots}) carries in
 * registers. The input is read in place (no band, no padding: a zero input contributes nothing) and the
 * reduction runs down the accumulators, so there are no horizontal sums: on AVX2 the dot-product blocks that
 * such layers used before ({@link BandWeightGradient}) run at about 65 % of the FMA peak, load-bound on shifted,
 * line-splitting rows, where this kernel does 4 loads per 9 FMAs.
 *
 * <p>Tasks own disjoint blocks of input channels of one group and loop over all images, so no two threads write
 * the same element, and each element's sum runs over images, rows and columns in one order whatever the thread
 * count.
 */
final class LaneWeightGradient {
    /** The transposed gradient plane of one image and group, at most this many floats (16 MiB). */
    static final long MAX_PLANE_FLOATS = 1L << 22;
    /** Kernel columns the row kernel handles. */
    private static final int KW = 3;

    private final Kernels kn;
    private final ParallelRunner runner;

    LaneWeightGradient(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    /** Whether this path computes the geometry's weight gradient. */
    boolean suits(ConvGeometry g) {
        return g.kPerGroup() == kn.lanes() && g.kw() == KW && g.strideW() == 1 && g.dilationW() == 1
                && (long) g.outH() * columns(g) * kn.lanes() <= MAX_PLANE_FLOATS;
    }

    /** Columns of a transposed gradient row: the output columns and the zero margins the kernel columns reach. */
    private static long columns(ConvGeometry g) {
        long last = Math.max(g.outW() - 1L, g.w() - 1L + g.padW());
        return last + margin(g) + 1;
    }

    /** Zero columns before output column 0: input column 0 meets output column padW - 2 at the last kernel column. */
    private static int margin(ConvGeometry g) {
        return -Math.min(0, g.padW() - (KW - 1));
    }

    void backwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        int groups = g.groups();
        int cg = g.cPerGroup();
        int[] starts = blockStarts(cg);
        int blocks = starts.length - 1;
        int perGroup = Math.max(1, Math.min(blocks, (2 * runner.threads() + groups - 1) / groups));
        runner.run(groups * perGroup, idx -> {
            int t = idx % perGroup;
            task(g, x, dy, dw, idx / perGroup, starts, t * blocks / perGroup, (t + 1) * blocks / perGroup);
        });
    }

    /**
     * Channel blocks of the row kernel, as start indices (the last one cg): threes, the tail as one or two pairs
     * (a block of one channel has only three FMA chains, so only a single-channel group uses it).
     */
    static int[] blockStarts(int cg) {
        int[] starts = new int[cg / 2 + 2];
        int n = 0;
        int c = 0;
        while (c < cg) {
            starts[n++] = c;
            int rest = cg - c;
            c += rest == 4 || rest == 2 ? 2 : Math.min(3, rest);
        }
        starts[n++] = cg;
        return Arrays.copyOf(starts, n);
    }

    /** Channel blocks [b0, b1) of group grp over all images. */
    private void task(ConvGeometry g, float[] x, float[] dy, float[] dw, int grp, int[] starts, int b0, int b1) {
        int lanes = kn.lanes();
        int cg = g.cPerGroup();
        int kh = g.kh();
        int h = g.h();
        int w = g.w();
        int oh = g.outH();
        int ow = g.outW();
        int plane = h * w;
        int wp = (int) columns(g);
        // output column 0 sits at column margin of a row; input column j meets output column j + padW - kw
        int margin = margin(g);
        int left = g.padW() + margin;
        int c0 = starts[b0];
        int c1 = starts[b1];
        int perChannel = kh * KW * lanes;
        Workspace ws = Workspace.get();
        float[] acc = ws.floats(Workspace.Slot.ROW, (c1 - c0) * perChannel);
        Arrays.fill(acc, 0, (c1 - c0) * perChannel, 0f);
        float[] dT = ws.floats(Workspace.Slot.PLANE2, oh * wp * lanes);
        // the margins stay zero: each image writes the output columns only
        Arrays.fill(dT, 0, oh * wp * lanes, 0f);
        for (int img = 0; img < g.n(); img++) {
            transpose(dy, (img * g.k() + grp * lanes) * oh * ow, oh, ow, lanes, wp, margin, dT);
            int xImg = (img * g.c() + grp * cg) * plane;
            for (int b = b0; b < b1; b++) {
                int c = starts[b];
                int channels = starts[b + 1] - c;
                for (int i = 0; i < kh; i++) {
                    int accOff = ((c - c0) * kh + i) * KW * lanes;
                    for (int o = 0; o < oh; o++) {
                        long row = (long) o * g.strideH() - g.padH() + (long) i * g.dilationH();
                        if (row >= 0 && row < h) {
                            kn.laneRowDots(channels, w, x, xImg + c * plane + (int) row * w, plane, dT,
                                    (o * wp + left) * lanes, acc, accOff, perChannel);
                        }
                    }
                }
            }
        }
        int taps = kh * KW;
        for (int k = 0; k < lanes; k++) {
            int out = ((grp * lanes + k) * cg + c0) * taps;
            for (int e = 0; e < (c1 - c0) * taps; e++) {
                dw[out + e] = acc[e * lanes + k];
            }
        }
    }

    /** dT[(r*wp + margin + col)*lanes + k] = dy[off + (k*oh + r)*ow + col]: the group's channels into the lanes. */
    private static void transpose(float[] dy, int off, int oh, int ow, int lanes, int wp, int margin, float[] dT) {
        for (int k = 0; k < lanes; k++) {
            for (int r = 0; r < oh; r++) {
                int src = off + (k * oh + r) * ow;
                int dst = (r * wp + margin) * lanes + k;
                for (int col = 0; col < ow; col++) {
                    dT[dst + col * lanes] = dy[src + col];
                }
            }
        }
    }
}
