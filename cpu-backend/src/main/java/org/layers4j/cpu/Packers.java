package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The panel packers of the backward GEMMs. Each reads its operand where it lives (weights, activations,
 * gradients) and writes the layout {@link Gemm} expects; the im2col variant gathers the unfolded input on
 * the fly, one contiguous run (one output row) at a time, so that nothing is materialized.
 */
final class Packers {
    private Packers() {
    }

    /** A row-major matrix: element (i, kk) is {@code a[off + i*lda + kk]}, rows in [0, m). */
    static final class MatrixA implements Gemm.PackA {
        private final float[] a;
        private final int off;
        private final int lda;
        private final int m;

        MatrixA(float[] a, int off, int lda, int m) {
            this.a = a;
            this.off = off;
            this.lda = lda;
            this.m = m;
        }

        @Override
        public void pack(int i0, int k0, int kc, int mr, float[] dst, int o) {
            for (int i = 0; i < mr; i++) {
                int row = i0 + i;
                if (row < m) {
                    int src = off + row * lda + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * mr + i] = a[src + kk];
                    }
                } else {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[o + kk * mr + i] = 0f;
                    }
                }
            }
        }
    }

    /** The transpose of a row-major matrix: element (i, kk) is {@code a[off + kk*lda + i]}, rows in [0, m). */
    static final class TransposedA implements Gemm.PackA {
        private final float[] a;
        private final int off;
        private final int lda;
        private final int m;

        TransposedA(float[] a, int off, int lda, int m) {
            this.a = a;
            this.off = off;
            this.lda = lda;
            this.m = m;
        }

        @Override
        public void pack(int i0, int k0, int kc, int mr, float[] dst, int o) {
            int rows = Math.min(mr, m - i0);
            for (int kk = 0; kk < kc; kk++) {
                int src = off + (k0 + kk) * lda + i0;
                int d = o + kk * mr;
                System.arraycopy(a, src, dst, d, rows);
                for (int i = rows; i < mr; i++) {
                    dst[d + i] = 0f;
                }
            }
        }
    }

    /** A row-major matrix as B: element (kk, j) is {@code b[off + kk*ldb + j]}. */
    static final class MatrixB implements Gemm.PackB {
        private final float[] b;
        private final int off;
        private final int ldb;

        MatrixB(float[] b, int off, int ldb) {
            this.b = b;
            this.off = off;
            this.ldb = ldb;
        }

        @Override
        public void pack(int j0, int nc, int k0, int kc, int nr, float[] dst, int o) {
            int panels = (nc + nr - 1) / nr;
            for (int p = 0; p < panels; p++) {
                int j = j0 + p * nr;
                int w = Math.min(nr, nc - p * nr);
                int base = o + p * kc * nr;
                for (int kk = 0; kk < kc; kk++) {
                    int d = base + kk * nr;
                    System.arraycopy(b, off + (k0 + kk) * ldb + j, dst, d, w);
                    if (w < nr) {
                        Arrays.fill(dst, d + w, d + nr, 0f);
                    }
                }
            }
        }
    }

    /**
     * The transposed im2col matrix of one image and group as B of the weight-gradient GEMM: row p = (oh, ow),
     * column r = (c, kh, kw).
     */
    static final class Im2colTransposedB implements Gemm.PackB {
        private final float[] x;
        private final int xOff;
        private final int colOff;
        private final Unfold u;

        Im2colTransposedB(float[] x, int xOff, int colOff, Unfold u) {
            this.x = x;
            this.xOff = xOff;
            this.colOff = colOff;
            this.u = u;
        }

        @Override
        public void pack(int j0, int nc, int k0, int kc, int nr, float[] dst, int o) {
            Unfold u = this.u;
            for (int jj = 0; jj < nc; jj++) {
                int r = colOff + j0 + jj;
                int c = r / u.kk;
                int rem = r - c * u.kk;
                int kh = rem / u.kw;
                int kw = rem - kh * u.kw;
                int chan = xOff + c * u.h * u.w;
                int hShift = kh * u.dh - u.ph;
                int wShift = kw * u.dw - u.pw;
                int base = o + (jj / nr) * kc * nr + jj % nr;
                int p = k0;
                int end = k0 + kc;
                int oh = p / u.ow;
                int ow = p - oh * u.ow;
                while (p < end) {
                    int run = Math.min(u.ow - ow, end - p);
                    u.gatherRun(x, chan, oh * u.sh + hShift, ow, wShift, run, dst, base + (p - k0) * nr, nr);
                    p += run;
                    oh++;
                    ow = 0;
                }
            }
            zeroTail(nc, kc, nr, dst, o);
        }
    }

    /** Zeroes the columns past nc of the last panel, so edge tiles multiply by zeros, not stale data. */
    static void zeroTail(int nc, int kc, int nr, float[] dst, int o) {
        int used = nc % nr;
        if (used != 0) {
            int base = o + (nc / nr) * kc * nr;
            for (int kk = 0; kk < kc; kk++) {
                Arrays.fill(dst, base + kk * nr + used, base + kk * nr + nr, 0f);
            }
        }
    }

    /** The unfolding geometry of a convolution, flattened into fields for the packers' inner loops. */
    static final class Unfold {
        final int h;
        final int w;
        final int kh;
        final int kw;
        final int kk;
        final int sh;
        final int sw;
        final int ph;
        final int pw;
        final int dh;
        final int dw;
        final int oh;
        final int ow;

        Unfold(ConvGeometry g) {
            h = g.h();
            w = g.w();
            kh = g.kh();
            kw = g.kw();
            kk = kh * kw;
            sh = g.strideH();
            sw = g.strideW();
            ph = g.padH();
            pw = g.padW();
            dh = g.dilationH();
            dw = g.dilationW();
            oh = g.outH();
            ow = g.outW();
        }

        /**
         * Writes {@code run} unfolded values of input row {@code ih} of the channel at {@code chan}, for output
         * columns ow0.., to dst at {@code d} with stride {@code step}; out-of-range positions are zeros.
         */
        void gatherRun(float[] x, int chan, int ih, int ow0, int wShift, int run, float[] dst, int d, int step) {
            if (ih < 0 || ih >= h) {
                for (int t = 0; t < run; t++) {
                    dst[d + t * step] = 0f;
                }
                return;
            }
            int row = chan + ih * w;
            if (sw == 1) {
                int iw0 = ow0 + wShift;
                int lo = Math.max(0, Math.min(run, -iw0));
                int hi = Math.max(lo, Math.min(run, w - iw0));
                if (step == 1) {
                    if (lo > 0) {
                        Arrays.fill(dst, d, d + lo, 0f);
                    }
                    if (hi > lo) {
                        System.arraycopy(x, row + iw0 + lo, dst, d + lo, hi - lo);
                    }
                    if (hi < run) {
                        Arrays.fill(dst, d + hi, d + run, 0f);
                    }
                } else {
                    for (int t = 0; t < lo; t++) {
                        dst[d + t * step] = 0f;
                    }
                    for (int t = lo; t < hi; t++) {
                        dst[d + t * step] = x[row + iw0 + t];
                    }
                    for (int t = hi; t < run; t++) {
                        dst[d + t * step] = 0f;
                    }
                }
            } else {
                for (int t = 0; t < run; t++) {
                    int iw = (ow0 + t) * sw + wShift;
                    dst[d + t * step] = iw >= 0 && iw < w ? x[row + iw] : 0f;
                }
            }
        }
    }
}
