package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * How the indirect convolutions tile one image and group into bands, and the band buffer itself. A band
 * covers output rows [oh0, oh0 + bandRows) and output columns [ow0, ow0 + colTile); its buffer holds, per
 * input channel and stride phase (a, b), {@code inRows} rows of {@code wq} values — row r is padded input
 * row (oh0 + r)*sh + a at padded columns (ow0 + j)*sw + b, zero outside the input — so every kernel tap
 * (c, kh, kw) reads a unit-stride run starting at {@link #rowOffsets()}[tap] + q, where q = r*wq + col
 * numbers the band's outputs (columns col >= the band's width are junk). Columns are tiled only when one
 * row of full-width planes exceeds the budget (long 1-D signals), rows when the band would; either is split
 * further until there are {@code minTasksPerImage} bands per image and group, where possible.
 */
final class BandLayout {
    /** Target size of a band buffer in floats (512 KiB): a band stays in L2 while it is used. */
    static final int BAND_FLOATS = 128 * 1024;

    final ConvGeometry g;
    final int wq;
    final int colTile;
    final int colBands;
    final int bandRows;
    final int bands;
    final int inRows;
    final int bandSize;
    /** Floats of zero slack after the last plane: the kernels may read this far past a plane's end. */
    final int slack;
    /** Zeros after every plane, so that reads rounded up past a plane's last value see zeros, not data. */
    final int planePad;
    /** Distance between consecutive planes: inRows * wq + planePad. */
    final int planeStride;

    BandLayout(ConvGeometry g, int slack, int planePad, int minTasksPerImage) {
        this.g = g;
        this.slack = slack;
        this.planePad = planePad;
        int sh = g.strideH();
        int sw = g.strideW();
        int oh = g.outH();
        int ow = g.outW();
        int wqFull = (g.w() + 2 * g.padW() + sw - 1) / sw;
        int halo = (g.kh() - 1) * g.dilationH() / sh;
        int haloW = (g.kw() - 1) * g.dilationW() / sw;
        int planes = g.cPerGroup() * sh * sw;
        int col = ow;
        if ((long) planes * (1 + halo) * wqFull > BAND_FLOATS) {
            col = Math.min(ow, Math.max(32, BAND_FLOATS / (planes * (1 + halo)) - haloW));
        }
        while ((ow + col - 1) / col < minTasksPerImage && oh == 1 && col >= 256) {
            col = (col + 1) / 2;
        }
        colBands = (ow + col - 1) / col;
        colTile = (ow + colBands - 1) / colBands;
        wq = colBands == 1 ? wqFull : colTile + haloW;
        int rowsPerBand = Math.max(1, Math.min(oh, BAND_FLOATS / Math.max(1, planes * wq) - halo));
        while (colBands * ((oh + rowsPerBand - 1) / rowsPerBand) < minTasksPerImage && rowsPerBand > 1) {
            rowsPerBand = (rowsPerBand + 1) / 2;
        }
        bands = (oh + rowsPerBand - 1) / rowsPerBand;
        bandRows = (oh + bands - 1) / bands;
        inRows = bandRows + halo;
        planeStride = inRows * wq + planePad;
        bandSize = planes * planeStride;
    }

    /**
     * Columns the band kernels compute per image and group with this layout: each band's flattened outputs (its
     * junk columns included) rounded up to whole panels of nr.
     */
    long computedColumns(int nr) {
        long computed = 0;
        for (int band = 0; band < bands; band++) {
            int rows = Math.min(bandRows, g.outH() - band * bandRows);
            for (int cb = 0; cb < colBands; cb++) {
                int cols = Math.min(colTile, g.outW() - cb * colTile);
                computed += Gemm.roundUp((rows - 1) * wq + cols, nr);
            }
        }
        return computed;
    }

    /** The buffer offset of each tap's first value, indexed by (c, kh, kw) in weight order. */
    int[] rowOffsets() {
        int sh = g.strideH();
        int sw = g.strideW();
        int kk = g.kh() * g.kw();
        int[] rowOff = new int[g.cPerGroup() * kk];
        for (int c = 0; c < g.cPerGroup(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                int dy = i * g.dilationH();
                for (int j = 0; j < g.kw(); j++) {
                    int dx = j * g.dilationW();
                    int plane = (c * sh + dy % sh) * sw + dx % sw;
                    rowOff[c * kk + i * g.kw() + j] = plane * planeStride + dy / sh * wq + dx / sw;
                }
            }
        }
        return rowOff;
    }

