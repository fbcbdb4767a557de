package org.layers4j.cpu;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.layers4j.spi.ConvGeometry;

/**
 * Direct kernels for convolutions with one input channel per group (depthwise, optionally with a small
 * channel multiplier), where an im2col GEMM would have a single-row A and waste most of the micro-tile.
 * Each task copies one input plane into a zero-padded scratch plane; at stride 1 the output is then
 * computed over the flattened padded plane as a sum of shifted copies (one {@link Kernels#taps} call
 * runs every row at once, with a few junk columns between rows that are simply not copied out), and
 * the weight gradient is one dot product per tap (3 x 3 kernels on 16-lane vectors: one pass for all nine taps over
 * shifted planes, {@link #threeByThree}). Other strides: the forward runs the same kernel over the plane's stride
 * phases ({@link Phases}), the weight gradient scalar loops over the padded plane.
 */
final class DirectConvolution {
    /**
     * Tuning override of the depthwise forward (a system property, for A/B measurements): {@code auto}, or
     * {@code blocked} ({@link BlockedDepthwise} wherever it applies) or {@code planes} (the plane path only).
     */
    static final String DEPTHWISE_KEY = "layers4j.cpu.depthwise";
    /**
     * Most outputs per plane of a strided depthwise layer, or of one with 25 taps or more, that {@link BlockedDepthwise}
     * computes by default.
     */
    static final int BLOCKED_STRIDED_OUTPUTS = 14 * 14;
    /** Most outputs per plane of a unit-stride depthwise layer that {@link BlockedDepthwise} computes by default. */
    static final int BLOCKED_UNIT_OUTPUTS = 8 * 8;

    private final Kernels kn;
    private final ParallelRunner runner;
    private final BlockedDepthwise blocked;
    private final String mode;

    DirectConvolution(Kernels kn, ParallelRunner runner) {
        this(kn, runner, System.getProperty(DEPTHWISE_KEY, "auto").trim().toLowerCase(Locale.ROOT));
    }

    DirectConvolution(Kernels kn, ParallelRunner runner, String mode) {
        if (!List.of("auto", "blocked", "planes").contains(mode)) {
            throw new IllegalArgumentException(DEPTHWISE_KEY + " must be auto, blocked or planes, but got '" + mode + "'");
        }
        this.kn = kn;
        this.runner = runner;
        this.blocked = new BlockedDepthwise(kn, runner);
        this.mode = mode;
    }

    /**
     * Output channels [0, n) that the forward of g computes with channels in vector lanes ({@link BlockedDepthwise}).
     * By default the layers where the plane path fills few lanes or gathers stride phases: strided ones with at most
     * {@link #BLOCKED_STRIDED_OUTPUTS} outputs per plane, unit-stride ones with at most {@link #BLOCKED_UNIT_OUTPUTS},
     * or up to {@link #BLOCKED_STRIDED_OUTPUTS} with 25 taps or more. Two threads, min of 100-200 calls, plane path /
     * blocked ms, AVX-512 (AVX2): 672 channels 5 x 5 stride 2 on 14 x 14 0.198 / 0.073 (0.209 / 0.079); 240 channels
     * 3 x 3 stride 2 on 28 x 28 0.139 / 0.060 (0.120 / 0.087); 1152 channels 5 x 5 on 7 x 7 0.108 / 0.069 (0.116 /
     * 0.083), at batch 8 0.854 / 0.600 (0.932 / 0.635); 480 channels 5 x 5 on 14 x 14 0.109 / 0.094 (0.147 / 0.123).
     * Elsewhere copying costs more than it saves: 184 channels 3 x 3 on 14 x 14 0.029 / 0.034, at batch 8 0.172 /
     * 0.224; 144 channels 5 x 5 stride 2 on 56 x 56 0.207 / 0.241.
     */
    int blockedChannels(ConvGeometry g) {
        long outputs = (long) g.outH() * g.outW();
        boolean strided = g.strideH() > 1 || g.strideW() > 1;
        boolean wanted = switch (mode) {
            case "blocked" -> true;
            case "planes" -> false;
            default -> strided || g.kh() * g.kw() >= 25 ? outputs <= BLOCKED_STRIDED_OUTPUTS
                    : outputs <= BLOCKED_UNIT_OUTPUTS;
        };
        return wanted ? blocked.channels(g) : 0;
    }

