package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Named.named;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.testing.ReferenceConv;

/**
 * "NaN and infinities propagate as in PyTorch": with a few +-inf values in the input, the weights or the
 * output gradient (everything else finite, dy non-zero), every pass must equal the float64 reference, which
 * sums only over valid (non-padding) positions. The kernels compute padded and junk positions too; a padding
 * or junk zero multiplied by an infinity must never turn an element the reference computes as finite or as
 * +-inf into NaN. Per element: expected NaN iff actual NaN, expected +-inf iff the same actual +-inf, finite
 * within the project tolerance (1e-4 * max(1, max finite |expected|)).
 */
class NonFiniteTest {
    private static final float INF = Float.POSITIVE_INFINITY;

    enum Where { INPUT, WEIGHT, GRAD_OUTPUT }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String kernels : List.of("vector", "scalar")) {
            for (Where where : Where.values()) {
                for (Arguments geometry : geometries()) {
                    out.add(Arguments.of(kernels, where, geometry.get()[0]));
                }
            }
        }
        return out.stream();
    }

    private static List<Arguments> geometries() {
        return List.of(
                geometry("3x3 stride 1 padded", 2, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                geometry("7x7 stride 2 padded stem", 1, 3, 20, 18, 8, 7, 7, 2, 2, 3, 3, 1, 1, 1),
                geometry("stride (2,3) with a 3x5 kernel (col2im backward data)", 2, 4, 13, 10, 6, 3, 5, 2, 3, 1, 2, 1, 1, 1),
                geometry("dilation (2,3)", 1, 3, 12, 12, 5, 3, 3, 1, 1, 2, 2, 2, 3, 1),
                geometry("padding beyond the kernel", 1, 2, 5, 5, 3, 3, 3, 1, 1, 3, 3, 1, 1, 1),
                geometry("grouped stride 2", 2, 8, 9, 9, 12, 3, 3, 2, 2, 1, 1, 1, 1, 4),
                geometry("3 groups", 2, 6, 8, 8, 9, 3, 3, 1, 1, 1, 1, 1, 1, 3),
                geometry("depthwise", 2, 8, 10, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),
                geometry("depthwise stride 2", 2, 4, 11, 11, 4, 3, 3, 2, 2, 1, 1, 1, 1, 4),
                geometry("depthwise with dilation 2", 1, 5, 9, 12, 5, 3, 3, 1, 1, 2, 2, 2, 2, 5),
                geometry("depthwise channel multiplier 2", 1, 3, 7, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 3),
                geometry("1x1", 2, 37, 7, 9, 19, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("1x1 over a plane of whole vectors (8x8)", 2, 10, 8, 8, 7, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                geometry("1x1 padded", 1, 5, 6, 6, 9, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                geometry("1x1 stride 2", 1, 6, 9, 9, 5, 1, 1, 2, 2, 0, 0, 1, 1, 1),
                geometry("conv1d kernel 7", 2, 5, 1, 40, 6, 1, 7, 1, 1, 0, 3, 1, 1, 1),
                geometry("conv1d of 3000 samples tiled along the row", 1, 16, 1, 3000, 4, 1, 3, 1, 1, 0, 1, 1, 1, 1),
                geometry("conv1d stride 2 dilation 2 tiled along the row", 1, 8, 1, 7001, 3, 1, 5, 1, 2, 0, 2, 1, 2, 1));
    }

    private static Arguments geometry(String name, int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw,
                                      int ph, int pw, int dh, int dw, int groups) {
        return Arguments.of(named(name, new ConvGeometry(n, c, h, w, k, kh, kw, sh, sw, ph, pw, dh, dw, groups)));
    }

    @ParameterizedTest(name = "{0}, inf in {1}: {2}")
    @MethodSource("cases")
    void nonFiniteValuesPropagateLikeTheReference(String kernels, Where where, ConvGeometry g) {
        Shape xs = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape ws = Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
        Shape ys = Shape.of(g.n(), g.k(), g.outH(), g.outW());
        float[] x = TestSupport.random(11, xs.size());
        float[] w = TestSupport.random(12, ws.size());
        float[] bias = TestSupport.random(13, g.k());
        float[] dy = TestSupport.random(14, ys.size());
        for (int i = 0; i < dy.length; i++) {
            if (dy[i] == 0f) {
                dy[i] = 0.5f;
            }
        }
        switch (where) {
            case INPUT -> placeInfinities(x, g.n(), g.c(), g.h(), g.w());
            case WEIGHT -> placeInfinities(w, g.k(), g.cPerGroup(), g.kh(), g.kw());
            case GRAD_OUTPUT -> placeInfinities(dy, g.n(), g.k(), g.outH(), g.outW());
            default -> throw new AssertionError(where);
        }
        ReferenceConv.Args args = new ReferenceConv.Args(2, g.c(), g.k(), new int[] {g.kh(), g.kw()},
                new int[] {g.strideH(), g.strideW()}, new int[][] {{g.padH(), g.padH()}, {g.padW(), g.padW()}},
                new int[] {g.dilationH(), g.dilationW()}, g.groups(), true, "zeros");
        ReferenceConv.Result ref = ReferenceConv.run(args, g.n(), new int[] {g.h(), g.w()}, toDouble(x), toDouble(w),
                toDouble(bias), toDouble(dy));
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor xt = b.upload(x, xs); Tensor wt = b.upload(w, ws); Tensor bt = b.upload(bias, Shape.of(g.k()));
             Tensor dyt = b.upload(dy, ys);
             Tensor y = b.upload(TestSupport.random(15, ys.size()), ys);
             Tensor fused = b.upload(TestSupport.random(19, ys.size()), ys);
             Tensor dx = b.upload(TestSupport.random(16, xs.size()), xs);
             Tensor dw = b.upload(TestSupport.random(17, ws.size()), ws);
             Tensor db = b.upload(TestSupport.random(18, g.k()), Shape.of(g.k()))) {
            b.convolution().forward(g, xt, wt, y);
            b.convolution().biasAdd(y, bt);
            b.convolution().forward(g, xt, wt, bt, fused);
            b.convolution().backwardData(g, dyt, wt, dx);
            b.convolution().backwardFilter(g, xt, dyt, dw);
            b.convolution().biasGradient(dyt, db);
            StringBuilder errors = new StringBuilder();
            check("forward", ref.output(), y.toArray(), errors);
            check("forward with the bias fused", ref.output(), fused.toArray(), errors);
            check("grad input", ref.gradInput(), dx.toArray(), errors);
            check("grad weight", ref.gradWeight(), dw.toArray(), errors);
            check("grad bias", ref.gradBias(), db.toArray(), errors);
            if (errors.length() > 0) {
                fail(errors.toString());
            }
        }
    }

    /**
     * +-inf at borders and corners (where padding and junk columns meet them) and one interior element, in the
     * first and last of the outer (image or output channel) index, so that several planes and tasks see them.
     */
    private static void placeInfinities(float[] a, int outer, int inner, int h, int w) {
        int last = outer - 1;
        a[index(0, 0, 0, 0, inner, h, w)] = INF;
        a[index(0, inner - 1, h - 1, w - 1, inner, h, w)] = -INF;
        a[index(0, inner / 2, h / 2, w - 1, inner, h, w)] = INF;
        a[index(last, 0, h / 2, 0, inner, h, w)] = -INF;
        a[index(last, inner - 1, (h - 1) / 2, w / 2, inner, h, w)] = INF;
    }

    private static int index(int o, int i, int r, int c, int inner, int h, int w) {
        return ((o * inner + i) * h + r) * w + c;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    /** Appends a line per mismatching element (at most 5 per pass) to {@code errors}. */
    private static void check(String pass, double[] expected, float[] actual, StringBuilder errors) {
        if (expected.length != actual.length) {
            errors.append(pass).append(": length ").append(actual.length).append(", expected ")
                    .append(expected.length).append('\n');
            return;
        }
        double max = 0;
        for (double e : expected) {
            if (Double.isFinite(e)) {
                max = Math.max(max, Math.abs(e));
            }
        }
        double tol = TestSupport.RELATIVE_TOLERANCE * Math.max(1, max);
        int bad = 0;
        int nonFinite = 0;
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            float a = actual[i];
            boolean ok;
            if (Double.isNaN(e)) {
                ok = Float.isNaN(a);
            } else if (Double.isInfinite(e)) {
                ok = a == e;
            } else {
                ok = Float.isFinite(a) && Math.abs(a - e) <= tol;
            }
            if (!Double.isFinite(e)) {
                nonFinite++;
            }
            if (!ok && bad++ < 5) {
                errors.append(pass).append(" element ").append(i).append(": expected ").append(e).append(", got ")
                        .append(a).append('\n');
            }
        }
        if (bad > 0) {
            errors.append(pass).append(": ").append(bad).append(" of ").append(expected.length)
                    .append(" elements wrong (").append(nonFinite).append(" expected non-finite)\n");
        }
    }
}
