package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * Stride-1 convolutions without im2col: each task zero-pads a band of input rows of one image and group
 * into a private buffer once, and the micro-kernel then reads its B operand straight from that buffer
 * ({@link Kernels#tileRows}), one row per (channel, kh, kw) tap, shifted by the tap's offset. Outputs are
 * computed over the flattened padded rows, so a panel of nr outputs may straddle a row end; the few junk
 * columns (padded width minus output width per row) are computed and dropped when the panel is copied
 * out. This turns the per-element gather of im2col (one copy per 2 x Kg FLOPs) into one copy per input
 * element, and makes 1x1, 3x3, conv1d and small-group convolutions plain register-blocked GEMMs.
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

    /** Whether this algorithm applies: unit stride (any dilation, padding, groups). */
    static boolean supports(ConvGeometry g) {
        return g.strideH() == 1 && g.strideW() == 1;
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
        int wp = g.w() + 2 * g.padW();
        int halo = (g.kh() - 1) * g.dilationH();
        int outer = g.n() * groups;

        int rowsPerBand = Math.max(1, Math.min(oh, BAND_FLOATS / Math.max(1, cg * wp) - halo));
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
                for (int j = 0; j < g.kw(); j++) {
                    rowOff[c * kk + i * g.kw() + j] = c * inRows * wp + i * g.dilationH() * wp + j * g.dilationW();
                }
            }
        }
        int bandSize = cg * inRows * wp;
        runner.run(outer * bands, idx -> {
            int band = idx % bands;
            int ng = idx / bands;
            int grp = ng % groups;
            int img = ng / groups;
            int oh0 = band * bandRows;
            int rows = Math.min(bandRows, oh - oh0);
            Workspace ws = Workspace.get();
            // nr floats of slack: the last panel of a band reads up to nr - 1 floats past the last channel
            float[] buf = ws.floats(Workspace.Slot.PLANE, bandSize + nr);
            fillBand(g, x, (img * g.c() + grp * cg) * g.h() * g.w(), oh0, inRows, wp, buf);
            Arrays.fill(buf, bandSize, bandSize + nr, 0f);
            float[] tile = ws.floats(Workspace.Slot.EDGE, kpad * nr);
            int qLen = (rows - 1) * wp + ow;
            int aGroup = grp * kpad * kd;
            int yBase = (img * g.k() + grp * kg) * oh * ow + oh0 * ow;
            for (int q0 = 0; q0 < qLen; q0 += nr) {
                for (int rb = 0; rb < kpad; rb += mr) {
                    for (int d0 = 0; d0 < kd; d0 += DEPTH_BLOCK) {
                        kn.tileRows(Math.min(DEPTH_BLOCK, kd - d0), a, aGroup + (rb * kd + d0 * mr), buf, rowOff, d0, q0,
                                tile, rb * nr, nr, d0 > 0);
                    }
                }
                scatter(tile, nr, kg, q0, Math.min(q0 + nr, qLen), wp, ow, y, yBase, oh * ow);
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

    /** Copies input rows oh0 .. oh0 + inRows - 1 (padded coordinates) of each channel, zero outside. */
    private static void fillBand(ConvGeometry g, float[] x, int xOff, int oh0, int inRows, int wp, float[] buf) {
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int pw = g.padW();
        for (int c = 0; c < g.cPerGroup(); c++) {
            int src = xOff + c * h * w;
            for (int r = 0; r < inRows; r++) {
                int d = (c * inRows + r) * wp;
                int ih = oh0 + r - ph;
                if (ih < 0 || ih >= h) {
                    Arrays.fill(buf, d, d + wp, 0f);
                } else {
                    if (pw > 0) {
                        Arrays.fill(buf, d, d + pw, 0f);
                        Arrays.fill(buf, d + pw + w, d + wp, 0f);
                    }
                    System.arraycopy(x, src + ih * w, buf, d + pw, w);
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
