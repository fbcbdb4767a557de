package org.layers4j.spi;

/**
 * A plain 2-D convolution as a backend sees it: input [n, c, h, w], weight [k, c/groups, kh, kw],
 * symmetric zero padding, output [n, k, outH, outW]. Core builds it (1-D as height 1) after
 * validation, so every field is consistent; backends use it as a cache key too (value equality).
 * {@code n} may be 0 (an empty batch): core then makes no backend call with it. Core also keeps every
 * padded extent and window reach below 2^31-1, so the int arithmetic of indices cannot overflow.
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int kh, int kw,
                           int strideH, int strideW, int padH, int padW,
                           int dilationH, int dilationW, int groups) {

    public ConvGeometry {
        if (n < 0 || c < 1 || h < 1 || w < 1 || k < 1 || kh < 1 || kw < 1 || strideH < 1 || strideW < 1
                || padH < 0 || padW < 0 || dilationH < 1 || dilationW < 1 || groups < 1
                || c % groups != 0 || k % groups != 0) {
            throw new IllegalArgumentException("inconsistent convolution geometry " + describe(n, c, h, w, k, kh, kw,
                    strideH, strideW, padH, padW, dilationH, dilationW, groups));
        }
        if (h + 2L * padH >= Integer.MAX_VALUE || w + 2L * padW >= Integer.MAX_VALUE
                || (long) dilationH * (kh - 1) + 1 >= Integer.MAX_VALUE || (long) dilationW * (kw - 1) + 1 >= Integer.MAX_VALUE
                || (long) (outSize(h, kh, strideH, padH, dilationH) - 1) * strideH + (long) dilationH * (kh - 1) + 1 >= Integer.MAX_VALUE
                || (long) (outSize(w, kw, strideW, padW, dilationW) - 1) * strideW + (long) dilationW * (kw - 1) + 1 >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException("convolution geometry beyond 32-bit indices " + describe(n, c, h, w, k, kh,
                    kw, strideH, strideW, padH, padW, dilationH, dilationW, groups));
        }
        if (outSize(h, kh, strideH, padH, dilationH) < 1 || outSize(w, kw, strideW, padW, dilationW) < 1) {
            throw new IllegalArgumentException("convolution output would be empty for " + describe(n, c, h, w, k, kh, kw,
                    strideH, strideW, padH, padW, dilationH, dilationW, groups));
        }
    }

    /** PyTorch's output size: floor((in + 2*pad - dilation*(kernel-1) - 1) / stride) + 1. */
    public static int outSize(int in, int kernel, int stride, int pad, int dilation) {
        long out = Math.floorDiv(in + 2L * pad - (long) dilation * (kernel - 1) - 1, stride) + 1;
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, out));
    }

    public int outH() {
        return outSize(h, kh, strideH, padH, dilationH);
    }

    public int outW() {
        return outSize(w, kw, strideW, padW, dilationW);
    }

    /** Input channels per group. */
    public int cPerGroup() {
        return c / groups;
    }

    /** Output channels per group. */
    public int kPerGroup() {
        return k / groups;
    }

    /** Multiply-adds times two: the FLOP count the benchmark reports. */
    public double flops() {
        return 2.0 * n * k * (double) outH() * outW() * cPerGroup() * kh * kw;
    }

    private static String describe(int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw, int ph, int pw,
                                   int dh, int dw, int g) {
        return String.format("input [%d, %d, %d, %d], weight [%d, %d, %d, %d], stride (%d, %d), padding (%d, %d),"
                + " dilation (%d, %d), groups %d", n, c, h, w, k, g == 0 ? 0 : c / g, kh, kw, sh, sw, ph, pw, dh, dw, g);
    }
}
