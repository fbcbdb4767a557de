package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * An input band for unit-stride convolutions whose output rows are as wide as the input's (padding that keeps the
 * width, as in every "same" 3 x 3 layer): per input channel c and kernel column j, one plane with the input's row
 * stride w holding the padded input shifted by that column, {@code plane(c, j)[r*w + col] = x[c][r - padH][col +
 * j*dilW - padW]} (zero outside the input). Tap (c, i, j) then reads a unit-stride run at {@code q + i*dilH*w},
 * where q = row*w + col is the output's own flat index: the kernels compute no junk columns between rows (a
 * 14 x 14 plane is 196 positions instead of 14 rows of 16) and store whole panels straight into the output plane.
 * Each plane is filled by one copy of the input rows plus |shift| zeros per row, instead of one copy per row
 * ({@link BandLayout}). {@link IndirectConvolution} uses it where it computes fewer columns than the band.
 */
final class FlatBand {
    /**
     * The largest flat band in floats (384 KiB): kw times the input planes, so a quarter below the band budget.
     * Above it (VGG's 16 x 16 x 128 layer on AVX-512, 480 KiB) the saved columns did not pay for the larger band.
     */
    static final int MAX_FLOATS = 96 * 1024;

    private final ConvGeometry g;
    /** Rows of a plane: the output rows plus the kernel's vertical extent. */
    private final int inRows;
    /** Floats per plane: inRows rows of w and a tail of zeros for the rounded-up reads of the last panel. */
    final int planeLen;

    private FlatBand(ConvGeometry g, int inRows, int planeLen) {
        this.g = g;
        this.inRows = inRows;
        this.planeLen = planeLen;
    }

    /**
     * The flat band of this geometry with {@code tail} zeros after each plane, or null when it does not apply
     * (strides, a width the padding changes) or a group's planes exceed the band budget (sizes in 64-bit: padding
     * and dilation may be near 2^31).
     */
    static FlatBand of(ConvGeometry g, int tail) {
        if (g.strideH() != 1 || g.strideW() != 1 || g.outW() != g.w() || g.outH() <= 0 || g.w() <= 0) {
            return null;
        }
        long inRows = g.outH() + (long) (g.kh() - 1) * g.dilationH();
        long planeLen = inRows * g.w() + tail;
        if ((long) g.cPerGroup() * g.kw() * planeLen > MAX_FLOATS) {
            return null;
        }
        return new FlatBand(g, (int) inRows, (int) planeLen);
    }

    /** Floats of a band holding every channel of a group. */
    int size() {
        return g.cPerGroup() * g.kw() * planeLen;
    }

    /** The band offset of each tap's first value, indexed by (c, kh, kw) in weight order. */
    int[] rowOffsets() {
        int kk = g.kh() * g.kw();
        int[] rowOff = new int[g.cPerGroup() * kk];
        for (int c = 0; c < g.cPerGroup(); c++) {
            for (int i = 0; i < g.kh(); i++) {
                for (int j = 0; j < g.kw(); j++) {
                    rowOff[c * kk + i * g.kw() + j] = (c * g.kw() + j) * planeLen + i * g.dilationH() * g.w();
                }
            }
        }
        return rowOff;
    }

    /** Fills the planes of channels [c0, c1) of the group whose first input plane is at {@code xOff}. */
    void fill(float[] x, int xOff, int c0, int c1, float[] buf) {
        int h = g.h();
        int w = g.w();
        int ph = g.padH();
        int rA = Math.min(inRows, Math.max(0, ph));
        int rB = Math.max(rA, Math.min(inRows, ph + h));
        int n = (rB - rA) * w;
        for (int c = c0; c < c1; c++) {
            int plane = xOff + c * h * w;
            for (int j = 0; j < g.kw(); j++) {
                int d = (c * g.kw() + j) * planeLen;
                int s = j * g.dilationW() - g.padW();
                Arrays.fill(buf, d, d + rA * w, 0f);
                Arrays.fill(buf, d + rB * w, d + planeLen, 0f);
                if (n == 0) {
                    continue;
                }
                // band position d + rA*w + m holds element (rA - ph)*w + m + s of the flat input plane, where in range
                int first = (rA - ph) * w + s;
                int m0 = Math.min(n, Math.max(0, -first));
                int m1 = Math.max(m0, Math.min(n, h * w - first));
                // a few elements each (|shift| per row): plain loops, a call of Arrays.fill costs more here
                for (int m = 0; m < m0; m++) {
                    buf[d + rA * w + m] = 0f;
                }
                System.arraycopy(x, plane + first + m0, buf, d + rA * w + m0, m1 - m0);
                for (int m = m1; m < n; m++) {
                    buf[d + rA * w + m] = 0f;
                }
                // the columns a shift carries across a row end belong to the neighbouring row: zero them
                int z0 = s > 0 ? Math.max(0, w - s) : 0;
                int z1 = s > 0 ? w : Math.min(w, -s);
                for (int r = rA; r < rB; r++) {
                    for (int col = z0; col < z1; col++) {
                        buf[d + r * w + col] = 0f;
                    }
                }
            }
        }
    }
}