    void forward(ConvGeometry g, float[] x, float[] w, Epilogue ep, float[] y) {
        int first = blockedChannels(g);
        if (first > 0) {
            blocked.forward(g, x, w, ep, y);
        }
        if (first < g.k()) {
            planes(g, x, w, ep, y, first);
        }
    }

    /** The forward of output channels [first, k), one task per image and channel, positions in vector lanes. */
    private void planes(ConvGeometry g, float[] x, float[] w, Epilogue ep, float[] y, int first) {
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int wp = g.w() + 2 * g.padW();
        int[] tapOff = tapOffsets(g, wp);
        boolean unit = g.strideH() == 1 && g.strideW() == 1;
        Phases phases = unit ? null : Phases.of(g);
        int[] phaseOff = unit ? null : phases.tapOffsets(g);
        int count = g.k() - first;
        runner.run(g.n() * count, idx -> {
            int k = first + idx % count;
            int img = idx / count;
            int c = k / kg;
            Workspace ws = Workspace.get();
            int xOff = (img * g.c() + c) * g.h() * g.w();
            int yOff = (img * g.k() + k) * oh * ow;
            if (unit) {
                float[] xp = ws.paddedPlane(g.h(), g.w(), g.padH(), g.padW());
                kn.padRows(x, xOff, g.h(), g.w(), xp, g.padH() * wp + g.padW(), wp);
                int len = (oh - 1) * wp + ow;
                if (wp == ow) {
                    kn.taps(len, xp, 0, tapOff, w, k * kk, kk, y, yOff);
                    if (!ep.isCopy()) {
                        ep.store(y, yOff, k, y, yOff, len);
                    }
                } else {
                    float[] out = ws.floats(Workspace.Slot.PLANE2, len + kn.nr());
                    kn.tapsToScratch(len, xp, 0, tapOff, w, k * kk, kk, out, 0);
                    ep.storeRows(kn, out, 0, wp, k, y, yOff, oh, ow); // the plane is one run of y and of the residual
                }
            } else {
                // the stride phases of the padded plane: every tap reads one phase plane at unit stride
                float[] ph = ws.floats(Workspace.Slot.COLUMNS, phases.size() + kn.nr());
                phases.fill(kn, g, x, xOff, ph);
                int len = (oh - 1) * phases.wq + ow;
                float[] out = ws.floats(Workspace.Slot.PLANE2, len + kn.nr());
                kn.tapsToScratch(len, ph, 0, phaseOff, w, k * kk, kk, out, 0);
                ep.storeRows(kn, out, 0, phases.wq, k, y, yOff, oh, ow);
            }
        });
    }

    /**
     * The padded plane of a strided convolution as sh x sw phase planes of hq x wq values: phase (a, b) holds padded
     * positions (r*sh + a, c*sw + b). Tap (i, j) of output (r, c) reads phase (i*dh mod sh, j*dw mod sw) at
     * (r + i*dh/sh, c + j*dw/sw), so the outputs are, as at stride 1, a sum of shifted unit-stride runs
     * ({@link Kernels#taps}) with wq - ow junk columns per row.
     */
    record Phases(int sh, int sw, int hq, int wq) {
        static Phases of(ConvGeometry g) {
            int hp = g.h() + 2 * g.padH();
            int wp = g.w() + 2 * g.padW();
            int sh = g.strideH();
            int sw = g.strideW();
            return new Phases(sh, sw, (hp + sh - 1) / sh, (wp + sw - 1) / sw);
        }

        int size() {
            return sh * sw * hq * wq;
        }

        /** Offset of each tap (kh, kw) in the phase planes. */
        int[] tapOffsets(ConvGeometry g) {
            int[] off = new int[g.kh() * g.kw()];
            for (int i = 0; i < g.kh(); i++) {
                int dy = i * g.dilationH();
                for (int j = 0; j < g.kw(); j++) {
                    int dx = j * g.dilationW();
                    off[i * g.kw() + j] = ((dy % sh) * sw + dx % sw) * hq * wq + dy / sh * wq + dx / sw;
                }
            }
            return off;
        }

