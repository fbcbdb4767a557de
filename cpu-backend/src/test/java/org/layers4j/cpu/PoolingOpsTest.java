package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.PoolGeometry;

/** Max / average / adaptive pooling and their gradients against PyTorch's loops written in double. */
class PoolingOpsTest extends OpsTestBase {

    /** PyTorch's output size, ceil_mode's last-window rule included. */
    static int outSize(int in, int k, int s, int p, int d, boolean ceil) {
        int span = in + 2 * p - d * (k - 1) - 1;
        int out = (ceil ? Math.floorDiv(span + s - 1, s) : Math.floorDiv(span, s)) + 1;
        if (ceil && (out - 1) * s >= in + p) {
            out--;
        }
        return out;
    }

    static PoolGeometry geometry(int n, int c, int h, int w, int kh, int kw, int s, int p, int d, boolean ceil,
                                 boolean includePad, int override) {
        return new PoolGeometry(n, c, h, w, kh, kw, s, s, p, p, d, d, outSize(h, kh, s, p, d, ceil),
                outSize(w, kw, s, p, d, ceil), includePad, override);
    }

    static List<PoolGeometry> geometries(boolean avg) {
        List<PoolGeometry> list = new ArrayList<>();
        list.add(geometry(2, 3, 8, 8, 1, 1, 1, 0, 1, false, true, 0));
        list.add(geometry(1, 2, 5, 7, 5, 7, 1, 0, 1, false, true, 0)); // window == input
        list.add(geometry(2, 3, 9, 9, 2, 2, 2, 0, 1, true, true, 0)); // ceil: last window hangs off
        list.add(geometry(2, 3, 10, 11, 3, 3, 2, 1, 1, true, false, 0));
        list.add(geometry(2, 3, 10, 11, 3, 3, 2, 1, 1, true, true, 0));
        list.add(geometry(1, 4, 13, 17, 3, 3, 1, 1, 1, false, false, 0)); // stride 1: vector columns
        list.add(geometry(1, 4, 13, 40, 3, 2, 1, 1, 1, true, true, 0));
        list.add(geometry(1, 2, 1, 20, 1, 3, 2, 1, 1, true, false, 0)); // 1-D as height 1
        list.add(geometry(2, 2, 12, 12, 3, 3, 3, 1, 1, false, true, 5)); // divisor_override
        list.add(geometry(3, 64, 30, 30, 3, 3, 2, 1, 1, false, true, 0)); // many planes: parallel
        list.add(geometry(1, 2, 9, 67, 3, 3, 2, 1, 1, false, true, 0)); // ResNet's stem pool: strided vector columns
        list.add(geometry(1, 2, 7, 50, 2, 4, 3, 1, 1, true, false, 0)); // stride 3 phases, a column hanging off
        if (!avg) {
            list.add(geometry(1, 3, 12, 12, 3, 3, 1, 2, 2, false, true, 0)); // dilation
            list.add(geometry(1, 3, 11, 14, 2, 3, 2, 1, 3, true, true, 0));
        }
        Random r = new Random(5);
        for (int i = 0; i < 12; i++) {
            int h = 1 + r.nextInt(14);
            int w = 1 + r.nextInt(14);
            int kh = 1 + r.nextInt(Math.min(h, 4));
            int kw = 1 + r.nextInt(Math.min(w, 4));
            int k = Math.min(kh, kw);
            int p = r.nextInt(k / 2 + 1);
            int s = 1 + r.nextInt(3);
            if (outSize(h, kh, s, p, 1, false) < 1 || outSize(w, kw, s, p, 1, false) < 1) {
                continue;
            }
            list.add(geometry(1 + r.nextInt(2), 1 + r.nextInt(3), h, w, kh, kw, s, p, 1, r.nextBoolean(),
                    r.nextBoolean(), r.nextInt(4) == 0 ? 1 + r.nextInt(9) : 0));
        }
        return list;
    }

    static Stream<Arguments> maxCases() {
        return families().flatMap(f -> geometries(false).stream().flatMap(g ->
                Stream.of(Arguments.of(f, g, "random"), Arguments.of(f, g, "ties"), Arguments.of(f, g, "nonfinite"))));
    }

