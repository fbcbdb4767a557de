package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * Convolutions without im2col: each task zero-pads a band of input rows of one image and group into a
 * private buffer once, and the micro-kernel then reads its B operand straight from that buffer
 * ({@link Kernels#tileRows}), one row per (channel, kh, kw) tap, shifted by the tap's offset. Outputs are
 * computed over flattened buffer rows, so a panel of nr outputs may straddle a row end; the few junk
 * columns (buffer width minus output width per row) are computed and dropped when the panel is copied
 * out. Strides are handled by storing the band as sh x sw polyphase planes (plane (a, b) holds padded
 * positions (i*sh + a, j*sw + b)): every tap then reads one plane at unit stride, so a strided convolution
 * is a unit-stride one over more, smaller planes. This turns the per-element gather of im2col (one copy
 * per 2 x Kg FLOPs) into one copy per input element and makes every convolution a register-blocked GEMM.
 */
final class IndirectConvolution {
    /** Target size of a band buffer in floats (512 KiB): a band stays in L2 while its panels are computed. */
    private static final int BAND_FLOATS = 128 * 1024;
    /** Depth block of a micro-kernel call, so B rows of one call stay in L1/L2 for very deep convolutions. */
    private static final int DEPTH_BLOCK = 1024;

    private final Kernels kn;
    private final ParallelRunner runner;

    IndirectConvolution(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    void forward(ConvGeometry g, float[] x, float[] w, float[] y) {
        int mr = kn.mr();
        int nr = kn.nr();
        int groups = g.groups();
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int kd = cg * kk;
        int kpad = Gemm.roundUp(kg, mr);
        int oh = g.outH();
        int ow = g.outW();
        int sh = g.strideH();
        int sw = g.strideW();
        // width of a polyphase plane: padded columns b, b + sw, ... (ceil(wp / sw) of them)
        int wq = (g.w() + 2 * g.padW() + sw - 1) / sw;
        int halo = (g.kh() - 1) * g.dilationH() / sh;
        int planes = cg * sh * sw;
        int outer = g.n() * groups;

        int rowsPerBand = Math.max(1, Math.min(oh, BAND_FLOATS / Math.max(1, planes * wq) - halo));
        while (outer * ((oh + rowsPerBand - 1) / rowsPerBand) < 2 * runner.threads() && rowsPerBand > 1) {
            rowsPerBand = (rowsPerBand + 1) / 2;
        }
        int bands = (oh + rowsPerBand - 1) / rowsPerBand;
        int bandRows = (oh + bands - 1) / bands;
        int inRows = bandRows + halo;

        float[] a = packWeights(g, w, kpad, mr);
        int[] rowOff = new int[kd];
        for (int c = 0; c < cg; c++) {
            for (int i = 0; i < g.kh(); i++) {
                int dy = i * g.dilationH();
                for (int j = 0; j < g.kw(); j++) {
                    int dx = j * g.dilationW();
                    int plane = (c * sh + dy % sh) * sw + dx % sw;
                    rowOff[c * kk + i * g.kw() + j] = (plane * inRows + dy / sh) * wq + dx / sw;
                }
            }
        }
        int bandSize = planes * inRows * wq;
        runner.run(outer * bands, idx -> {
            int band = idx % bands;
            int ng = idx / bands;
            int grp = ng % groups;
            int img = ng / groups;
            int oh0 = band * bandRows;
            int rows = Math.min(bandRows, oh - oh0);
            Workspace ws = Workspace.get();
            // nr floats of slack: the last panel of a band reads up to nr - 1 floats past the last channel
            long[] key = {g.h(), g.w(), g.padH(), g.padW(), sh, sw, cg, oh0, inRows, wq};
            boolean[] bordersValid = new boolean[1];
            float[] buf = ws.band(bandSize + nr, key, bordersValid);
            fillBand(g, x, (img * g.c() + grp * cg) * g.h() * g.w(), oh0, inRows, wq, buf, bordersValid[0]);
            if (!bordersValid[0]) {
                Arrays.fill(buf, bandSize, bandSize + nr, 0f);
            }
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * nr);
            int qLen = (rows - 1) * wq + ow;
            int aGroup = grp * kpad * kd;
            int yBase = (img * g.k() + grp * kg) * oh * ow + oh0 * ow;
            for (int q0 = 0; q0 < qLen; q0 += nr) {
                for (int rb = 0; rb < kpad; rb += mr) {
                    for (int d0 = 0; d0 < kd; d0 += DEPTH_BLOCK) {
                        kn.tileRows(Math.min(DEPTH_BLOCK, kd - d0), a, aGroup + (rb * kd + d0 * mr), buf, rowOff, d0, q0,
                                tile, rb * nr, nr, d0 > 0);
                    }
                }
                scatter(tile, nr, kg, q0, Math.min(q0 + nr, qLen), wq, ow, y, yBase, oh * ow);
            }
        });
    }

    /** A[grp][rb][kk][i] = w[grp*Kg + rb + i][kk] in blocks of mr rows, rows past Kg zero: the A panels. */
    private static float[] packWeights(ConvGeometry g, float[] w, int kpad, int mr) {
        int kg = g.kPerGroup();
        int kd = g.cPerGroup() * g.kh() * g.kw();
        float[] a = Workspace.get().floats(Workspace.Slot.PACKED_WEIGHTS, g.groups() * kpad * kd);
        for (int grp = 0; grp < g.groups(); grp++) {
            for (int rb = 0; rb < kpad; rb += mr) {
                int block = grp * kpad * kd + rb * kd;
                for (int i = 0; i < mr; i++) {
                    int row = rb + i;
                    if (row < kg) {
                        int src = (grp * kg + row) * kd;
                        for (int d = 0; d < kd; d++) {
                            a[block + d * mr + i] = w[src + d];
                        }
                    } else {
                        for (int d = 0; d < kd; d++) {
                            a[block + d * mr + i] = 0f;
                        }
                    }
                }
            }
        }
        return a;
    }

    /**
     * Fills the band of output rows from oh0: for each channel and phase (a, b), inRows rows of wq values,
     * row r holding padded row (oh0 + r)*sh + a at padded columns b, b + sw, ...; zero outside the input.
     * With {@code bordersValid} the zeros are already in place and only input values are copied.
     */
    private static void fillBand(ConvGeometry g, float[] x, int xOff, int oh0, int inRows, int wq, float[] buf,
                                 boolean bordersValid) {
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int pw = g.padW();
        int sh = g.strideH();
        int sw = g.strideW();
        int d = 0;
        for (int c = 0; c < g.cPerGroup(); c++) {
            int src = xOff + c * h * w;
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    // plane columns j with 0 <= j*sw + b - pw < w
                    int j0 = Math.max(0, (pw - b + sw - 1) / sw);
                    int j1 = Math.min(wq, (w + pw - b + sw - 1) / sw);
                    for (int r = 0; r < inRows; r++, d += wq) {
                        int ih = (oh0 + r) * sh + a - ph;
                        if (ih < 0 || ih >= h || j1 <= j0) {
                            if (!bordersValid) {
                                Arrays.fill(buf, d, d + wq, 0f);
                            }
                            continue;
                        }
                        if (!bordersValid) {
                            for (int j = 0; j < j0; j++) {
                                buf[d + j] = 0f;
                            }
                            for (int j = j1; j < wq; j++) {
                                buf[d + j] = 0f;
                            }
                        }
                        int row = src + ih * w + b - pw;
                        if (sw == 1) {
                            System.arraycopy(x, row + j0, buf, d + j0, j1 - j0);
                        } else {
                            for (int j = j0; j < j1; j++) {
                                buf[d + j] = x[row + j * sw];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Copies the valid outputs of one panel (flattened columns q0 .. end) from the tile to y, dropping junk columns. */
    private static void scatter(float[] tile, int nr, int kg, int q0, int end, int wp, int ow, float[] y, int yBase,
                                int plane) {
        int q = q0;
        while (q < end) {
            int r = q / wp;
            int col = q - r * wp;
            if (col >= ow) {
                q += wp - col;
                continue;
            }
            int run = Math.min(ow - col, end - q);
            int dst = yBase + r * ow + col;
            for (int k = 0; k < kg; k++) {
                System.arraycopy(tile, k * nr + (q - q0), y, dst + k * plane, run);
            }
            q += run;
        }
    }
}
