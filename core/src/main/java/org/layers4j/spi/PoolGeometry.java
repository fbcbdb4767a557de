package org.layers4j.spi;

/**
 * A 2-D pooling window as a backend sees it: input [n, c, h, w], window kh x kw with stride,
 * dilation and symmetric implicit padding, output [n, c, outH, outW]. Core computes outH / outW
 * (ceil_mode included: a last window may then start in the right / bottom padding or past it, but
 * never past the input's end plus the padding) and builds 1-D pooling as height 1.
 *
 * <p>For average pooling: a window's divisor is {@code divisorOverride} when it is positive, else the
 * number of window cells inside the padded input clipped to [0, h + padH) x [0, w + padW)
 * ({@code countIncludePad}), else the number of cells inside the input itself: PyTorch's rule.
 */
public record PoolGeometry(int n, int c, int h, int w, int kh, int kw, int strideH, int strideW,
                           int padH, int padW, int dilationH, int dilationW, int outH, int outW,
                           boolean countIncludePad, int divisorOverride) {
    public PoolGeometry {
        if (n < 0 || c < 1 || h < 1 || w < 1 || kh < 1 || kw < 1 || strideH < 1 || strideW < 1 || padH < 0
                || padW < 0 || dilationH < 1 || dilationW < 1 || outH < 1 || outW < 1 || divisorOverride < 0) {
            throw new IllegalArgumentException("inconsistent pooling geometry " + this);
        }
    }

    /** Window start (may be negative: in the padding) of output row oh. */
    public int rowStart(int oh) {
        return oh * strideH - padH;
    }

    /** Window start (may be negative: in the padding) of output column ow. */
    public int colStart(int ow) {
        return ow * strideW - padW;
    }

    /** The average-pooling divisor of window (oh, ow), PyTorch's rule (see the class comment). */
    public int divisor(int oh, int ow) {
        if (divisorOverride > 0) {
            return divisorOverride;
        }
        int h0 = rowStart(oh);
        int w0 = colStart(ow);
        int h1 = Math.min(h0 + kh, h + padH);
        int w1 = Math.min(w0 + kw, w + padW);
        if (countIncludePad) {
            return (h1 - h0) * (w1 - w0);
        }
        return (Math.min(h1, h) - Math.max(h0, 0)) * (Math.min(w1, w) - Math.max(w0, 0));
    }
}