    static Stream<Arguments> avgCases() {
        return families().flatMap(f -> geometries(true).stream().map(g -> Arguments.of(f, g)));
    }

    static float[] data(String kind, int size, long seed) {
        Random r = new Random(seed);
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            switch (kind) {
                case "ties":
                    x[i] = r.nextInt(3) - 1;
                    break;
                case "nonfinite": {
                    int t = r.nextInt(12);
                    x[i] = t == 0 ? Float.NaN : t == 1 ? Float.POSITIVE_INFINITY : t == 2 ? Float.NEGATIVE_INFINITY
                            : r.nextFloat() * 2 - 1;
                    break;
                }
                default:
                    x[i] = r.nextFloat() * 2 - 1;
            }
        }
        return x;
    }

    /** PyTorch's CPU max-pool loop: per window the value and the index of {@code val > max || isnan(val)}. */
    static void maxReference(PoolGeometry g, float[] x, float[] dy, double[] y, double[] dx) {
        for (int p = 0; p < g.n() * g.c(); p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    double m = Double.NEGATIVE_INFINITY;
                    int at = -1;
                    for (int i = 0; i < g.kh(); i++) {
                        int ih = g.rowStart(oh) + i * g.dilationH();
                        for (int j = 0; j < g.kw(); j++) {
                            int iw = g.colStart(ow) + j * g.dilationW();
                            if (ih < 0 || ih >= g.h() || iw < 0 || iw >= g.w()) {
                                continue;
                            }
                            int idx = (p * g.h() + ih) * g.w() + iw;
                            double v = x[idx];
                            if (at < 0) {
                                at = idx;
                            }
                            if (v > m || Double.isNaN(v)) {
                                m = v;
                                at = idx;
                            }
                        }
                    }
                    int o = (p * g.outH() + oh) * g.outW() + ow;
                    y[o] = m;
                    if (at >= 0) {
                        dx[at] += dy[o];
                    }
                }
            }
        }
    }

    /** PyTorch's avg-pool loop with its divisor rule, written independently of PoolGeometry.divisor. */
    static void avgReference(PoolGeometry g, float[] x, float[] dy, double[] y, double[] dx) {
        for (int p = 0; p < g.n() * g.c(); p++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++) {
                    int hs = oh * g.strideH() - g.padH();
                    int ws = ow * g.strideW() - g.padW();
                    int he = Math.min(hs + g.kh(), g.h() + g.padH());
                    int we = Math.min(ws + g.kw(), g.w() + g.padW());
                    int poolSize = (he - hs) * (we - ws);
                    hs = Math.max(hs, 0);
                    ws = Math.max(ws, 0);
                    he = Math.min(he, g.h());
                    we = Math.min(we, g.w());
                    int o = (p * g.outH() + oh) * g.outW() + ow;
                    if (hs >= he || ws >= we) {
                        y[o] = 0;
                        continue;
                    }
                    int div = g.divisorOverride() > 0 ? g.divisorOverride()
                            : g.countIncludePad() ? poolSize : (he - hs) * (we - ws);
                    double s = 0;
                    for (int ih = hs; ih < he; ih++) {
                        for (int iw = ws; iw < we; iw++) {
                            s += x[(p * g.h() + ih) * g.w() + iw];
                            dx[(p * g.h() + ih) * g.w() + iw] += (double) dy[o] / div;
                        }
                    }
                    y[o] = s / div;
                }
            }
        }
    }

    private static Shape in(PoolGeometry g) {
        return Shape.of(g.n(), g.c(), g.h(), g.w());
    }

    private static Shape out(PoolGeometry g) {
        return Shape.of(g.n(), g.c(), g.outH(), g.outW());
    }

    @ParameterizedTest(name = "{0} {2}: {1}")
    @MethodSource("maxCases")
    void maxPoolingMatchesPyTorchLoop(Family f, PoolGeometry g, String kind) {
        CpuBackend b = backend(f);
        float[] x = data(kind, in(g).size(), g.hashCode());
        float[] dy = TestSupport.random(7, out(g).size());
        double[] ey = new double[out(g).size()];
        double[] edx = new double[in(g).size()];
        maxReference(g, x, dy, ey, edx);
        try (Tensor xt = b.upload(x, in(g)); Tensor y = b.upload(TestSupport.random(1, out(g).size()), out(g));
             Tensor dyt = b.upload(dy, out(g)); Tensor dx = b.upload(TestSupport.random(2, in(g).size()), in(g))) {
            b.pooling().maxForward(g, xt, y);
            TestSupport.assertCloseNonFinite(ey, y.toArray());
            b.pooling().maxBackward(g, xt, y, dyt, dx);
            TestSupport.assertClose(edx, dx.toArray());
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("avgCases")
    void avgPoolingMatchesPyTorchLoop(Family f, PoolGeometry g) {
        CpuBackend b = backend(f);
        float[] x = TestSupport.random(g.hashCode(), in(g).size());
        float[] dy = TestSupport.random(8, out(g).size());
        double[] ey = new double[out(g).size()];
        double[] edx = new double[in(g).size()];
        avgReference(g, x, dy, ey, edx);
        try (Tensor xt = b.upload(x, in(g)); Tensor y = b.upload(TestSupport.random(1, out(g).size()), out(g));
             Tensor dyt = b.upload(dy, out(g)); Tensor dx = b.upload(TestSupport.random(2, in(g).size()), in(g))) {
            b.pooling().avgForward(g, xt, y);
            TestSupport.assertClose(ey, y.toArray());
            b.pooling().avgBackward(g, dyt, dx);
            TestSupport.assertClose(edx, dx.toArray());
        }
    }

    static Stream<Arguments> adaptiveCases() {
        int[][] shapes = {{2, 3, 7, 9, 3, 4}, {1, 2, 5, 5, 5, 5}, {1, 2, 5, 6, 1, 1}, {2, 2, 4, 4, 7, 6},
            {1, 1, 10, 13, 3, 5}, {4, 32, 28, 28, 7, 7}, {1, 3, 1, 17, 1, 5}};
        return families().flatMap(f -> Stream.of(shapes).flatMap(s ->
                Stream.of(Arguments.of(f, s, "random"), Arguments.of(f, s, "ties"), Arguments.of(f, s, "nonfinite"))));
    }

    @ParameterizedTest(name = "{0} {2}: {1}")
    @MethodSource("adaptiveCases")
    void adaptivePoolingMatchesPyTorchWindows(Family f, int[] s, String kind) {
        CpuBackend b = backend(f);
        int planes = s[0] * s[1];
        int h = s[2];
        int w = s[3];
        int oh = s[4];
        int ow = s[5];
        Shape xs = Shape.of(s[0], s[1], h, w);
        Shape ys = Shape.of(s[0], s[1], oh, ow);
        float[] x = data(kind, xs.size(), 3);
        float[] dy = TestSupport.random(4, ys.size());
        double[] maxY = new double[ys.size()];
        double[] maxDx = new double[xs.size()];
        double[] avgY = new double[ys.size()];
        double[] avgDx = new double[xs.size()];
        for (int p = 0; p < planes; p++) {
            for (int r = 0; r < oh; r++) {
                int hs = r * h / oh;
                int he = ((r + 1) * h + oh - 1) / oh;
                for (int c = 0; c < ow; c++) {
                    int ws = c * w / ow;
                    int we = ((c + 1) * w + ow - 1) / ow;
                    int o = (p * oh + r) * ow + c;
                    double m = Double.NEGATIVE_INFINITY;
                    int at = (p * h + hs) * w + ws;
                    double sum = 0;
                    int cnt = (he - hs) * (we - ws);
                    for (int ih = hs; ih < he; ih++) {
                        for (int iw = ws; iw < we; iw++) {
                            int idx = (p * h + ih) * w + iw;
                            double v = x[idx];
                            sum += v;
                            if (v > m || Double.isNaN(v)) {
                                m = v;
                                at = idx;
                            }
                            avgDx[idx] += (double) dy[o] / cnt;
                        }
                    }
                    maxY[o] = m;
                    maxDx[at] += dy[o];
                    avgY[o] = sum / cnt;
                }
            }
        }
        try (Tensor xt = b.upload(x, xs); Tensor y = b.allocate(ys); Tensor dyt = b.upload(dy, ys);
             Tensor dx = b.upload(TestSupport.random(5, xs.size()), xs)) {
            b.pooling().adaptiveMaxForward(xt, y);
            TestSupport.assertCloseNonFinite(maxY, y.toArray());
            b.pooling().adaptiveMaxBackward(xt, y, dyt, dx);
            TestSupport.assertClose(maxDx, dx.toArray());
            if (!kind.equals("nonfinite")) {
                b.pooling().adaptiveAvgForward(xt, y);
                TestSupport.assertClose(avgY, y.toArray());
                b.pooling().adaptiveAvgBackward(dyt, dx);
                TestSupport.assertClose(avgDx, dx.toArray());
            }
        }
    }

    /**
     * Global average pooling gives every plane the float sum of the plane-by-plane loop (each column over the rows in
     * order, the columns added to 0 in order, then divided by h*w) bit for bit, on the interleaved path for small planes
     * ({@code CpuPoolingOps#interleavedMeans}, whole blocks of lanes, the rest plane by plane) and on larger planes
     * (wider than a vector: column sums in registers, strips of four vectors and single ones, the last plane through
     * {@code row} where a strip would read past the tensor); magnitudes apart so that another order would round differently, and special values.
     */
    @ParameterizedTest
    @MethodSource("org.layers4j.cpu.OpsTestBase#families")
    void globalAverageHasThePlaneLoopsSumsBitForBit(Family f) {
        CpuBackend b = backend(f);
        int[][] shapes = {{1, 40, 7, 7}, {2, 33, 8, 8}, {3, 16, 1, 1}, {1, 17, 5, 3}, {1, 64, 2, 9}, {2, 20, 9, 9},
            {1, 48, 14, 14}, {1, 5, 7, 7}, {2, 3, 56, 56}, {1, 4, 112, 112}, {1, 3, 30, 71}, {2, 2, 9, 130}, {1, 2, 3, 17}};
        for (int[] sh : shapes) {
            int planes = sh[0] * sh[1];
            int size = sh[2] * sh[3];
            float[] x = TestSupport.random(11 + size, planes * size);
            float[] special = {Float.NaN, Float.POSITIVE_INFINITY, -0f, Float.NEGATIVE_INFINITY};
            for (int i = 0; i < x.length; i++) {
                if (i % 5 == 2) {
                    x[i] *= 1e7f;
                } else if (i % 331 == 17) {
                    x[i] = special[(i / 331) % special.length];
                }
            }
            float[] expected = new float[planes];
            for (int p = 0; p < planes; p++) {
                float s = 0f;
                for (int c = 0; c < sh[3]; c++) {
                    float col = x[p * size + c];
                    for (int r = 1; r < sh[2]; r++) {
                        col = col + x[p * size + r * sh[3] + c];
                    }
                    s = s + col;
                }
                expected[p] = s / size;
            }
            try (Tensor xt = b.upload(x, Shape.of(sh[0], sh[1], sh[2], sh[3]));
                 Tensor y = b.allocate(Shape.of(sh[0], sh[1], 1, 1))) {
                b.pooling().adaptiveAvgForward(xt, y);
                float[] actual = y.toArray();
                for (int p = 0; p < planes; p++) {
                    assertEquals(Float.floatToIntBits(expected[p]), Float.floatToIntBits(actual[p]),
                            java.util.Arrays.toString(sh) + ", plane " + p + ": " + actual[p] + " against " + expected[p]);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("org.layers4j.cpu.OpsTestBase#families")
    void tiesSendTheGradientToTheFirstMaximumOnly(Family f) {
        CpuBackend b = backend(f);
        PoolGeometry g = geometry(1, 1, 2, 2, 2, 2, 2, 0, 1, false, true, 0);
        try (Tensor x = b.upload(new float[] {1, 3, 3, 3}, Shape.of(1, 1, 2, 2)); Tensor y = b.allocate(Shape.of(1, 1, 1, 1));
             Tensor dy = b.upload(new float[] {5}, Shape.of(1, 1, 1, 1)); Tensor dx = b.allocate(Shape.of(1, 1, 2, 2))) {
            b.pooling().maxForward(g, x, y);
            assertEquals(3f, y.toArray()[0]);
            b.pooling().maxBackward(g, x, y, dy, dx);
            TestSupport.assertClose(new double[] {0, 5, 0, 0}, dx.toArray());
        }
    }
}
