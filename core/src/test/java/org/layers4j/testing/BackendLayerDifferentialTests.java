package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.nn.activation.LeakyReLU;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.Sigmoid;
import org.layers4j.nn.activation.Softmax;
import org.layers4j.nn.activation.Tanh;
import org.layers4j.nn.linear.Embedding;
import org.layers4j.nn.linear.Linear;
import org.layers4j.nn.norm.BatchNorm;
import org.layers4j.nn.norm.BatchNorm1d;
import org.layers4j.nn.norm.BatchNorm2d;
import org.layers4j.nn.pool.AdaptiveAvgPool1d;
import org.layers4j.nn.pool.AdaptiveAvgPool2d;
import org.layers4j.nn.pool.AdaptiveMaxPool2d;
import org.layers4j.nn.pool.AvgPool1d;
import org.layers4j.nn.pool.AvgPool2d;
import org.layers4j.nn.pool.MaxPool1d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.PoolOptions;
import org.layers4j.spi.Backend;

/**
 * Randomized differential tests of the non-convolution layers: for each layer type, {@value #CONFIGS}
 * seeded random configurations (small sizes; extremes such as kernel == input, 1x1 inputs, batch 1,
 * unbatched inputs, stride > kernel, ceil-mode last windows, ties and NaN in max pooling, |x| up to 80
 * for softmax and sigmoid, negative padding_idx, one channel) through the public API on one backend,
 * recorded on a {@link Tape}: output, input gradient and parameter gradients (and BatchNorm's running
 * buffers after a training forward) against the float64 {@link LayerReference}, by the fixtures' rule
 * max|err| <= 1e-4 * max(1, max|expected|) (NaN must match NaN).
 */
public abstract class BackendLayerDifferentialTests {
    static final int CONFIGS = 250;
    private static final double TOL = 1e-4;

    protected abstract Backend backend();

    // ---- harness --------------------------------------------------------------------------------

    /** One configuration: a description for messages, and a check returning null or the problem. */
    private interface Case {
        String check() throws Exception;
    }

