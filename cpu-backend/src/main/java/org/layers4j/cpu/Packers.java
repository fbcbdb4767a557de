package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * The panel packers of the strided backward-data GEMM (and of the pointwise kernel's last partial panel):
 * each reads its operand where it lives (weights, gradients, activations) and writes the layout
 * {@link Gemm} expects. {@link Unfold} carries the unfolding geometry col2im walks.
 */
final class Packers {
    private Packers() {
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
     * The columns of several images side by side as B: column j is position j % plane of image j / plane, element
     * (kk, j) is {@code b[off + (j / plane) * imageStride + kk*ldb + j % plane]}.
     */
    static final class ImagesB implements Gemm.PackB {
        private final float[] b;
        private final int off;
        private final int ldb;
        private final int imageStride;
        private final int plane;

        ImagesB(float[] b, int off, int ldb, int imageStride, int plane) {
            this.b = b;
            this.off = off;
            this.ldb = ldb;
            this.imageStride = imageStride;
            this.plane = plane;
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
                    int row = off + (k0 + kk) * ldb;
                    // runs of the panel's columns within one image
                    for (int t = 0; t < w; ) {
                        int col = j + t;
                        int img = col / plane;
                        int pos = col - img * plane;
                        int run = Math.min(w - t, plane - pos);
                        System.arraycopy(b, row + img * imageStride + pos, dst, d + t, run);
                        t += run;
                    }
                    if (w < nr) {
                        Arrays.fill(dst, d + w, d + nr, 0f);
                    }
                }
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
    }

    /** A row-major [m, k] matrix as A: element (i, kk) is {@code a[off + i*lda + kk]}, rows in [0, m). */
    static final class RowsA implements Gemm.PackA {
        private final float[] a;
        private final int off;
        private final int lda;
        private final int m;

        RowsA(float[] a, int off, int lda, int m) {
            this.a = a;
            this.off = off;
            this.lda = lda;
            this.m = m;
        }

        @Override
        public void pack(int i0, int k0, int kc, int mr, float[] dst, int o) {
            int rows = Math.min(mr, m - i0);
            for (int i = 0; i < rows; i++) {
                int src = off + (i0 + i) * lda + k0;
                for (int kk = 0; kk < kc; kk++) {
                    dst[o + kk * mr + i] = a[src + kk];
                }
            }
            for (int i = rows; i < mr; i++) {
                for (int kk = 0; kk < kc; kk++) {
                    dst[o + kk * mr + i] = 0f;
                }
            }
        }
    }

    /**
     * The transpose of a row-major [n, k] matrix as B: element (kk, j) is {@code b[off + j*ldb + kk]} (Linear's weight,
     * y = x W^T). Square blocks of {@link Kernels#depthwiseLanes()} go through {@link Kernels#transpose} (in registers),
     * the rest element by element: a column-by-column loop stored every value nr floats from the last, and was most of a
     * batch-8 Linear layer's time.
     */
    static final class ColumnsB implements Gemm.PackB {
        private final Kernels kn;
        private final float[] b;
        private final int off;
        private final int ldb;
        /** Where row i of a transposed block goes in a panel of kn.nr() columns (null: no block transposes). */
        private final int[] rows;

        ColumnsB(Kernels kn, float[] b, int off, int ldb) {
            this.kn = kn;
            this.b = b;
            this.off = off;
            this.ldb = ldb;
            int lanes = kn.depthwiseLanes();
            this.rows = lanes > 0 && kn.nr() % lanes == 0 ? rowStarts(lanes, kn.nr()) : null;
        }

        @Override
        public void pack(int j0, int nc, int k0, int kc, int nr, float[] dst, int o) {
            int lanes = kn.depthwiseLanes();
            int[] blockRows = nr == kn.nr() ? rows : null;
            int panels = (nc + nr - 1) / nr;
            for (int p = 0; p < panels; p++) {
                int w = Math.min(nr, nc - p * nr);
                int base = o + p * kc * nr;
                int j = 0;
                if (blockRows != null) {
                    for (; j + lanes <= w; j += lanes) {
                        int src = off + (j0 + p * nr + j) * ldb + k0;
                        int kk = 0;
                        for (; kk + lanes <= kc; kk += lanes) {
                            kn.transpose(b, src + kk, ldb, dst, base + kk * nr + j, blockRows, 0);
                        }
                        for (; kk < kc; kk++) {
                            for (int jj = 0; jj < lanes; jj++) {
                                dst[base + kk * nr + j + jj] = b[src + jj * ldb + kk];
                            }
                        }
                    }
                }
                for (; j < w; j++) {
                    int src = off + (j0 + p * nr + j) * ldb + k0;
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * nr + j] = b[src + kk];
                    }
                }
                for (j = w; j < nr; j++) {
                    for (int kk = 0; kk < kc; kk++) {
                        dst[base + kk * nr + j] = 0f;
                    }
                }
            }
        }

        /** Where row i of a transposed block goes: i * nr (the block's kk-th row of the panel). */
        private static int[] rowStarts(int lanes, int nr) {
            int[] rows = new int[lanes];
            for (int i = 0; i < lanes; i++) {
                rows[i] = i * nr;
            }
            return rows;
        }
    }
}