        /** The phase planes of input plane x[xOff ..] (h x w), zero in the padding and past its edges. */
        void fill(Kernels kn, ConvGeometry g, float[] x, int xOff, float[] dst) {
            if (sw == 2) {
                fillPairs(kn, g, x, xOff, dst);
                return;
            }
            int h = g.h();
            int w = g.w();
            int ph = g.padH();
            int pw = g.padW();
            int d = 0;
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    // phase columns c with 0 <= c*sw + b - pw < w
                    int c0 = Math.min(wq, Math.max(0, (pw - b + sw - 1) / sw));
                    int c1 = Math.max(c0, Math.min(wq, (w + pw - b + sw - 1) / sw));
                    for (int r = 0; r < hq; r++, d += wq) {
                        int ir = r * sh + a - ph;
                        if (ir < 0 || ir >= h || c1 == c0) {
                            Arrays.fill(dst, d, d + wq, 0f);
                            continue;
                        }
                        for (int c = 0; c < c0; c++) {
                            dst[d + c] = 0f;
                        }
                        int src = xOff + ir * w + c0 * sw + b - pw;
                        if (sw == 1) {
                            System.arraycopy(x, src, dst, d + c0, c1 - c0);
                        } else {
                            kn.gather(c1 - c0, x, src, sw, dst, d + c0);
                        }
                        for (int c = c1; c < wq; c++) {
                            dst[d + c] = 0f;
                        }
                    }
                }
            }
        }
        /**
         * {@link #fill} at column stride 2: each input row is read once for both column phases of its row phase
         * ({@link PhasePairs}), where the column-by-column gather read it once per phase.
         */
        private void fillPairs(Kernels kn, ConvGeometry g, float[] x, int xOff, float[] dst) {
            int plane = hq * wq;
            PhasePairs pairs = new PhasePairs(g.w(), -g.padW(), wq);
            for (int a = 0; a < sh; a++) {
                int d0 = 2 * a * plane;
                for (int r = 0; r < hq; r++, d0 += wq) {
                    int ir = r * sh + a - g.padH();
                    if (ir < 0 || ir >= g.h()) {
                        Arrays.fill(dst, d0, d0 + wq, 0f);
                        Arrays.fill(dst, d0 + plane, d0 + plane + wq, 0f);
                    } else {
                        pairs.row(kn, x, xOff + ir * g.w(), dst, d0, d0 + plane, true);
                    }
                }
            }
        }
    }

    void backwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        if (g.strideH() == 1 && g.strideW() == 1 && g.kh() == 3 && g.kw() == 3 && kn.lanes() >= 16) {
            threeByThree(g, x, dy, dw);
            return;
        }
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int wp = g.w() + 2 * g.padW();
        int[] tapOff = tapOffsets(g, wp);
        boolean unit = g.strideH() == 1 && g.strideW() == 1;
        runner.run(g.k(), k -> {
            int c = k / kg;
            Workspace ws = Workspace.get();
            float[] xp = ws.paddedPlane(g.h(), g.w(), g.padH(), g.padW());
            float[] dyp = ws.floats(Workspace.Slot.PLANE2, oh * wp);
            Arrays.fill(dw, k * kk, (k + 1) * kk, 0f);
            if (unit) {
                // dy is laid out with the padded row stride so one dot covers all rows; the junk columns
                // between rows are zero once and stay zero (padRows writes only zeros outside the rows)
                Arrays.fill(dyp, 0, oh * wp, 0f);
            }
            for (int img = 0; img < g.n(); img++) {
                kn.padRows(x, (img * g.c() + c) * g.h() * g.w(), g.h(), g.w(), xp, g.padH() * wp + g.padW(), wp);
                int dyOff = (img * g.k() + k) * oh * ow;
                if (unit) {
                    kn.padRows(dy, dyOff, oh, ow, dyp, 0, wp);
                    kn.tapDots((oh - 1) * wp + ow, dyp, 0, xp, 0, tapOff, kk, dw, k * kk);
                } else {
                    for (int i = 0; i < kk; i++) {
                        float s = 0f;
                        for (int r = 0; r < oh; r++) {
                            int base = r * g.strideH() * wp + tapOff[i];
                            for (int col = 0; col < ow; col++) {
                                s += dy[dyOff + r * ow + col] * xp[base + col * g.strideW()];
                            }
                        }
                        dw[k * kk + i] += s;
                    }
                }
            }
        });
    }

    /**
     * The unit-stride 3 x 3 weight gradient as one pass of {@link Kernels#tapDots3x3} per image and channel: per kernel
     * column j, a plane holding the input shifted by that column at the output's row stride ow, with the padding rows
     * above and below (zero outside the input), so that dw[k][i][j] = sum over q of dy[k][q] * plane_j[q + i*ds]
     * (ds = dilationH * ow) over the whole flattened output plane, with no junk columns; dy is copied once per image
     * between 2 ds zeros. When the output keeps the input's width each plane is filled by one copy of the input plane,
     * the wrapped columns then zeroed. The lanes accumulate over all images before one horizontal sum per tap. Each
     * vector load serves three taps, where {@link Kernels#tapDots} loads 10 vectors per 8 FMAs: AVX-512 depthwise3x3
     * dw 1.94 -> 1.10 ms (min of six alternating one-thread runs, median of the pair ratios 1.22). On 256-bit vectors
     * it read slower in four of six pairs (median 0.87), so it is used from 16 lanes on.
     */
    private void threeByThree(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        int kg = g.kPerGroup();
        int lanes = kn.lanes();
        int h = g.h();
        int w = g.w();
        int ow = g.outW();
        int plane = g.outH() * ow;
        int ds = g.dilationH() * ow;
        int rows = g.outH() + 2 * g.dilationH();
        // plane rows t hold input row t - padH: those inside the input and the plane
        int t0 = Math.max(0, g.padH());
        int t1 = Math.min(rows, g.padH() + h);
        // planes rounded up to whole vectors (zeros after), and dy's copy as long as the reads rows (2 ds) past it
        int len = Gemm.roundUp(rows * ow, lanes);
        int dLen = len + 2 * ds;
        runner.run(g.k(), k -> {
            int c = k / kg;
            Workspace ws = Workspace.get();
            float[] planes = ws.floats(Workspace.Slot.PLANE2, 3 * len);
            float[] dp = ws.floats(Workspace.Slot.COLUMNS, dLen);
            float[] acc = ws.floats(Workspace.Slot.ROW, 9 * lanes);
            Arrays.fill(planes, 0, 3 * len, 0f);
            Arrays.fill(dp, 0, dLen, 0f);
            Arrays.fill(acc, 0, 9 * lanes, 0f);
            for (int img = 0; img < g.n(); img++) {
                int xOff = (img * g.c() + c) * h * w;
                for (int j = 0; j < 3 && t0 < t1; j++) {
                    fillShifted(x, xOff, h, w, ow, t0, t1, t0 - g.padH(), j * g.dilationW() - g.padW(), planes, j * len);
                }
                System.arraycopy(dy, (img * g.k() + k) * plane, dp, 2 * ds, plane);
                kn.tapDots3x3(len, dp, 0, ds, planes, 0, len, acc, 0);
            }
            for (int t = 0; t < 9; t++) {
                dw[k * 9 + t] = kn.sum(lanes, acc, t * lanes);
            }
        });
    }

    /**
     * Rows [t0, t1) of a shifted plane (row stride ow): dst[off + t*ow + col] = x[xOff + r*w + col + s] with
     * r = t - (t0 - r0), and 0 where col + s falls outside the input's width. The other rows are left as they are
     * (zero).
     */
    private static void fillShifted(float[] x, int xOff, int h, int w, int ow, int t0, int t1, int r0, int s,
                                    float[] dst, int off) {
        int lo = Math.max(0, -s);
        int hi = Math.min(ow, w - s);
        if (ow != w) {
            for (int t = t0; t < t1; t++) {
                int r = r0 + t - t0;
                if (hi > lo) {
                    System.arraycopy(x, xOff + r * w + lo + s, dst, off + t * ow + lo, hi - lo);
                }
            }
            return;
        }
        // one copy of the rows as a flat range (clipped to the input plane), then the wrapped columns zeroed
        int d0 = off + t0 * ow;
        int s0 = xOff + r0 * w + s;
        int len = (t1 - t0) * ow;
        int head = Math.max(0, xOff - s0);
        int tail = Math.max(0, s0 + len - (xOff + h * w));
        if (len - head - tail > 0) {
            System.arraycopy(x, s0 + head, dst, d0 + head, len - head - tail);
        }
        for (int t = t0; t < t1; t++) {
            int row = off + t * ow;
            for (int col = 0; col < Math.min(lo, ow); col++) {
                dst[row + col] = 0f;
            }
            for (int col = Math.max(hi, 0); col < ow; col++) {
                dst[row + col] = 0f;
            }
        }
    }

    /** Offset of each tap (kh, kw) in a padded plane with row stride {@code wp}. */
    private static int[] tapOffsets(ConvGeometry g, int wp) {
        int[] off = new int[g.kh() * g.kw()];
        for (int i = 0; i < g.kh(); i++) {
            for (int j = 0; j < g.kw(); j++) {
                off[i * g.kw() + j] = i * g.dilationH() * wp + j * g.dilationW();
            }
        }
        return off;
    }
}
