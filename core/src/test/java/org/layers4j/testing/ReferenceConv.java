package org.layers4j.testing;

/**
 * A plain float64 convolution written straight from PyTorch's definitions, independent of core's
 * planning: padding of each mode is an index mapping, 'same' is computed here again, 1-D is a
 * height-1 loop. Slow and obvious on purpose; the differential tests compare every backend to it.
 */
public final class ReferenceConv {

    /**
     * A convolution's arguments for the reference.
     *
     * @param pad [dim][0 = before, 1 = after] after resolving 'same' / 'valid'
     */
    public record Args(int dims, int cin, int cout, int[] kernel, int[] stride, int[][] pad, int[] dilation, int groups,
                       boolean bias, String mode) {

        /** PyTorch's 'same': total = dilation*(kernel-1), the smaller half before. */
        public static int[][] same(int[] kernel, int[] dilation) {
            int[][] p = new int[kernel.length][2];
            for (int d = 0; d < kernel.length; d++) {
                long total = (long) dilation[d] * (kernel[d] - 1);
                p[d][0] = (int) (total / 2);
                p[d][1] = (int) (total - total / 2);
            }
            return p;
        }

        /** The output's spatial sizes for an input's spatial sizes (may be < 1: invalid). */
        public int[] outSpatial(int[] inSpatial) {
            int[] o = new int[dims];
            for (int d = 0; d < dims; d++) {
                long eff = (long) inSpatial[d] + pad[d][0] + pad[d][1] - (long) dilation[d] * (kernel[d] - 1) - 1;
                o[d] = eff < 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, eff / stride[d] + 1);
            }
            return o;
        }
    }

    /** Forward, backward-data, backward-filter and bias gradient results in float64. */
    public record Result(double[] output, int[] outShape, double[] gradInput, double[] gradWeight, double[] gradBias) {
    }

    private ReferenceConv() {
    }

    /** Input index along an axis that padded position {@code i} (relative to the unpadded start) reads, or -1. */
    public static int source(long i, int n, String mode) {
        if (i >= 0 && i < n) {
            return (int) i;
        }
        if (mode.equals("zeros")) {
            return -1;
        }
        return source((int) i, n, mode);
    }

    /** Input index along an axis that padded position {@code i} reads, or -1 (int positions). */
    public static int source(int i, int n, String mode) {
        if (i >= 0 && i < n) {
            return i;
        }
        switch (mode) {
            case "zeros":
                return -1;
            case "reflect":
                return i < 0 ? -i : 2 * (n - 1) - i;
            case "replicate":
                return i < 0 ? 0 : n - 1;
            case "circular":
                return ((i % n) + n) % n;
            default:
                throw new IllegalArgumentException(mode);
        }
    }

    /**
     * Runs forward, and backward for {@code gradOutput} when it is not null.
     *
     * @param inSpatial the input's spatial sizes ({@code dims} of them); batch n, channels a.cin
     */
    public static Result run(Args a, int n, int[] inSpatial, double[] x, double[] w, double[] b, double[] gradOutput) {
        int ih = a.dims == 2 ? inSpatial[0] : 1;
        int iw = inSpatial[a.dims - 1];
        int[] out = a.outSpatial(inSpatial);
        int oh = a.dims == 2 ? out[0] : 1;
        int ow = out[a.dims - 1];
        int kh = a.dims == 2 ? a.kernel[0] : 1;
        int kw = a.kernel[a.dims - 1];
        int sh = a.dims == 2 ? a.stride[0] : 1;
        int sw = a.stride[a.dims - 1];
        int dh = a.dims == 2 ? a.dilation[0] : 1;
        int dw = a.dilation[a.dims - 1];
        int ph = a.dims == 2 ? a.pad[0][0] : 0;
        int pw = a.pad[a.dims - 1][0];
        int cpg = a.cin / a.groups;
        int kpg = a.cout / a.groups;
        double[] y = new double[n * a.cout * oh * ow];
        double[] gx = new double[x.length];
        double[] gw = new double[w.length];
        double[] gb = new double[a.cout];
        for (int s = 0; s < n; s++) {
            for (int k = 0; k < a.cout; k++) {
                int g = k / kpg;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int yi = ((s * a.cout + k) * oh + oy) * ow + ox;
                        double acc = a.bias ? b[k] : 0;
                        double gy = gradOutput == null ? 0 : gradOutput[yi];
                        for (int c = 0; c < cpg; c++) {
                            int ci = g * cpg + c;
                            for (int ky = 0; ky < kh; ky++) {
                                int sy = source((long) oy * sh - ph + (long) ky * dh, ih, a.mode);
                                for (int kx = 0; kx < kw; kx++) {
                                    int sx = source((long) ox * sw - pw + (long) kx * dw, iw, a.mode);
                                    if (sy < 0 || sx < 0) {
                                        continue;
                                    }
                                    int xi = ((s * a.cin + ci) * ih + sy) * iw + sx;
                                    int wi = ((k * cpg + c) * kh + ky) * kw + kx;
                                    acc += x[xi] * w[wi];
                                    gx[xi] += w[wi] * gy;
                                    gw[wi] += x[xi] * gy;
                                }
                            }
                        }
                        y[yi] = acc;
                        gb[k] += gy;
                    }
                }
            }
        }
        int[] outShape = a.dims == 2 ? new int[] {n, a.cout, oh, ow} : new int[] {n, a.cout, ow};
        return new Result(y, outShape, gx, gw, a.bias ? gb : null);
    }
}