    /**
     * This thread's band buffer, filled for channels [c0, c1) of the group whose first input plane is at
     * {@code xOff}, for the band at output row oh0 and column ow0. Zero positions are reused from the
     * previous fill when it had the same layout and channels (they only depend on those).
     */
    float[] fill(Kernels kn, Workspace ws, float[] x, int xOff, int oh0, int ow0, int c0, int c1) {
        long[] key = {g.h(), g.w(), g.padH(), g.padW(), g.strideH(), g.strideW(), g.cPerGroup(), oh0, inRows, ow0, wq,
            planeStride, c0, c1};
        boolean[] valid = new boolean[1];
        float[] buf = ws.band(bandSize + slack, key, valid);
        fillBand(kn, x, xOff, oh0, ow0, c0, c1, buf, valid[0]);
        if (!valid[0]) {
            Arrays.fill(buf, bandSize, bandSize + slack, 0f);
        }
        return buf;
    }

    private void fillBand(Kernels kn, float[] x, int xOff, int oh0, int ow0, int c0, int c1, float[] buf, boolean bordersValid) {
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int pw = g.padW();
        int sh = g.strideH();
        int sw = g.strideW();
        // the band's column layout at stride 2 (the same for every channel and row phase)
        PhasePairs pairs = sw == 2 ? new PhasePairs(w, 2 * ow0 - pw, wq) : null;
        for (int c = c0; c < c1; c++) {
            int src = xOff + c * h * w;
            for (int a = 0; a < sh; a++) {
                if (sw == 2) {
                    fillPairs(kn, pairs, x, src, oh0, (c * sh + a) * 2 * planeStride, a, buf, bordersValid);
                    continue;
                }
                for (int b = 0; b < sw; b++) {
                    int d = ((c * sh + a) * sw + b) * planeStride;
                    if (!bordersValid && planePad > 0) {
                        Arrays.fill(buf, d + inRows * wq, d + planeStride, 0f);
                    }
                    // band columns j with 0 <= (ow0 + j)*sw + b - pw < w
                    int j0 = Math.max(0, (pw - b + sw - 1) / sw - ow0);
                    int j1 = Math.min(wq, (w + pw - b + sw - 1) / sw - ow0);
                    for (int r = 0; r < inRows; r++, d += wq) {
                        int ih = (oh0 + r) * sh + a - ph;
                        if (ih < 0 || ih >= h || j1 <= j0) {
                            if (!bordersValid) {
                                Arrays.fill(buf, d, d + wq, 0f);
                            }
                            continue;
                        }
                        if (!bordersValid) {
                            // borders are a few elements: plain loops, Arrays.fill costs more than it saves here
                            for (int j = 0; j < j0; j++) {
                                buf[d + j] = 0f;
                            }
                            for (int j = j1; j < wq; j++) {
                                buf[d + j] = 0f;
                            }
                        }
                        int row = src + ih * w + ow0 * sw + b - pw;
                        if (sw == 1) {
                            System.arraycopy(x, row + j0, buf, d + j0, j1 - j0);
                        } else {
                            kn.gather(j1 - j0, x, row + j0 * sw, sw, buf, d + j0);
                        }
                    }
                }
            }
        }
    }

    /**
     * Row phase a of one channel at column stride 2 (plane of column phase 0 at d, phase 1 a plane stride after): each
     * input row read once for both column phases ({@link PhasePairs}).
     */
    private void fillPairs(Kernels kn, PhasePairs pairs, float[] x, int src, int oh0, int d, int a, float[] buf,
                           boolean bordersValid) {
        int h = g.h();
        int sh = g.strideH();
        if (!bordersValid && planePad > 0) {
            Arrays.fill(buf, d + inRows * wq, d + planeStride, 0f);
            Arrays.fill(buf, d + planeStride + inRows * wq, d + 2 * planeStride, 0f);
        }
        for (int r = 0; r < inRows; r++, d += wq) {
            int ih = (oh0 + r) * sh + a - g.padH();
            if (ih < 0 || ih >= h) {
                if (!bordersValid) {
                    Arrays.fill(buf, d, d + wq, 0f);
                    Arrays.fill(buf, d + planeStride, d + planeStride + wq, 0f);
                }
                continue;
            }
            pairs.row(kn, x, src + ih * g.w(), buf, d, d + planeStride, !bordersValid);
        }
    }
}
