package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ResampleOps;

/**
 * Interpolation on the CPU: a 1-D input is treated as 2-D with height 1 (whose output height 1 copies the
 * row), the source indices and weights of each axis are computed once per call as ATen computes them (see
 * {@link ResampleOps}), and the (n, c) planes run in parallel; backward scatters within a plane in dy's
 * order, so it is deterministic.
 */
final class CpuResampleOps implements ResampleOps {
    private final ParallelRunner runner;

    CpuResampleOps(ParallelRunner runner) {
        this.runner = runner;
    }

    /** [planes, inH, inW, outH, outW] of an x / y pair of rank 3 or 4. */
    private static int[] geometry(Shape x, Shape y) {
        int planes = x.dim(0) * x.dim(1);
        if (x.rank() == 3) {
            return new int[] {planes, 1, x.dim(2), 1, y.dim(2)};
        }
        return new int[] {planes, x.dim(2), x.dim(3), y.dim(2), y.dim(3)};
    }

    /** The scale of spatial dim d (0 when none), with the height of a 1-D input taking none. */
    private static double[] scales2d(double[] scales, int rank) {
        if (rank == 3) {
            return new double[] {0, scales == null ? 0 : scales[0]};
        }
        return scales == null ? new double[2] : scales;
    }

    /** ATen's compute_scales_value in float32. */
    static float scaleValue(double scale, int in, int out) {
        return scale > 0 ? (float) (1.0 / scale) : (float) in / out;
    }

    /**
     * ATen's nearest_idx (with its shortcuts for out == in and out == 2 * in when {@code shortcut}) or
     * nearest_exact_idx, for every output index.
     */
    static int[] nearestIndex(int in, int out, double scale, boolean exact, boolean shortcut) {
        int[] src = new int[out];
        float s = scaleValue(scale, in, out);
        for (int o = 0; o < out; o++) {
            if (exact) {
                src[o] = Math.min((int) Math.floor((float) ((o + 0.5) * s)), in - 1);
            } else if (shortcut && out == in) {
                src[o] = o;
            } else if (shortcut && out == 2 * in) {
                src[o] = o >> 1;
            } else {
                src[o] = Math.min((int) Math.floor(o * s), in - 1);
            }
        }
        return src;
    }

    /** Linear source indices and weights of one axis: i0, i1 in {@code idx[0..1]}, l0, l1 in {@code w[0..1]}. */
    static void linearIndex(int in, int out, boolean alignCorners, double scale, int[][] idx, float[][] w) {
        float r;
        if (alignCorners) {
            r = out > 1 ? (float) (in - 1) / (out - 1) : 0f;
        } else {
            r = scaleValue(scale, in, out);
        }
        for (int o = 0; o < out; o++) {
            if (out == in) {
                idx[0][o] = o;
                idx[1][o] = o;
                w[0][o] = 1f;
                w[1][o] = 0f;
                continue;
            }
            float c;
            if (alignCorners) {
                c = r * o;
            } else {
                c = (float) (r * (o + 0.5) - 0.5);
                c = c < 0 ? 0f : c;
            }
            int i0 = Math.min((int) c, in - 1);
            int i1 = i0 + (i0 < in - 1 ? 1 : 0);
            float l1 = Math.min(Math.max(c - i0, 0f), 1f);
            idx[0][o] = i0;
            idx[1][o] = i1;
            w[0][o] = 1f - l1;
            w[1][o] = l1;
        }
    }

    /** A (bi)linear interpolation's planes and sizes, and each axis' source indices and weights ({@link #linearIndex}). */
    private record LinearPlan(int planes, int inH, int inW, int outH, int outW, int[][] hi, float[][] hw, int[][] wi,
                              float[][] ww) {
        /** The plan from the input (x, dx) and output (y, dy) shapes. */
        static LinearPlan of(Shape in, Shape out, boolean alignCorners, double[] scales) {
            int[] g = geometry(in, out);
            double[] sc = scales2d(scales, in.rank());
            int[][] hi = new int[2][g[3]];
            float[][] hw = new float[2][g[3]];
            int[][] wi = new int[2][g[4]];
            float[][] ww = new float[2][g[4]];
            linearIndex(g[1], g[3], alignCorners, sc[0], hi, hw);
            linearIndex(g[2], g[4], alignCorners, sc[1], wi, ww);
            return new LinearPlan(g[0], g[1], g[2], g[3], g[4], hi, hw, wi, ww);
        }
    }

