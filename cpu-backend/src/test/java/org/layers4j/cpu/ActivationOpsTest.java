package org.layers4j.cpu;

import java.util.Random;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/** Activations and softmax against float64 formulas, with NaN, infinities and large |x| among the inputs. */
class ActivationOpsTest extends OpsTestBase {
    private static final double SLOPE = 0.01;

    /** Sizes around the vector length and the chunk size, inputs mixing small, large and non-finite values. */
    static Stream<Arguments> cases() {
        return families().flatMap(f -> Stream.of(1, 15, 16, 33, 1000, (1 << 16) * 2 + 5).map(n -> Arguments.of(f, n)));
    }

    static float[] mixed(long seed, int size) {
        Random r = new Random(seed);
        float[] x = new float[size];
        float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 100f, -100f, 88.5f,
            -104f, 1e-30f, -1e-30f};
        for (int i = 0; i < size; i++) {
            x[i] = r.nextInt(8) == 0 ? specials[r.nextInt(specials.length)] : (r.nextFloat() * 2 - 1) * 6;
        }
        return x;
    }

    private static double[] map(float[] x, DoubleUnaryOperator op) {
        double[] e = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            e[i] = op.applyAsDouble(x[i]);
        }
        return e;
    }

    private static double[] map2(float[] a, float[] b, DoubleBinaryOperator op) {
        double[] e = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            e[i] = op.applyAsDouble(a[i], b[i]);
        }
        return e;
    }

    @ParameterizedTest(name = "{0} size {1}")
    @MethodSource("cases")
    void elementwiseActivationsAndGradients(Family f, int size) {
        CpuBackend b = backend(f);
        Shape s = Shape.of(size);
        float[] x = mixed(size, size);
        float[] dy = TestSupport.random(3, size);
        float[] yFrac = TestSupport.random(4, size); // plausible sigmoid / tanh outputs for the backwards
        for (int i = 0; i < size; i++) {
            yFrac[i] = Math.abs(yFrac[i]);
        }
        try (Tensor xt = b.upload(x, s); Tensor dyt = b.upload(dy, s); Tensor yt = b.upload(yFrac, s);
             Tensor out = b.upload(TestSupport.random(5, size), s)) {
            b.activation().relu(xt, out);
            TestSupport.assertCloseNonFinite(map(x, v -> Double.isNaN(v) ? v : Math.max(v, 0)), out.toArray());
            b.activation().reluBackward(xt, dyt, out);
            TestSupport.assertCloseNonFinite(map2(x, dy, (v, g) -> v <= 0 ? 0 : g), out.toArray());
            b.activation().leakyRelu(SLOPE, xt, out);
            TestSupport.assertCloseNonFinite(map(x, v -> v > 0 ? v : v * (float) SLOPE), out.toArray());
            b.activation().leakyReluBackward(SLOPE, xt, dyt, out);
            TestSupport.assertCloseNonFinite(map2(x, dy, (v, g) -> v > 0 ? g : g * (float) SLOPE), out.toArray());
            b.activation().sigmoid(xt, out);
            TestSupport.assertCloseNonFinite(map(x, v -> 1 / (1 + Math.exp(-v))), out.toArray());
            b.activation().tanh(xt, out);
            TestSupport.assertCloseNonFinite(map(x, Math::tanh), out.toArray());
            b.activation().sigmoidBackward(yt, dyt, out);
            TestSupport.assertClose(map2(yFrac, dy, (y, g) -> g * y * (1 - y)), out.toArray());
            b.activation().tanhBackward(yt, dyt, out);
            TestSupport.assertClose(map2(yFrac, dy, (y, g) -> g * (1 - y * y)), out.toArray());
            b.activation().relu(xt, xt); // in place
            TestSupport.assertCloseNonFinite(map(x, v -> Double.isNaN(v) ? v : Math.max(v, 0)), xt.toArray());
        }
    }

    static Stream<Arguments> softmaxCases() {
        int[][] shapes = {{1, 1, 1}, {3, 10, 1}, {2, 1000, 1}, {5, 17, 1}, {2, 7, 3}, {3, 5, 600}, {4, 33, 40},
            {300, 130, 1}, {2, 64, 700}};
        return families().flatMap(f -> Stream.of(shapes).flatMap(s -> Stream.of("plain", "large", "nonfinite")
                .flatMap(kind -> Stream.of(Arguments.of(f, s, kind, false), Arguments.of(f, s, kind, true)))));
    }

    @ParameterizedTest(name = "{0} {1} {2} log={3}")
    @MethodSource("softmaxCases")
    void softmaxAndBackwardAlongTheMiddleAxis(Family f, int[] s, String kind, boolean log) {
        CpuBackend b = backend(f);
        int outer = s[0];
        int size = s[1];
        int inner = s[2];
        int total = outer * size * inner;
        Random r = new Random(total);
        float[] x = new float[total];
        for (int i = 0; i < total; i++) {
            double v = r.nextGaussian() * 3;
            if (kind.equals("large")) {
                v = v * 100 + 1000;
            } else if (kind.equals("nonfinite") && r.nextInt(50) == 0) {
                v = r.nextBoolean() ? Double.NEGATIVE_INFINITY : r.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NaN;
            }
            x[i] = (float) v;
        }
        float[] dy = TestSupport.random(9, total);
        double[] ey = new double[total];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < inner; j++) {
                double max = Double.NEGATIVE_INFINITY;
                boolean nan = false;
                for (int t = 0; t < size; t++) {
                    double v = x[(o * size + t) * inner + j];
                    nan |= Double.isNaN(v);
                    max = Math.max(max, v);
                }
                double sum = 0;
                for (int t = 0; t < size; t++) {
                    sum += Math.exp(x[(o * size + t) * inner + j] - max);
                }
                for (int t = 0; t < size; t++) {
                    int k = (o * size + t) * inner + j;
                    double d = x[k] - max;
                    ey[k] = nan ? Double.NaN : log ? d - Math.log(sum) : Math.exp(d) / sum;
                }
            }
        }
        Shape sh = Shape.of(outer, size, inner);
        try (Tensor xt = b.upload(x, sh); Tensor y = b.upload(TestSupport.random(1, total), sh);
             Tensor dyt = b.upload(dy, sh); Tensor dx = b.allocate(sh)) {
            b.activation().softmax(log, outer, size, inner, xt, y);
            float[] yv = y.toArray();
            TestSupport.assertCloseNonFinite(ey, yv);
            if (kind.equals("nonfinite")) {
                return;
            }
            // the backward from the actual forward output, as layers call it
            double[] edx = new double[total];
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < inner; j++) {
                    double acc = 0;
                    for (int t = 0; t < size; t++) {
                        int k = (o * size + t) * inner + j;
                        acc += log ? dy[k] : (double) dy[k] * yv[k];
                    }
                    for (int t = 0; t < size; t++) {
                        int k = (o * size + t) * inner + j;
                        edx[k] = log ? dy[k] - Math.exp(yv[k]) * acc : yv[k] * (dy[k] - acc);
                    }
                }
            }
            b.activation().softmaxBackward(log, outer, size, inner, y, dyt, dx);
            TestSupport.assertClose(edx, dx.toArray());
            b.activation().softmax(log, outer, size, inner, xt, xt); // in place
            TestSupport.assertCloseNonFinite(ey, xt.toArray());
        }
    }
}
