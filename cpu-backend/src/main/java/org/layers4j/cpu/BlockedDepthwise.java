package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The forward of a depthwise convolution (one input and one output channel per group) with L =
 * {@link Kernels#depthwiseLanes()} channels in the lanes of each vector, where {@link DirectConvolution}'s plane path
 * puts positions there. On the small planes of mobile networks (7 x 7, 14 x 14) a plane's rows fill few vectors, its
 * stride phases are gathered, and per-plane overheads outweigh the arithmetic; with channels in the lanes every lane
 * is useful at any plane size and strides cost nothing.
 *
 * <p>Each task takes one image, one block of L channels and one band of output rows. It copies the band's input rows
 * of its channels into a channel-interleaved, zero-padded scratch ({@code [row][column][lane]}) in L x L blocks
 * transposed in registers ({@link Kernels#transpose}), runs {@link Kernels#depthwiseRow} over each output row into a
 * second interleaved scratch (the bias added there), applies the activation to that scratch as one run, and copies it
 * back to the channels' planes in transposed blocks; a residual, read at y's index, is added on the planes instead,
 * then the activation. Each output is the same sum, in the same order, as the plane path forms, so the two give the
 * same bits. Bands hold about {@link #BAND_FLOATS} input floats, and are halved until there are a few tasks per thread.
 */
final class BlockedDepthwise {
    /** Interleaved input floats per band: the band stays in L2 while its rows are swept. */
    private static final int BAND_FLOATS = 32 * 1024;

    private final Kernels kn;
    private final ParallelRunner runner;

    BlockedDepthwise(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    /** Channels of g, from 0, that {@link #forward} computes: whole blocks of lanes (0 without the kernel). */
    int channels(ConvGeometry g) {
        int lanes = kn.depthwiseLanes();
        return lanes == 0 || g.cPerGroup() != 1 || g.kPerGroup() != 1 ? 0 : g.k() / lanes * lanes;
    }

    /** Output channels [0, {@link #channels}) of y = conv(x, w) through the epilogue; w holds k x kh x kw values. */
    void forward(ConvGeometry g, float[] x, float[] w, Epilogue ep, float[] y) {
        int lanes = kn.depthwiseLanes();
        int blocks = channels(g) / lanes;
        int kk = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int wp = g.w() + 2 * g.padW();
        int rowFloats = wp * lanes;
        int reach = (g.kh() - 1) * g.dilationH() + 1;
        // output rows per band: as many as fit BAND_FLOATS input floats, then fewer until every thread has work
        int rows = Math.max(1, Math.min(oh, (BAND_FLOATS / rowFloats - reach) / g.strideH() + 1));
        while (rows > 1 && (long) g.n() * blocks * ((oh + rows - 1) / rows) < 4L * runner.threads()) {
            rows = (rows + 1) / 2;
        }
        int bandRows = rows;
        int bands = (oh + rows - 1) / rows;
        int[] tapOff = new int[kk];
        for (int i = 0; i < g.kh(); i++) {
            for (int j = 0; j < g.kw(); j++) {
                tapOff[i * g.kw() + j] = i * g.dilationH() * rowFloats + j * g.dilationW() * lanes;
            }
        }
        // the plane path's run: outputs rows runRow apart, the last partial vector of it formed without FMAs
        int runRow = g.strideH() == 1 && g.strideW() == 1 ? wp : DirectConvolution.Phases.of(g).wq();
        int unfusedFrom = ((oh - 1) * runRow + ow) / lanes * lanes;
        float[] bias = ep.bias();
        int rowTaps = g.dilationW() == 1 ? g.kw() : 0;
        boolean inPlace = ep.completesInPlace();
        // where each input position goes in a band's interleaved rows (less the band's first row), and where each
        // channel's plane starts in y: the rows of the blocks kn.transpose writes
        int[] slots = new int[g.h() * g.w()];
        for (int p = 0; p < slots.length; p++) {
            slots[p] = ((p / g.w()) * wp + p % g.w() + g.padW()) * lanes;
        }
        int[] planes = new int[lanes];
        for (int l = 0; l < lanes; l++) {
            planes[l] = l * oh * ow;
        }
        // the block outermost: the tasks a thread takes one after another mostly share their interleaved weights
        runner.run(g.n() * blocks * bands, task -> {
            int band = task % bands;
            int img = task / bands % g.n();
            int block = task / bands / g.n();
            int c0 = block * lanes;
            int r0 = band * bandRows;
            int r1 = Math.min(oh, r0 + bandRows);
            Workspace ws = Workspace.get();
            boolean[] held = new boolean[1];
            float[] wb = ws.blockedWeights(kk * lanes, tapOff, block, held);
            if (!held[0]) {
                for (int l = 0; l < lanes; l++) {
                    for (int t = 0; t < kk; t++) {
                        wb[t * lanes + l] = w[(c0 + l) * kk + t];
                    }
                }
            }
            int inRows = (r1 - r0 - 1) * g.strideH() + reach;
            float[] xb = ws.floats(Workspace.Slot.COLUMNS, inRows * rowFloats);
            interleave(kn, g, x, (img * g.c() + c0) * g.h() * g.w(), r0 * g.strideH() - g.padH(), inRows, slots, xb);
            int len = (r1 - r0) * ow;
            float[] ob = ws.floats(Workspace.Slot.PLANE2, len * lanes);
            for (int r = r0; r < r1; r++) {
                kn.depthwiseRow(ow, unfusedFrom - r * runRow, xb, (r - r0) * g.strideH() * rowFloats,
                        g.strideW() * lanes, tapOff, kk, rowTaps, wb, bias, c0, ob, (r - r0) * ow * lanes);
            }
            if (inPlace) {
                // the activation over the interleaved outputs: element-wise, whole vectors, no tail per channel
                ep.finish(ob, 0, len * lanes);
            }
            int at = (img * g.k() + c0) * oh * ow + r0 * ow;
            int p = 0;
            for (; p + lanes <= len; p += lanes) {
                kn.transpose(ob, p * lanes, lanes, y, at + p, planes, 0);
            }
            for (int l = 0; l < lanes; l++) {
                for (int q = p; q < len; q++) {
                    y[at + planes[l] + q] = ob[q * lanes + l];
                }
                if (!inPlace) {
                    ep.finish(y, at + planes[l], at + planes[l] + len);
                }
            }
        });
    }

    /**
     * Rows [ir0, ir0 + rows) of the input planes x[xOff ..] of L = depthwiseLanes() consecutive channels, rows outside
     * the input and the left / right padding zero, into dst[(r*wp + col)*L + l] (wp the padded width): the positions
     * inside the input by {@link Kernels#interleave} (slots[p] the place of position p from the plane's first row).
     */
    private static void interleave(Kernels kn, ConvGeometry g, float[] x, int xOff, int ir0, int rows, int[] slots,
                                   float[] dst) {
        int lanes = kn.depthwiseLanes();
        int h = g.h();
        int w = g.w();
        int pw = g.padW();
        int rowFloats = (w + 2 * pw) * lanes;
        int plane = h * w;
        int first = Math.max(0, ir0);
        int end = Math.min(h, ir0 + rows);
        if (first >= end) {
            Arrays.fill(dst, 0, rows * rowFloats, 0f);
            return;
        }
        Arrays.fill(dst, 0, (first - ir0) * rowFloats + pw * lanes, 0f);
        for (int r = first; r < end - 1; r++) {
            int d = (r - ir0) * rowFloats + (pw + w) * lanes;
            Arrays.fill(dst, d, d + 2 * pw * lanes, 0f);
        }
        Arrays.fill(dst, (end - 1 - ir0) * rowFloats + (pw + w) * lanes, rows * rowFloats, 0f);
        kn.interleave(x, xOff, plane, first * w, end * w, dst, -ir0 * rowFloats, slots);
    }
}
