package org.layers4j.cpu;

import java.util.Arrays;
import org.layers4j.spi.ConvGeometry;

/**
 * Direct kernels for convolutions with one input channel per group (depthwise, optionally with a small
 * channel multiplier), where an im2col GEMM would have a single-row A and waste most of the micro-tile.
 * Each task copies one input plane into a zero-padded scratch plane; at stride 1 the output is then
 * computed over the flattened padded plane as a sum of shifted copies (one {@link Kernels#taps} call
 * runs every row at once, with a few junk columns between rows that are simply not copied out), and
 * the weight gradient is one dot product per tap. Other strides use scalar loops over the same plane.
 */
final class DirectConvolution {
    private final Kernels kn;
    private final ParallelRunner runner;

    DirectConvolution(Kernels kn, ParallelRunner runner) {
        this.kn = kn;
        this.runner = runner;
    }

    void forward(ConvGeometry g, float[] x, float[] w, Epilogue ep, float[] y) {
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int wp = g.w() + 2 * g.padW();
        int[] tapOff = tapOffsets(g, wp);
        boolean unit = g.strideH() == 1 && g.strideW() == 1;
        runner.run(g.n() * g.k(), idx -> {
            int k = idx % g.k();
            int img = idx / g.k();
            int c = k / kg;
            Workspace ws = Workspace.get();
            float[] xp = ws.paddedPlane(g.h(), g.w(), g.padH(), g.padW());
            copyInterior(x, (img * g.c() + c) * g.h() * g.w(), g.h(), g.w(), g.padH(), g.padW(), xp);
            int yOff = (img * g.k() + k) * oh * ow;
            if (unit) {
                int len = (oh - 1) * wp + ow;
                if (wp == ow) {
                    kn.taps(len, xp, 0, tapOff, w, k * kk, kk, y, yOff);
                    if (!ep.isCopy()) {
                        ep.store(y, yOff, k, y, yOff, len);
                    }
                } else {
                    float[] out = ws.floats(Workspace.Slot.PLANE2, len);
                    kn.taps(len, xp, 0, tapOff, w, k * kk, kk, out, 0);
                    for (int r = 0; r < oh; r++) {
                        ep.store(out, r * wp, k, y, yOff + r * ow, ow, false);
                    }
                    ep.finish(y, yOff, yOff + oh * ow); // the plane is one run of y and of the residual
                }
            } else {
                for (int r = 0; r < oh; r++) {
                    for (int col = 0; col < ow; col++) {
                        int base = r * g.strideH() * wp + col * g.strideW();
                        float s = 0f;
                        for (int i = 0; i < kk; i++) {
                            s += w[k * kk + i] * xp[base + tapOff[i]];
                        }
                        int at = yOff + r * ow + col;
                        y[at] = ep.element(s, k, at);
                    }
                }
            }
        });
    }

    void backwardFilter(ConvGeometry g, float[] x, float[] dy, float[] dw) {
        int kg = g.kPerGroup();
        int kk = g.kh() * g.kw();
        int oh = g.outH();
        int ow = g.outW();
        int wp = g.w() + 2 * g.padW();
        int[] tapOff = tapOffsets(g, wp);
        boolean unit = g.strideH() == 1 && g.strideW() == 1;
        runner.run(g.k(), k -> {
            int c = k / kg;
            Workspace ws = Workspace.get();
            float[] xp = ws.paddedPlane(g.h(), g.w(), g.padH(), g.padW());
            float[] dyp = ws.floats(Workspace.Slot.PLANE2, oh * wp);
            Arrays.fill(dw, k * kk, (k + 1) * kk, 0f);
            if (unit) {
                // dy is laid out with the padded row stride so one dot covers all rows; the junk columns
                // between rows are never overwritten by the row copies, so zeroing them once suffices
                Arrays.fill(dyp, 0, oh * wp, 0f);
            }
            for (int img = 0; img < g.n(); img++) {
                copyInterior(x, (img * g.c() + c) * g.h() * g.w(), g.h(), g.w(), g.padH(), g.padW(), xp);
                int dyOff = (img * g.k() + k) * oh * ow;
                if (unit) {
                    for (int r = 0; r < oh; r++) {
                        System.arraycopy(dy, dyOff + r * ow, dyp, r * wp, ow);
                    }
                    kn.tapDots((oh - 1) * wp + ow, dyp, 0, xp, 0, tapOff, kk, dw, k * kk);
                } else {
                    for (int i = 0; i < kk; i++) {
                        float s = 0f;
                        for (int r = 0; r < oh; r++) {
                            int base = r * g.strideH() * wp + tapOff[i];
                            for (int col = 0; col < ow; col++) {
                                s += dy[dyOff + r * ow + col] * xp[base + col * g.strideW()];
                            }
                        }
                        dw[k * kk + i] += s;
                    }
                }
            }
        });
    }

    /** Offset of each tap (kh, kw) in a padded plane with row stride {@code wp}. */
    private static int[] tapOffsets(ConvGeometry g, int wp) {
        int[] off = new int[g.kh() * g.kw()];
        for (int i = 0; i < g.kh(); i++) {
            for (int j = 0; j < g.kw(); j++) {
                off[i * g.kw() + j] = i * g.dilationH() * wp + j * g.dilationW();
            }
        }
        return off;
    }

    /** Copies an h x w plane into the interior of a padded plane whose border is already zero. */
    static void copyInterior(float[] x, int off, int h, int w, int ph, int pw, float[] dst) {
        int wp = w + 2 * pw;
        for (int r = 0; r < h; r++) {
            System.arraycopy(x, off + r * w, dst, (ph + r) * wp + pw, w);
        }
    }
}
