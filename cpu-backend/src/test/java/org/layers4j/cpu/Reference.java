package org.layers4j.cpu;

import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;
import org.layers4j.testing.ReferenceConv;

/**
 * Textbook float64 implementations of every backend operation, written for obviousness rather than speed:
 * the oracle the CPU kernels are tested against.
 */
final class Reference {
    private Reference() {
    }

    private static int inputIndex(ConvGeometry g, int n, int c, int ih, int iw) {
        return ((n * g.c() + c) * g.h() + ih) * g.w() + iw;
    }

    private static int weightIndex(ConvGeometry g, int k, int cl, int i, int j) {
        return ((k * g.cPerGroup() + cl) * g.kh() + i) * g.kw() + j;
    }

    private static int outputIndex(ConvGeometry g, int n, int k, int oh, int ow) {
        return ((n * g.k() + k) * g.outH() + oh) * g.outW() + ow;
    }

    /** Calls {@code body} for every (n, k, oh, ow, cl, i, j) whose input position lies inside the input. */
    private static void forEachTerm(ConvGeometry g, Term body) {
        for (int n = 0; n < g.n(); n++) {
            for (int k = 0; k < g.k(); k++) {
                int grp = k / g.kPerGroup();
                for (int oh = 0; oh < g.outH(); oh++) {
                    for (int ow = 0; ow < g.outW(); ow++) {
                        for (int cl = 0; cl < g.cPerGroup(); cl++) {
                            int c = grp * g.cPerGroup() + cl;
                            for (int i = 0; i < g.kh(); i++) {
                                int ih = oh * g.strideH() - g.padH() + i * g.dilationH();
                                if (ih < 0 || ih >= g.h()) {
                                    continue;
                                }
                                for (int j = 0; j < g.kw(); j++) {
                                    int iw = ow * g.strideW() - g.padW() + j * g.dilationW();
                                    if (iw >= 0 && iw < g.w()) {
                                        body.accept(inputIndex(g, n, c, ih, iw), weightIndex(g, k, cl, i, j),
                                                outputIndex(g, n, k, oh, ow));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @FunctionalInterface
    private interface Term {
        void accept(int xIndex, int wIndex, int yIndex);
    }

    static double[] convForward(ConvGeometry g, float[] x, float[] w) {
        double[] y = new double[g.n() * g.k() * g.outH() * g.outW()];
        forEachTerm(g, (xi, wi, yi) -> y[yi] += (double) x[xi] * w[wi]);
        return y;
    }

    static double[] convBackwardData(ConvGeometry g, float[] dy, float[] w) {
        double[] dx = new double[g.n() * g.c() * g.h() * g.w()];
        forEachTerm(g, (xi, wi, yi) -> dx[xi] += (double) dy[yi] * w[wi]);
        return dx;
    }

    static double[] convBackwardFilter(ConvGeometry g, float[] x, float[] dy) {
        double[] dw = new double[g.k() * g.cPerGroup() * g.kh() * g.kw()];
        forEachTerm(g, (xi, wi, yi) -> dw[wi] += (double) x[xi] * dy[yi]);
        return dw;
    }

    static double[] pad(PaddingPlan plan, float[] x, int planes, int h, int w) {
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        double[] out = new double[planes * hp * wp];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < hp; r++) {
                for (int c = 0; c < wp; c++) {
                    int sr = ReferenceConv.source(r - plan.top(), h, plan.mode().torchName());
                    int sc = ReferenceConv.source(c - plan.left(), w, plan.mode().torchName());
                    out[(p * hp + r) * wp + c] = sr < 0 || sc < 0 ? 0 : x[(p * h + sr) * w + sc];
                }
            }
        }
        return out;
    }

    static double[] padBackward(PaddingPlan plan, float[] dPadded, int planes, int h, int w) {
        int hp = h + plan.top() + plan.bottom();
        int wp = w + plan.left() + plan.right();
        double[] dx = new double[planes * h * w];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < hp; r++) {
                for (int c = 0; c < wp; c++) {
                    int sr = ReferenceConv.source(r - plan.top(), h, plan.mode().torchName());
                    int sc = ReferenceConv.source(c - plan.left(), w, plan.mode().torchName());
                    if (sr >= 0 && sc >= 0) {
                        dx[(p * h + sr) * w + sc] += dPadded[(p * hp + r) * wp + c];
                    }
                }
            }
        }
        return dx;
    }
}