    @Override
    public void nearest(Tensor x, Tensor y, double[] scales, boolean exact) {
        float[] src = CpuStorage.of(x);
        float[] dst = CpuStorage.overwrite(y);
        int[] g = geometry(x.shape(), y.shape());
        double[] sc = scales2d(scales, x.shape().rank());
        int inH = g[1];
        int inW = g[2];
        int outH = g[3];
        int outW = g[4];
        // PyTorch 1.13's CPU kernels: the 1-D forward computes floor(dst * scale) without nearest_idx's shortcuts
        boolean shortcut = x.shape().rank() != 3;
        int[] ih = nearestIndex(inH, outH, sc[0], exact, shortcut);
        int[] iw = nearestIndex(inW, outW, sc[1], exact, shortcut);
        runner.run(g[0], p -> {
            int xp = p * inH * inW;
            int yp = p * outH * outW;
            for (int oh = 0; oh < outH; oh++) {
                int row = xp + ih[oh] * inW;
                int d = yp + oh * outW;
                for (int ow = 0; ow < outW; ow++) {
                    dst[d + ow] = src[row + iw[ow]];
                }
            }
        });
    }

    @Override
    public void nearestBackward(Tensor dy, Tensor dx, double[] scales, boolean exact) {
        float[] gy = CpuStorage.of(dy);
        float[] gx = CpuStorage.overwrite(dx);
        int[] g = geometry(dx.shape(), dy.shape());
        double[] sc = scales2d(scales, dx.shape().rank());
        int inH = g[1];
        int inW = g[2];
        int outH = g[3];
        int outW = g[4];
        int[] ih = nearestIndex(inH, outH, sc[0], exact, true);
        int[] iw = nearestIndex(inW, outW, sc[1], exact, true);
        runner.run(g[0], p -> {
            int xp = p * inH * inW;
            int yp = p * outH * outW;
            Arrays.fill(gx, xp, xp + inH * inW, 0f);
            for (int oh = 0; oh < outH; oh++) {
                int row = xp + ih[oh] * inW;
                int d = yp + oh * outW;
                for (int ow = 0; ow < outW; ow++) {
                    gx[row + iw[ow]] += gy[d + ow];
                }
            }
        });
    }

    @Override
    public void linear(Tensor x, Tensor y, boolean alignCorners, double[] scales) {
        float[] src = CpuStorage.of(x);
        float[] dst = CpuStorage.overwrite(y);
        LinearPlan lp = LinearPlan.of(x.shape(), y.shape(), alignCorners, scales);
        int inH = lp.inH();
        int inW = lp.inW();
        int outH = lp.outH();
        int outW = lp.outW();
        int[][] hi = lp.hi();
        float[][] hw = lp.hw();
        int[][] wi = lp.wi();
        float[][] ww = lp.ww();
        runner.run(lp.planes(), p -> {
            int xp = p * inH * inW;
            int yp = p * outH * outW;
            for (int oh = 0; oh < outH; oh++) {
                int r0 = xp + hi[0][oh] * inW;
                int r1 = xp + hi[1][oh] * inW;
                float h0 = hw[0][oh];
                float h1 = hw[1][oh];
                int d = yp + oh * outW;
                for (int ow = 0; ow < outW; ow++) {
                    int c0 = wi[0][ow];
                    int c1 = wi[1][ow];
                    float w0 = ww[0][ow];
                    float w1 = ww[1][ow];
                    float t0 = src[r0 + c0] * w0 + src[r0 + c1] * w1;
                    float t1 = src[r1 + c0] * w0 + src[r1 + c1] * w1;
                    dst[d + ow] = t0 * h0 + t1 * h1;
                }
            }
        });
    }

    @Override
    public void linearBackward(Tensor dy, Tensor dx, boolean alignCorners, double[] scales) {
        float[] gy = CpuStorage.of(dy);
        float[] gx = CpuStorage.overwrite(dx);
        LinearPlan lp = LinearPlan.of(dx.shape(), dy.shape(), alignCorners, scales);
        int inH = lp.inH();
        int inW = lp.inW();
        int outH = lp.outH();
        int outW = lp.outW();
        int[][] hi = lp.hi();
        float[][] hw = lp.hw();
        int[][] wi = lp.wi();
        float[][] ww = lp.ww();
        runner.run(lp.planes(), p -> {
            int xp = p * inH * inW;
            int yp = p * outH * outW;
            Arrays.fill(gx, xp, xp + inH * inW, 0f);
            for (int oh = 0; oh < outH; oh++) {
                int r0 = xp + hi[0][oh] * inW;
                int r1 = xp + hi[1][oh] * inW;
                float h0 = hw[0][oh];
                float h1 = hw[1][oh];
                int d = yp + oh * outW;
                for (int ow = 0; ow < outW; ow++) {
                    int c0 = wi[0][ow];
                    int c1 = wi[1][ow];
                    float w0 = ww[0][ow];
                    float w1 = ww[1][ow];
                    float v = gy[d + ow];
                    gx[r0 + c0] += h0 * w0 * v;
                    gx[r0 + c1] += h0 * w1 * v;
                    gx[r1 + c0] += h1 * w0 * v;
                    gx[r1 + c1] += h1 * w1 * v;
                }
            }
        });
    }
}
