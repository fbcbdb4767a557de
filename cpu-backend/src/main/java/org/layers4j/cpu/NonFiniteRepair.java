package org.layers4j.cpu;

import org.layers4j.spi.ConvGeometry;

/**
 * Keeps "NaN and infinities propagate as in PyTorch" exact although the kernels compute more products than
 * the convolution has: padded positions (zeros of a band or padded plane), junk columns between band rows
 * and the rounded-up tails of vector dots. Those extra products are 0 * v; they vanish for finite v, but an
 * infinite v makes them NaN, so an element that PyTorch (and the float64 reference, which sums over valid
 * positions only) computes as finite or +-inf would come out NaN.
 * <p>
 * An extra product can only ever add 0 or NaN, so every element that a kernel computes as finite is right,
 * and every wrong element is non-finite. Each pass therefore checks the operands or results that can carry a
 * non-finite value into an extra product (cheap: the weights or the weight gradient, both small) and only
 * when there is one, recomputes the non-finite elements of the result exactly, over valid positions only, in
 * float64. That costs nothing measurable on finite data and keeps the kernels' inner loops unchanged.
 */
final class NonFiniteRepair {
    private NonFiniteRepair() {
    }

    /**
     * Whether a[0 .. len) may hold a NaN or +-inf: its dot product with itself (a vector kernel, about 16 floats
     * per ns) is NaN or +inf then, and finite otherwise unless the squares overflow (|values| near 1e19), which
     * only costs a needless scan of the result.
     */
    static boolean mayHoldNonFinite(Kernels kn, float[] a, int len) {
        return !Float.isFinite(kn.dot(len, a, 0, a, 0));
    }

    private static int weightCount(ConvGeometry g) {
        return g.k() * g.cPerGroup() * g.kh() * g.kw();
    }

    /**
     * Forward: the kernels multiply padding zeros by weights (junk outputs are dropped), so only a
     * non-finite weight can make an output wrong; the caller runs this only when the weights may hold one
     * ({@link ConvWeights#mayHoldNonFinite}). A recomputed output gets its bias (null: none) added.
     */
    static void forward(ParallelRunner runner, ConvGeometry g, float[] x, float[] w, float[] bias, float[] y) {
        int plane = g.outH() * g.outW();
        runner.run(g.n() * g.k(), idx -> {
            int img = idx / g.k();
            int k = idx % g.k();
            int base = idx * plane;
            for (int p = 0; p < plane; p++) {
                if (!Float.isFinite(y[base + p])) {
                    float v = forwardElement(g, x, w, img, k, p / g.outW(), p % g.outW());
                    y[base + p] = bias == null ? v : v + bias[k];
                }
            }
        });
    }

    /**
     * Backward data: stride-1 backward data is a forward over zero-padded dy with the flipped weights, so
     * (as in the forward) only a non-finite weight can make an element wrong.
     */
    static void backwardData(Kernels kn, ParallelRunner runner, ConvGeometry g, float[] dy, float[] w, float[] dx) {
        if (!mayHoldNonFinite(kn, w, weightCount(g))) {
            return;
        }
        int plane = g.h() * g.w();
        runner.run(g.n() * g.c(), idx -> {
            int img = idx / g.c();
            int c = idx % g.c();
            int base = idx * plane;
            for (int p = 0; p < plane; p++) {
                if (!Float.isFinite(dx[base + p])) {
                    dx[base + p] = backwardDataElement(g, dy, w, img, c, p / g.w(), p % g.w());
                }
            }
        });
    }

    /**
     * Weight gradient: padding zeros meet dy, junk and tail zeros of dy meet input values, so a non-finite
     * value in either operand can make an element NaN; it always shows in dw, which is small to scan.
     */
    static void backwardFilter(Kernels kn, ParallelRunner runner, ConvGeometry g, float[] x, float[] dy, float[] dw) {
        if (!mayHoldNonFinite(kn, dw, weightCount(g))) {
            return;
        }
        int kk = g.kh() * g.kw();
        int per = g.cPerGroup() * kk;
        runner.run(g.k(), k -> {
            for (int j = 0; j < per; j++) {
                int at = k * per + j;
                if (!Float.isFinite(dw[at])) {
                    int cl = j / kk;
                    int tap = j % kk;
                    dw[at] = weightElement(g, x, dy, k, cl, tap / g.kw(), tap % g.kw());
                }
            }
        });
    }

    private static float forwardElement(ConvGeometry g, float[] x, float[] w, int img, int k, int oh, int ow) {
        int cg = g.cPerGroup();
        int c0 = k / g.kPerGroup() * cg;
        double s = 0;
        for (int cl = 0; cl < cg; cl++) {
            int xPlane = (img * g.c() + c0 + cl) * g.h();
            int wBase = (k * cg + cl) * g.kh();
            for (int i = 0; i < g.kh(); i++) {
                int ih = oh * g.strideH() - g.padH() + i * g.dilationH();
                if (ih < 0 || ih >= g.h()) {
                    continue;
                }
                for (int j = 0; j < g.kw(); j++) {
                    int iw = ow * g.strideW() - g.padW() + j * g.dilationW();
                    if (iw >= 0 && iw < g.w()) {
                        s += (double) x[(xPlane + ih) * g.w() + iw] * w[(wBase + i) * g.kw() + j];
                    }
                }
            }
        }
        return (float) s;
    }

    private static float backwardDataElement(ConvGeometry g, float[] dy, float[] w, int img, int c, int ih, int iw) {
        int cg = g.cPerGroup();
        int kg = g.kPerGroup();
        int grp = c / cg;
        int cl = c - grp * cg;
        int oh = g.outH();
        int ow = g.outW();
        double s = 0;
        for (int i = 0; i < g.kh(); i++) {
            int th = ih + g.padH() - i * g.dilationH();
            if (th < 0 || th % g.strideH() != 0 || th / g.strideH() >= oh) {
                continue;
            }
            int r = th / g.strideH();
            for (int j = 0; j < g.kw(); j++) {
                int tw = iw + g.padW() - j * g.dilationW();
                if (tw < 0 || tw % g.strideW() != 0 || tw / g.strideW() >= ow) {
                    continue;
                }
                int col = tw / g.strideW();
                for (int k = grp * kg; k < (grp + 1) * kg; k++) {
                    s += (double) dy[((img * g.k() + k) * oh + r) * ow + col]
                            * w[((k * cg + cl) * g.kh() + i) * g.kw() + j];
                }
            }
        }
        return (float) s;
    }

    static float weightElement(ConvGeometry g, float[] x, float[] dy, int k, int cl, int i, int j) {
        int c = k / g.kPerGroup() * g.cPerGroup() + cl;
        int oh = g.outH();
        int ow = g.outW();
        double s = 0;
        for (int img = 0; img < g.n(); img++) {
            int xPlane = (img * g.c() + c) * g.h();
            int dyPlane = (img * g.k() + k) * oh;
            for (int r = 0; r < oh; r++) {
                int ih = r * g.strideH() - g.padH() + i * g.dilationH();
                if (ih < 0 || ih >= g.h()) {
                    continue;
                }
                for (int col = 0; col < ow; col++) {
                    int iw = col * g.strideW() - g.padW() + j * g.dilationW();
                    if (iw >= 0 && iw < g.w()) {
                        s += (double) x[(xPlane + ih) * g.w() + iw] * dy[(dyPlane + r) * ow + col];
                    }
                }
            }
        }
        return (float) s;
    }
}