    /** Runs {@code CONFIGS} configurations drawn by {@code draw} from a seeded RNG; fails listing the first ten bad ones. */
    private void runConfigs(String layer, long seed, Function<SplittableRandom, Case> draw) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> failures = new ArrayList<>();
        int done = 0;
        while (done < CONFIGS) {
            Case c = draw.apply(rng);
            if (c == null) {
                continue; // an invalid draw (empty output): draw again
            }
            String problem;
            try {
                problem = c.check();
            } catch (Exception | AssertionError e) {
                problem = "threw " + e;
            }
            if (problem != null) {
                failures.add(c + ": " + problem);
            }
            done++;
        }
        assertTrue(failures.isEmpty(), () -> layer + ": " + failures.size() + " of " + CONFIGS + " configurations failed:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    /** A Case whose toString is the configuration. */
    private static Case named(String description, Case check) {
        return new Case() {
            @Override
            public String check() throws Exception {
                return check.check();
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    /**
     * Null when {@code actual} matches {@code expected}: NaN exactly where expected is NaN, infinities
     * equal, and otherwise max|a - e| <= tol * max(1, max|e| over finite e).
     */
    static String mismatch(String what, float[] actual, double[] expected, double tol) {
        if (actual.length != expected.length) {
            return what + ": " + actual.length + " values, expected " + expected.length;
        }
        double maxAbs = 0;
        for (double e : expected) {
            if (Double.isFinite(e)) {
                maxAbs = Math.max(maxAbs, Math.abs(e));
            }
        }
        double limit = tol * Math.max(1, maxAbs);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i];
            double e = expected[i];
            if (Double.isNaN(e) || Double.isNaN(a) || Double.isInfinite(e) || Double.isInfinite(a)) {
                if (!(Double.isNaN(e) && Double.isNaN(a)) && a != e) {
                    return what + ": at " + i + " got " + actual[i] + ", expected " + e;
                }
                continue;
            }
            double d = Math.abs(a - e);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        return worst <= limit ? null : String.format("%s: max error %.3g > %.3g at %d: %s vs %s", what, worst, limit, at,
                actual[at], expected[at]);
    }

    private static String first(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    /** What one recorded forward and backward gave. */
    private record Run(int[] shape, float[] output, float[] gradInput, Map<String, float[]> gradParams) {
    }

    /**
     * Forward on a tape, then (when the output has the expected shape) backward of dy; the parameter gradients are the accumulated {@link Parameter#grad()} (null: none flowed).
     */
    private Run record(Module m, Tensor x, int[] outShape, float[] dy) {
        Backend be = backend();
        try (Tape t = Tape.start()) {
            Tensor y = m.forward(x);
            try {
                if (!Arrays.equals(y.shape().dims(), outShape)) {
                    return new Run(y.shape().dims(), null, null, Map.of());
                }
                try (Tensor dyt = be.upload(dy, y.shape()); Gradients g = t.backward(y, dyt)) {
                    float[] out = y.toArray();
                    Tensor gx = x.dtype() == DType.FLOAT32 ? g.of(x) : null;
                    Map<String, float[]> pg = new LinkedHashMap<>();
                    for (Map.Entry<String, Parameter> e : m.namedParameterObjects().entrySet()) {
                        Tensor gr = e.getValue().grad();
                        pg.put(e.getKey(), gr == null ? null : gr.toArray());
                    }
                    return new Run(y.shape().dims(), out, gx == null ? null : gx.toArray(), pg);
                }
            } finally {
                y.close();
            }
        }
    }

    /**
     * Checks a module on x against the reference: output shape and values, input gradient (when the
     * reference has one) and each named parameter gradient (a missing one counts as zeros).
     */
    private String compare(Module m, Tensor x, int[] outShape, float[] dy, LayerReference.Result ref,
                           Map<String, double[]> paramGrads) {
        if (dy.length != LayerReference.size(outShape)) {
            throw new IllegalStateException("test bug: dy for " + Arrays.toString(outShape));
        }
        Run r = record(m, x, outShape, dy);
        if (!Arrays.equals(r.shape(), outShape)) {
            return "output shape " + Arrays.toString(r.shape()) + ", expected " + Arrays.toString(outShape);
        }
        String p = mismatch("output", r.output(), ref.output(), TOL);
        if (p == null && ref.gradInput() != null) {
            p = r.gradInput() == null ? "no gradient reached the input" : mismatch("grad_input", r.gradInput(),
                    ref.gradInput(), TOL);
        }
        if (p == null) {
            for (Map.Entry<String, double[]> e : paramGrads.entrySet()) {
                if (!r.gradParams().containsKey(e.getKey())) {
                    return "no parameter '" + e.getKey() + "', the layer has " + r.gradParams().keySet();
                }
                float[] got = r.gradParams().get(e.getKey());
                p = mismatch("grad_" + e.getKey(), got == null ? new float[e.getValue().length] : got, e.getValue(), TOL);
                if (p != null) {
                    break;
                }
            }
        }
        return p;
    }

    private static Map<String, double[]> grads(Object... nameValue) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            if (nameValue[i + 1] != null) {
                m.put((String) nameValue[i], (double[]) nameValue[i + 1]);
            }
        }
        return m;
    }

    /**
     * Random values of one of four kinds: 0 uniform [-1, 1]; 1 a small integer set {-2..2} (ties, zeros);
     * 2 large, uniform [-80, 80] with some exactly ±80; 3 uniform [-1, 1] with some exact zeros.
     */
    static float[] values(SplittableRandom r, int n, int kind) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            switch (kind) {
                case 1 -> v[i] = r.nextInt(5) - 2;
                case 2 -> v[i] = r.nextInt(6) == 0 ? (r.nextBoolean() ? 80f : -80f) : (float) (r.nextDouble() * 160 - 80);
                case 3 -> v[i] = r.nextInt(4) == 0 ? 0f : (float) (r.nextDouble() * 2 - 1);
                default -> v[i] = (float) (r.nextDouble() * 2 - 1);
            }
        }
        return v;
    }

    static double[] d(float[] v) {
        return TestData.toDouble(v);
    }

    private static int[] randomDims(SplittableRandom r, int rank, int max) {
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = 1 + r.nextInt(max);
        }
        return dims;
    }

    // ---- Linear ---------------------------------------------------------------------------------

    @Test
    void linearWithAnyLeadingDimsAndOptionalBiasMatchesReference() {
        runConfigs("Linear", 7001, r -> {
            int in = 1 + r.nextInt(r.nextInt(5) == 0 ? 1 : 9);
            int out = 1 + r.nextInt(r.nextInt(5) == 0 ? 1 : 7);
            boolean bias = r.nextBoolean();
            int[] lead = randomDims(r, r.nextInt(4), 4);
            int[] xShape = Arrays.copyOf(lead, lead.length + 1);
            xShape[lead.length] = in;
            int[] yShape = xShape.clone();
            yShape[lead.length] = out;
            int rows = LayerReference.size(lead);
            float[] x = values(r, rows * in, r.nextInt(4));
            float[] w = values(r, out * in, 0);
            float[] b = bias ? values(r, out, 0) : null;
            float[] dy = values(r, rows * out, 0);
            String desc = "Linear(in=" + in + ", out=" + out + ", bias=" + bias + ") x=" + Arrays.toString(xShape);
            return named(desc, () -> {
                Backend be = backend();
                try (Linear m = new Linear(in, out, bias, be, 1); Tensor xt = be.upload(x, Shape.of(xShape))) {
                    m.setParameter("weight", w);
                    if (bias) {
                        m.setParameter("bias", b);
                    }
                    LayerReference.Result ref = LayerReference.linear(rows, in, out, d(x), d(w), bias ? d(b) : null, d(dy));
                    return compare(m, xt, yShape, dy, ref, grads("weight", ref.gradWeight(), "bias", ref.gradBias()));
                }
            });
        });
    }

    // ---- fixed-window pooling -------------------------------------------------------------------

    /** A random pooling draw; null when its output would be empty. */
    private Case poolCase(SplittableRandom r, int dims, boolean max) {
        int[] k = new int[dims];
        int[] s = new int[dims];
        int[] p = new int[dims];
        int[] dil = new int[dims];
        int[] in = new int[dims];
        boolean defaultStride = r.nextInt(4) == 0;
        for (int i = 0; i < dims; i++) {
            k[i] = 1 + r.nextInt(4);
            s[i] = defaultStride ? k[i] : 1 + r.nextInt(5); // stride > kernel included
            p[i] = r.nextInt(k[i] / 2 + 1);
            dil[i] = max && r.nextInt(3) == 0 ? 2 + r.nextInt(2) : 1;
            int span = dil[i] * (k[i] - 1) + 1;
            in[i] = r.nextInt(6) == 0 ? k[i] : Math.max(1, span - 2 * p[i] + r.nextInt(7)); // kernel == input included
            if (r.nextInt(8) == 0) {
                in[i] = 1;
                k[i] = 1;
                p[i] = 0;
                dil[i] = 1;
                s[i] = defaultStride ? 1 : s[i];
            }
        }
        boolean ceil = r.nextBoolean();
        boolean cip = r.nextBoolean();
        Integer div = !max && dims == 2 && r.nextInt(4) == 0 ? 1 + r.nextInt(5) : null;
        boolean batched = r.nextInt(5) != 0;
        int n = batched ? 1 + r.nextInt(3) : 1;
        int c = 1 + r.nextInt(3);
        int h = dims == 2 ? in[0] : 1;
        int w = in[dims - 1];
        LayerReference.Pool g = dims == 2
                ? new LayerReference.Pool(n, c, h, w, k[0], k[1], s[0], s[1], p[0], p[1], dil[0], dil[1], ceil, cip, div)
                : new LayerReference.Pool(n, c, 1, w, 1, k[0], 1, s[0], 0, p[0], 1, dil[0], ceil, cip, div);
        int oh = g.outH();
        int ow = g.outW();
        if (oh < 1 || ow < 1 || (max && LayerReference.hasEmptyWindow(g))) {
            return null; // an empty output, or a max window of padding only (PyTorch's gradient is undefined there)
        }
        int[] xShape = batched ? (dims == 2 ? new int[] {n, c, h, w} : new int[] {n, c, w})
                : (dims == 2 ? new int[] {c, h, w} : new int[] {c, w});
        int[] yShape = batched ? (dims == 2 ? new int[] {n, c, oh, ow} : new int[] {n, c, ow})
                : (dims == 2 ? new int[] {c, oh, ow} : new int[] {c, ow});
        int kind = r.nextInt(max ? 4 : 3);
        float[] x = values(r, LayerReference.size(xShape), kind == 3 ? 0 : kind == 2 ? 1 : kind);
        if (max && kind == 3) {
            x[r.nextInt(x.length)] = Float.NaN; // one NaN: it wins every window it is in, and takes their gradient
        }
        float[] dy = values(r, LayerReference.size(yShape), 0);
        boolean single = r.nextBoolean();
        PoolOptions o = PoolOptions.of(single && allEqual(k) ? new int[] {k[0]} : k).padding(single && allEqual(p)
                ? new int[] {p[0]} : p).ceilMode(ceil).backend(backend());
        if (!defaultStride) {
            o.stride(s);
        }
        if (max) {
            o.dilation(dil);
        } else {
            o.countIncludePad(cip).divisorOverride(div);
        }
        String desc = (max ? "MaxPool" : "AvgPool") + dims + "d(kernel=" + Arrays.toString(k) + ", stride="
                + (defaultStride ? "None" : Arrays.toString(s)) + ", padding=" + Arrays.toString(p)
                + (max ? ", dilation=" + Arrays.toString(dil) : ", count_include_pad=" + cip + ", divisor_override=" + div)
                + ", ceil_mode=" + ceil + ") x=" + Arrays.toString(xShape) + " values=" + kindName(kind, max);
        return named(desc, () -> {
            Backend be = backend();
            try (Module m = dims == 2 ? (max ? new MaxPool2d(o) : new AvgPool2d(o)) : (max ? new MaxPool1d(o) : new AvgPool1d(o));
                 Tensor xt = be.upload(x, Shape.of(xShape))) {
                LayerReference.Result ref = max ? LayerReference.maxPool(g, d(x), d(dy)) : LayerReference.avgPool(g, d(x), d(dy));
                return compare(m, xt, yShape, dy, ref, Map.of());
            }
        });
    }

    private static String kindName(int kind, boolean max) {
        return switch (kind) {
            case 1, 2 -> "integers";
            case 3 -> max ? "uniform+NaN" : "uniform";
            default -> "uniform";
        };
    }

    private static boolean allEqual(int[] v) {
        return Arrays.stream(v).allMatch(e -> e == v[0]);
    }

    @Test
    void maxPool1dWithStridePaddingDilationCeilModeTiesAndNanMatchesReference() {
        runConfigs("MaxPool1d", 7101, r -> poolCase(r, 1, true));
    }

    @Test
    void maxPool2dWithStridePaddingDilationCeilModeTiesAndNanMatchesReference() {
        runConfigs("MaxPool2d", 7102, r -> poolCase(r, 2, true));
    }

    @Test
    void avgPool1dWithCeilModeAndCountIncludePadMatchesReference() {
        runConfigs("AvgPool1d", 7103, r -> poolCase(r, 1, false));
    }

    @Test
    void avgPool2dWithCeilModeCountIncludePadAndDivisorOverrideMatchesReference() {
        runConfigs("AvgPool2d", 7104, r -> poolCase(r, 2, false));
    }

    // ---- adaptive pooling -----------------------------------------------------------------------

    private Case adaptiveCase(SplittableRandom r, int dims, boolean max) {
        boolean batched = r.nextInt(5) != 0;
        int n = batched ? 1 + r.nextInt(3) : 1;
        int c = 1 + r.nextInt(3);
        int h = dims == 2 ? 1 + r.nextInt(r.nextInt(6) == 0 ? 1 : 8) : 1;
        int w = 1 + r.nextInt(r.nextInt(6) == 0 ? 1 : 9);
        // output sizes: smaller, equal (null: the input's size in 2-D), larger (overlapping windows), 1
        Integer oH = dims == 2 ? pickOut(r, h, true) : Integer.valueOf(1);
        Integer oW = pickOut(r, w, dims == 2);
        boolean square = dims == 2 && r.nextInt(4) == 0;
        if (square) {
            oW = oH;
        }
        int oh = dims == 2 ? (oH == null ? h : oH) : 1;
        int ow = oW == null ? w : oW;
        int[] xShape = batched ? (dims == 2 ? new int[] {n, c, h, w} : new int[] {n, c, w})
                : (dims == 2 ? new int[] {c, h, w} : new int[] {c, w});
        int[] yShape = batched ? (dims == 2 ? new int[] {n, c, oh, ow} : new int[] {n, c, ow})
                : (dims == 2 ? new int[] {c, oh, ow} : new int[] {c, ow});
        int kind = r.nextInt(3);
        float[] x = values(r, LayerReference.size(xShape), kind == 2 ? 1 : kind);
        if (max && kind == 0 && r.nextInt(3) == 0) {
            x[r.nextInt(x.length)] = Float.NaN;
        }
        float[] dy = values(r, LayerReference.size(yShape), 0);
        Integer fh = oH;
        Integer fw = oW;
        String desc = (max ? "AdaptiveMaxPool" : "AdaptiveAvgPool") + dims + "d(output_size="
                + (dims == 1 ? String.valueOf(ow) : square ? String.valueOf(fh) : "(" + fh + ", " + fw + ")") + ") x="
                + Arrays.toString(xShape) + (kind == 0 ? " uniform" : " integers");
        return named(desc, () -> {
            Backend be = backend();
            Module m = dims == 1 ? new AdaptiveAvgPool1d(ow, be)
                    : max ? (square ? new AdaptiveMaxPool2d(be, fh) : new AdaptiveMaxPool2d(be, fh, fw))
                    : (square ? new AdaptiveAvgPool2d(be, fh) : new AdaptiveAvgPool2d(be, fh, fw));
            try (m; Tensor xt = be.upload(x, Shape.of(xShape))) {
                LayerReference.Result ref = LayerReference.adaptivePool(max, n * c, h, w, oh, ow, d(x), d(dy));
                return compare(m, xt, yShape, dy, ref, Map.of());
            }
        });
    }

    private static Integer pickOut(SplittableRandom r, int in, boolean allowNull) {
        return switch (r.nextInt(5)) {
            case 0 -> 1;
            case 1 -> allowNull && r.nextBoolean() ? null : Integer.valueOf(in);
            case 2 -> in + 1 + r.nextInt(4);
            default -> 1 + r.nextInt(in);
        };
    }

    @Test
    void adaptiveAvgPool1dWindowsFloorStartCeilEndMatchReference() {
        runConfigs("AdaptiveAvgPool1d", 7201, r -> adaptiveCase(r, 1, false));
    }

    @Test
    void adaptiveAvgPool2dWindowsFloorStartCeilEndMatchReference() {
        runConfigs("AdaptiveAvgPool2d", 7202, r -> adaptiveCase(r, 2, false));
    }

    @Test
    void adaptiveMaxPool2dWithTiesAndNanMatchesReference() {
        runConfigs("AdaptiveMaxPool2d", 7203, r -> adaptiveCase(r, 2, true));
    }

    // ---- BatchNorm ------------------------------------------------------------------------------

    private Case batchNormCase(SplittableRandom r, boolean twoD) {
        int c = 1 + r.nextInt(4);
        int n = 1 + r.nextInt(4);
        int[] xShape;
        if (twoD) {
            xShape = new int[] {n, c, 1 + r.nextInt(4), 1 + r.nextInt(4)};
        } else {
            xShape = r.nextBoolean() ? new int[] {n, c} : new int[] {n, c, 1 + r.nextInt(5)};
        }
        int s = LayerReference.size(xShape) / (n * c);
        boolean training = r.nextInt(3) != 0;
        boolean affine = r.nextBoolean();
        boolean track = r.nextInt(4) != 0;
        if (training && n * s <= 1) {
            return null; // PyTorch rejects one value per channel when training (BadInputTests covers it)
        }
        Double momentum = switch (r.nextInt(6)) {
            case 0 -> null;
            case 1 -> 0.0;
            case 2 -> 1.0;
            case 3 -> r.nextDouble();
            default -> 0.1;
        };
        double eps = r.nextBoolean() ? 1e-5 : 1e-3 * (1 + r.nextInt(100));
        int kind = r.nextInt(3); // uniform, integers (constant channels: variance 0), uniform with zeros
        float[] x = values(r, LayerReference.size(xShape), kind == 2 ? 3 : kind);
        if (r.nextInt(5) == 0) {
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 4 + 3; // a mean far from 0
            }
        }
        float[] w = affine ? values(r, c, 0) : null;
        float[] b = affine ? values(r, c, 0) : null;
        float[] rm = track ? values(r, c, 0) : null;
        float[] rv = new float[c];
        for (int i = 0; i < c; i++) {
            rv[i] = (float) (0.2 + r.nextDouble() * 2);
        }
        long tracked = r.nextInt(4) == 0 ? 0 : r.nextInt(6);
        float[] dy = values(r, x.length, 0);
        String desc = "BatchNorm" + (twoD ? "2d" : "1d") + "(" + c + ", eps=" + eps + ", momentum=" + momentum
                + ", affine=" + affine + ", track_running_stats=" + track + ") " + (training ? "train" : "eval")
                + " x=" + Arrays.toString(xShape) + " num_batches_tracked=" + tracked;
        return named(desc, () -> {
            Backend be = backend();
            BatchNorm m = twoD ? new BatchNorm2d(c, eps, momentum, affine, track, be)
                    : new BatchNorm1d(c, eps, momentum, affine, track, be);
            try (m; Tensor xt = be.upload(x, Shape.of(xShape))) {
                m.train(training);
                if (affine) {
                    m.setParameter("weight", w);
                    m.setParameter("bias", b);
                }
                if (track) {
                    m.setParameter("running_mean", rm);
                    m.setParameter("running_var", rv);
                    m.set("num_batches_tracked", HostTensor.ofLongs(Shape.of(), new long[] {tracked}));
                }
                LayerReference.Norm ref = LayerReference.batchNorm(training, n, c, s, d(x), affine ? d(w) : null,
                        affine ? d(b) : null, track ? d(rm) : null, track ? d(rv) : null, tracked, momentum, eps, d(dy));
                String p = compare(m, xt, xShape, dy, ref.result(), grads("weight", ref.result().gradWeight(),
                        "bias", ref.result().gradBias()));
                if (p != null || !track) {
                    return p;
                }
                long gotTracked = m.get("num_batches_tracked").toLongArray()[0];
                return first(mismatch("running_mean", m.get("running_mean").toArray(), ref.runningMean(), TOL),
                        mismatch("running_var", m.get("running_var").toArray(), ref.runningVar(), TOL),
                        gotTracked == ref.numBatchesTracked() ? null
                                : "num_batches_tracked " + gotTracked + ", expected " + ref.numBatchesTracked());
            }
        });
    }

    @Test
    void batchNorm1dTrainingAndEvalOutputsGradientsAndRunningStatsMatchReference() {
        runConfigs("BatchNorm1d", 7301, r -> batchNormCase(r, false));
    }

    @Test
    void batchNorm2dTrainingAndEvalOutputsGradientsAndRunningStatsMatchReference() {
        runConfigs("BatchNorm2d", 7302, r -> batchNormCase(r, true));
    }

    // ---- Embedding ------------------------------------------------------------------------------

    @Test
    void embeddingLookupAndGradientSkippingPaddingIdxMatchReference() {
        runConfigs("Embedding", 7401, r -> {
            int num = 1 + r.nextInt(r.nextInt(5) == 0 ? 1 : 10);
            int dim = 1 + r.nextInt(5);
            Integer pad = switch (r.nextInt(4)) {
                case 0 -> null;
                case 1 -> -1 - r.nextInt(num); // negative: counts from the end
                default -> r.nextInt(num);
            };
            Integer padNorm = pad == null ? null : pad < 0 ? pad + num : pad;
            int[] idxShape = randomDims(r, r.nextInt(4), 4); // rank 0 (one index) to 3
            long[] idx = new long[LayerReference.size(idxShape)];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = padNorm != null && r.nextInt(3) == 0 ? padNorm : r.nextInt(num);
            }
            int[] yShape = Arrays.copyOf(idxShape, idxShape.length + 1);
            yShape[idxShape.length] = dim;
            float[] w = values(r, num * dim, 0);
            float[] dy = values(r, idx.length * dim, 0);
            String desc = "Embedding(" + num + ", " + dim + ", padding_idx=" + pad + ") indices=" + Arrays.toString(idxShape);
            return named(desc, () -> {
                Backend be = backend();
                try (Embedding m = new Embedding(num, dim, pad, be, 1); Tensor xt = be.upload(idx, Shape.of(idxShape))) {
                    m.setParameter("weight", w);
                    LayerReference.Result ref = LayerReference.embedding(idx, d(w), dim, padNorm, d(dy));
                    return compare(m, xt, yShape, dy, ref, grads("weight", ref.gradWeight()));
                }
            });
        });
    }

    // ---- activations ----------------------------------------------------------------------------

    private Case softmaxCase(SplittableRandom r, boolean log) {
        int rank = r.nextInt(5);
        int[] shape = randomDims(r, rank, 5);
        int span = Math.max(1, rank);
        int dim = r.nextInt(2 * span) - span; // [-rank, rank - 1]
        int dd = dim < 0 ? dim + span : dim;
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < rank; i++) {
            if (i < dd) {
                outer *= shape[i];
            } else if (i > dd) {
                inner *= shape[i];
            }
        }
        int size = rank == 0 ? 1 : shape[dd];
        int kind = r.nextInt(4);
        float[] x = values(r, LayerReference.size(shape), kind);
        if (kind == 0 && r.nextBoolean()) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= 20; // spread: some probabilities near 0 and 1
            }
        }
        float[] dy = values(r, x.length, 0);
        int o = outer;
        int in = inner;
        String desc = (log ? "LogSoftmax" : "Softmax") + "(dim=" + dim + ") x=" + Arrays.toString(shape) + " values="
                + new String[] {"uniform", "integers", "±80", "uniform+zeros"}[kind];
        return named(desc, () -> {
            Backend be = backend();
            try (Module m = log ? new LogSoftmax(dim, be) : new Softmax(dim, be); Tensor xt = be.upload(x, Shape.of(shape))) {
                return compare(m, xt, shape, dy, LayerReference.softmax(log, o, size, in, d(x), d(dy)), Map.of());
            }
        });
    }

    @Test
    void softmaxAlongAnyDimWithLargeInputsMatchesReference() {
        runConfigs("Softmax", 7501, r -> softmaxCase(r, false));
    }

    @Test
    void logSoftmaxAlongAnyDimWithLargeInputsMatchesReference() {
        runConfigs("LogSoftmax", 7502, r -> softmaxCase(r, true));
    }

    private enum Elementwise { SIGMOID, TANH, LEAKY_RELU }

    private Case elementwiseCase(SplittableRandom r, Elementwise kindOfLayer) {
        int[] shape = randomDims(r, r.nextInt(5), 4);
        int kind = r.nextInt(4);
        float[] x = values(r, LayerReference.size(shape), kind);
        if (kind == 0 && r.nextBoolean()) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= 10;
            }
        }
        double slope = switch (r.nextInt(6)) {
            case 0 -> 0.0;
            case 1 -> 1.0;
            case 2 -> -0.5;
            case 3 -> 2 + r.nextDouble();
            case 4 -> r.nextDouble();
            default -> 0.01;
        };
        float[] dy = values(r, x.length, 0);
        String desc = switch (kindOfLayer) {
            case SIGMOID -> "Sigmoid()";
            case TANH -> "Tanh()";
            case LEAKY_RELU -> "LeakyReLU(negative_slope=" + slope + ")";
        } + " x=" + Arrays.toString(shape) + " values=" + new String[] {"uniform", "integers", "±80", "uniform+zeros"}[kind];
        return named(desc, () -> {
            Backend be = backend();
            Module m = switch (kindOfLayer) {
                case SIGMOID -> new Sigmoid(be);
                case TANH -> new Tanh(be);
                case LEAKY_RELU -> new LeakyReLU(slope, be);
            };
            try (m; Tensor xt = be.upload(x, Shape.of(shape))) {
                LayerReference.Result ref = switch (kindOfLayer) {
                    case SIGMOID -> LayerReference.sigmoid(d(x), d(dy));
                    case TANH -> LayerReference.tanh(d(x), d(dy));
                    case LEAKY_RELU -> LayerReference.leakyRelu(slope, d(x), d(dy));
                };
                return compare(m, xt, shape, dy, ref, Map.of());
            }
        });
    }

    @Test
    void sigmoidIncludingSaturatedInputsMatchesReference() {
        runConfigs("Sigmoid", 7601, r -> elementwiseCase(r, Elementwise.SIGMOID));
    }

    @Test
    void tanhIncludingSaturatedInputsMatchesReference() {
        runConfigs("Tanh", 7602, r -> elementwiseCase(r, Elementwise.TANH));
    }

    @Test
    void leakyReluWithAnySlopeAndGradientAtZeroMatchesReference() {
        runConfigs("LeakyReLU", 7603, r -> elementwiseCase(r, Elementwise.LEAKY_RELU));
    }

    // ---- shape layers ---------------------------------------------------------------------------

    @Test
    void flattenMergesStartToEndDimsAndPassesGradientThrough() {
        runConfigs("Flatten", 7701, r -> {
            int rank = r.nextInt(6);
            int[] shape = randomDims(r, rank, 4);
            int span = Math.max(1, rank);
            int a = r.nextInt(span);
            int b = a + r.nextInt(span - a);
            int start = r.nextBoolean() ? a : a - span;
            int end = r.nextBoolean() ? b : b - span;
            if (rank == 0) {
                start = r.nextBoolean() ? 0 : -1;
                end = r.nextBoolean() ? 0 : -1;
            }
            int[] outShape = LayerReference.flattenShape(shape, start, end);
            float[] x = values(r, LayerReference.size(shape), 0);
            float[] dy = values(r, x.length, 0);
            int s0 = start;
            int e0 = end;
            return named("Flatten(start_dim=" + start + ", end_dim=" + end + ") x=" + Arrays.toString(shape), () -> {
                Backend be = backend();
                try (Flatten m = new Flatten(s0, e0, be); Tensor xt = be.upload(x, Shape.of(shape))) {
                    return compare(m, xt, outShape, dy, LayerReference.identity(d(x), d(dy)), Map.of());
                }
            });
        });
    }

    @Test
    void dropoutInEvalModeAndAtPZeroIsIdentityAndAtPOneZeroes() {
        runConfigs("Dropout", 7801, r -> {
            int[] shape = randomDims(r, r.nextInt(5), 4);
            int mode = r.nextInt(4); // 0, 1: eval with any p; 2: training p = 0; 3: training p = 1
            double p = mode == 2 ? 0 : mode == 3 ? 1 : (r.nextBoolean() ? r.nextDouble() : r.nextInt(2));
            boolean training = mode >= 2;
            float[] x = values(r, LayerReference.size(shape), r.nextInt(4));
            float[] dy = values(r, x.length, 0);
            String desc = "Dropout(p=" + p + ") " + (training ? "train" : "eval") + " x=" + Arrays.toString(shape);
            return named(desc, () -> {
                Backend be = backend();
                try (Dropout m = new Dropout(p, 5, be); Tensor xt = be.upload(x, Shape.of(shape))) {
                    m.train(training);
                    LayerReference.Result ref = mode == 3
                            ? LayerReference.Result.of(new double[x.length], new double[x.length])
                            : LayerReference.identity(d(x), d(dy));
                    return compare(m, xt, shape, dy, ref, Map.of());
                }
            });
        });
    }

    // ---- Functional -----------------------------------------------------------------------------

    @Test
    void functionalAddGivesSumAndGradientToBothInputs() {
        runConfigs("Functional.add", 7901, r -> {
            int[] shape = randomDims(r, r.nextInt(5), 4);
            boolean same = r.nextInt(5) == 0; // add(a, a): the gradients of both uses sum
            float[] a = values(r, LayerReference.size(shape), r.nextInt(4));
            float[] b = same ? a : values(r, a.length, r.nextInt(4));
            float[] dy = values(r, a.length, 0);
            String desc = "add(" + (same ? "a, a" : "a, b") + ") shape=" + Arrays.toString(shape);
            return named(desc, () -> {
                Backend be = backend();
                Shape s = Shape.of(shape);
                try (Tensor at = be.upload(a, s); Tensor bt = same ? at.share() : be.upload(b, s)) {
                    Tensor bUse = same ? at : bt;
                    double[] expectedY = LayerReference.add(d(a), d(b));
                    double[] dyD = d(dy);
                    double[] twice = LayerReference.add(dyD, dyD);
                    try (Tape t = Tape.start()) {
                        Tensor y = Functional.add(at, bUse);
                        try (y; Tensor dyt = be.upload(dy, y.shape()); Gradients g = t.backward(y, dyt)) {
                            if (!y.shape().equals(s)) {
                                return "output shape " + y.shape().dimsString();
                            }
                            Tensor ga = g.of(at);
                            Tensor gb = g.of(bUse);
                            if (ga == null || gb == null) {
                                return "no gradient reached an input";
                            }
                            return first(mismatch("output", y.toArray(), expectedY, TOL),
                                    mismatch("grad_a", ga.toArray(), same ? twice : dyD, TOL),
                                    same ? null : mismatch("grad_b", gb.toArray(), dyD, TOL));
                        }
                    }
                }
            });
        });
    }

    @Test
    void functionalPermuteReordersAxesAndPermutesGradientBack() {
        runConfigs("Functional.permute", 7902, r -> {
            int rank = r.nextInt(6);
            int[] shape = randomDims(r, rank, 4);
            int[] perm = new int[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = i;
            }
            for (int i = rank - 1; i > 0; i--) {
                int j = r.nextInt(i + 1);
                int tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            int[] asGiven = perm.clone();
            for (int i = 0; i < rank; i++) {
                if (r.nextInt(3) == 0) {
                    asGiven[i] -= rank; // negative dims count from the end
                }
            }
            float[] x = values(r, LayerReference.size(shape), 0);
            int[] outShape = LayerReference.permutedDims(shape, perm);
            float[] dy = values(r, x.length, 0);
            String desc = "permute(" + Arrays.toString(asGiven) + ") x=" + Arrays.toString(shape);
            return named(desc, () -> {
                Backend be = backend();
                double[] expectedY = LayerReference.permute(d(x), shape, perm);
                double[] expectedDx = LayerReference.permute(d(dy), outShape, LayerReference.inverse(perm));
                try (Tensor xt = be.upload(x, Shape.of(shape)); Tape t = Tape.start()) {
                    Tensor y = Functional.permute(xt, asGiven);
                    try (y; Tensor dyt = be.upload(dy, y.shape()); Gradients g = t.backward(y, dyt)) {
                        if (!Arrays.equals(y.shape().dims(), outShape)) {
                            return "output shape " + y.shape().dimsString() + ", expected " + Arrays.toString(outShape);
                        }
                        Tensor gx = g.of(xt);
                        return first(mismatch("output", y.toArray(), expectedY, TOL),
                                gx == null ? "no gradient reached the input" : mismatch("grad_input", gx.toArray(),
                                        expectedDx, TOL));
                    }
                }
            });
        });
    }
}
