package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Flatten;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.nn.activation.LeakyReLU;
import org.layers4j.nn.activation.LogSoftmax;
import org.layers4j.nn.activation.ReLU;
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
 * Bad arguments and bad inputs of the non-convolution layers: each must be an
 * {@link IllegalArgumentException} whose message names the offending value and the rule, thrown
 * before any compute — checked by a {@link Tape} that must have recorded nothing, and for BatchNorm by
 * running statistics and num_batches_tracked that must be unchanged. (An input on another instance of
 * the same backend is not covered here: core has no second backend instance to make one with.)
 */
public abstract class BadInputTests {

    protected abstract Backend backend();

    // ---- helpers --------------------------------------------------------------------------------

    /**
     * Asserts {@code call} throws IllegalArgumentException before any operation is recorded, with a
     * message containing every fragment: a fragment "#v" must appear as the number v (not inside a
     * longer number), a fragment "a|b" as either alternative (case-insensitive), anything else verbatim
     * (case-insensitive).
     */
    static IllegalArgumentException rejects(String what, Executable call, String... fragments) {
        IllegalArgumentException e;
        try (Tape t = Tape.start()) {
            Throwable thrown = null;
            try {
                call.execute();
            } catch (Throwable x) {
                thrown = x;
            }
            if (thrown == null) {
                fail(what + ": expected IllegalArgumentException, nothing was thrown");
            }
            if (!(thrown instanceof IllegalArgumentException)) {
                throw new AssertionError(what + ": expected IllegalArgumentException, got " + thrown, thrown);
            }
            e = (IllegalArgumentException) thrown;
            assertEquals(0, t.size(), what + ": " + t.size() + " operation(s) ran before the rejection (" + e.getMessage() + ")");
        }
        String msg = String.valueOf(e.getMessage());
        for (String f : fragments) {
            assertTrue(contains(msg, f), () -> what + ": message \"" + msg + "\" should name " + describe(f));
        }
        return e;
    }

    private static boolean contains(String msg, String fragment) {
        if (fragment.startsWith("#")) {
            String num = Pattern.quote(fragment.substring(1));
            return Pattern.compile("(?<![\\d.])" + num + "(?![\\d])").matcher(msg).find();
        }
        String lower = msg.toLowerCase(java.util.Locale.ROOT);
        for (String alt : fragment.split("\\|")) {
            if (lower.contains(alt.toLowerCase(java.util.Locale.ROOT))) {
                return true;
            }
        }
        return false;
    }

    private static String describe(String f) {
        return f.startsWith("#") ? "the value " + f.substring(1) : "'" + f.replace("|", "' or '") + "'";
    }

    private Tensor floats(int... dims) {
        Shape s = Shape.of(dims);
        float[] v = new float[s.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i % 7) * 0.25f - 0.5f;
        }
        return backend().upload(v, s);
    }

    private Tensor longs(long[] values, int... dims) {
        return backend().upload(values, Shape.of(dims));
    }

    private PoolOptions opts(int... kernel) {
        return PoolOptions.of(kernel).backend(backend());
    }

    /** A fresh instance of every new layer, with a valid float input shape for it. */
    private record Layer(String name, Supplier<Module> make, int[] input) {
    }

    private List<Layer> floatLayers() {
        Backend be = backend();
        List<Layer> l = new ArrayList<>();
        l.add(new Layer("Linear", () -> new Linear(4, 3, true, be, 1), new int[] {2, 4}));
        l.add(new Layer("MaxPool1d", () -> new MaxPool1d(opts(2)), new int[] {1, 2, 4}));
        l.add(new Layer("MaxPool2d", () -> new MaxPool2d(opts(2)), new int[] {1, 2, 4, 4}));
        l.add(new Layer("AvgPool1d", () -> new AvgPool1d(opts(2)), new int[] {1, 2, 4}));
        l.add(new Layer("AvgPool2d", () -> new AvgPool2d(opts(2)), new int[] {1, 2, 4, 4}));
        l.add(new Layer("AdaptiveAvgPool1d", () -> new AdaptiveAvgPool1d(2, be), new int[] {1, 2, 4}));
        l.add(new Layer("AdaptiveAvgPool2d", () -> new AdaptiveAvgPool2d(be, 2), new int[] {1, 2, 4, 4}));
        l.add(new Layer("AdaptiveMaxPool2d", () -> new AdaptiveMaxPool2d(be, 2), new int[] {1, 2, 4, 4}));
        l.add(new Layer("BatchNorm1d", () -> new BatchNorm1d(2, 1e-5, 0.1, true, true, be), new int[] {3, 2}));
        l.add(new Layer("BatchNorm2d", () -> new BatchNorm2d(2, 1e-5, 0.1, true, true, be), new int[] {2, 2, 3, 3}));
        l.add(new Layer("Softmax", () -> new Softmax(1, be), new int[] {2, 3}));
        l.add(new Layer("LogSoftmax", () -> new LogSoftmax(1, be), new int[] {2, 3}));
        l.add(new Layer("Sigmoid", () -> new Sigmoid(be), new int[] {2, 3}));
        l.add(new Layer("Tanh", () -> new Tanh(be), new int[] {2, 3}));
        l.add(new Layer("LeakyReLU", () -> new LeakyReLU(0.1, be), new int[] {2, 3}));
        l.add(new Layer("ReLU", () -> new ReLU(be), new int[] {2, 3}));
        l.add(new Layer("Flatten", () -> new Flatten(1, -1, be), new int[] {2, 3, 4}));
        l.add(new Layer("Dropout", () -> new Dropout(0.5, 1, be), new int[] {2, 3}));
        return l;
    }

    private static float[] buffer(Module m, String name) {
        return m.get(name).toArray();
    }

    private static void assertStatsUntouched(String what, BatchNorm m, int c) {
        float[] ones = new float[c];
        java.util.Arrays.fill(ones, 1f);
        assertArrayEquals(new float[c], buffer(m, "running_mean"), what + ": running_mean changed by a rejected forward");
        assertArrayEquals(ones, buffer(m, "running_var"), what + ": running_var changed by a rejected forward");
        assertEquals(0L, m.get("num_batches_tracked").toLongArray()[0],
                what + ": num_batches_tracked changed by a rejected forward");
    }

    // ---- pooling arguments ----------------------------------------------------------------------

    private interface PoolMaker {
        Module make(PoolOptions o);
    }

    private static final String[] POOLS = {"MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d"};

    private static PoolMaker pool(String name) {
        return switch (name) {
            case "MaxPool1d" -> MaxPool1d::new;
            case "MaxPool2d" -> MaxPool2d::new;
            case "AvgPool1d" -> AvgPool1d::new;
            default -> AvgPool2d::new;
        };
    }

    @Test
    void poolingKernelSizeMustBePositive() {
        for (String p : POOLS) {
            for (int k : new int[] {0, -1, -3}) {
                rejects(p + " kernel_size=" + k, () -> pool(p).make(opts(k)), "kernel_size", "#" + k,
                        "greater than zero|positive|>= 1|at least 1");
            }
        }
        rejects("MaxPool2d kernel_size=(2, 0)", () -> new MaxPool2d(opts(2, 0)), "kernel_size", "#0");
        rejects("MaxPool2d kernel_size=(2, 2, 2)", () -> new MaxPool2d(opts(2, 2, 2)), "kernel_size", "2 ints|tuple");
        rejects("AvgPool1d kernel_size=()", () -> new AvgPool1d(opts()), "kernel_size");
    }

    @Test
    void poolingStrideMustBePositive() {
        for (String p : POOLS) {
            for (int s : new int[] {0, -2}) {
                rejects(p + " stride=" + s, () -> pool(p).make(opts(2).stride(s)), "stride", "#" + s,
                        "greater than zero|positive|>= 1|at least 1");
            }
        }
        rejects("AvgPool2d stride=(1, 0)", () -> new AvgPool2d(opts(2).stride(1, 0)), "stride", "#0");
    }

    @Test
    void poolingPaddingMustBeNonNegativeAndAtMostHalfTheKernel() {
        for (String p : POOLS) {
            rejects(p + " padding=-1", () -> pool(p).make(opts(3).padding(-1)), "padding", "#-1",
                    "non-negative|>= 0|negative");
            rejects(p + " padding=2 kernel_size=3", () -> pool(p).make(opts(3).padding(2)), "pad", "#2", "#3",
                    "half of kernel");
            rejects(p + " padding=1 kernel_size=1", () -> pool(p).make(opts(1).padding(1)), "pad", "#1",
                    "half of kernel");
        }
        rejects("MaxPool2d padding=(2, 0) kernel_size=(3, 5)", () -> new MaxPool2d(opts(3, 5).padding(2, 0)), "pad",
                "#2", "#3", "half of kernel");
        assertDoesNotThrow(() -> new MaxPool2d(opts(3, 5).padding(1, 2)).close(), "padding (1, 2) fits kernel (3, 5)");
    }

    @Test
    void poolingDilationDivisorAndArgumentsTheLayerLacksAreRejected() {
        rejects("MaxPool1d dilation=0", () -> new MaxPool1d(opts(2).dilation(0)), "dilation", "#0");
        rejects("MaxPool2d dilation=(1, -1)", () -> new MaxPool2d(opts(2).dilation(1, -1)), "dilation", "#-1");
        rejects("AvgPool2d divisor_override=0", () -> new AvgPool2d(opts(2).divisorOverride(0)), "divisor", "zero|#0");
        rejects("AvgPool2d divisor_override=-2", () -> new AvgPool2d(opts(2).divisorOverride(-2)), "divisor", "#-2");
        rejects("AvgPool2d with dilation", () -> new AvgPool2d(opts(2).dilation(2)), "dilation");
        rejects("AvgPool1d with divisor_override", () -> new AvgPool1d(opts(2).divisorOverride(2)), "divisor_override");
        rejects("MaxPool2d with count_include_pad=False", () -> new MaxPool2d(opts(2).countIncludePad(false)),
                "count_include_pad");
        rejects("MaxPool2d options null", () -> new MaxPool2d((PoolOptions) null), "null");
    }

    @Test
    void poolingRejectsWrongInputRankEmptyDimsAndTooSmallOutput() {
        try (MaxPool1d p1 = new MaxPool1d(opts(2)); MaxPool2d p2 = new MaxPool2d(opts(2)); AvgPool2d a2 = new AvgPool2d(opts(2));
             AvgPool1d a1 = new AvgPool1d(opts(2)); Tensor r1 = floats(4); Tensor r2 = floats(2, 4); Tensor r4 = floats(1, 1, 4, 4);
             Tensor r5 = floats(1, 1, 1, 4, 4); Tensor empty = floats(1, 0, 4, 4); Tensor small = floats(1, 1, 2, 2)) {
            rejects("MaxPool1d on 1-D", () -> p1.forward(r1), "2D or 3D", "[4]");
            rejects("MaxPool1d on 4-D", () -> p1.forward(r4), "2D or 3D", "[1, 1, 4, 4]");
            rejects("AvgPool1d on 4-D", () -> a1.forward(r4), "2D or 3D", "[1, 1, 4, 4]");
            rejects("MaxPool2d on 2-D", () -> p2.forward(r2), "3D or 4D", "[2, 4]");
            rejects("AvgPool2d on 5-D", () -> a2.forward(r5), "3D or 4D", "[1, 1, 1, 4, 4]");
            rejects("MaxPool2d on an empty channel dim", () -> p2.forward(empty), "[1, 0, 4, 4]");
            try (MaxPool2d big = new MaxPool2d(opts(3))) {
                rejects("MaxPool2d kernel 3 on 2x2", () -> big.forward(small), "too small", "2x2");
            }
        }
    }

    @Test
    void adaptivePoolingRejectsNegativeOutputSizeBadTuplesAndWrongRank() {
        Backend be = backend();
        rejects("AdaptiveAvgPool1d(-2)", () -> new AdaptiveAvgPool1d(-2, be), "output_size", "#-2");
        rejects("AdaptiveAvgPool2d(-1)", () -> new AdaptiveAvgPool2d(be, -1), "output_size", "#-1");
        rejects("AdaptiveMaxPool2d(2, -3)", () -> new AdaptiveMaxPool2d(be, 2, -3), "output_size", "#-3");
        rejects("AdaptiveMaxPool2d(1, 2, 3)", () -> new AdaptiveMaxPool2d(be, 1, 2, 3), "output_size", "2 ints|tuple");
        try (AdaptiveAvgPool1d p1 = new AdaptiveAvgPool1d(2, be); AdaptiveMaxPool2d p2 = new AdaptiveMaxPool2d(be, 2);
             AdaptiveAvgPool2d a2 = new AdaptiveAvgPool2d(be, 2); Tensor r1 = floats(4); Tensor r2 = floats(2, 4);
             Tensor r5 = floats(1, 1, 1, 2, 2); Tensor empty = floats(1, 2, 0, 3)) {
            rejects("AdaptiveAvgPool1d on 1-D", () -> p1.forward(r1), "2D or 3D", "[4]");
            rejects("AdaptiveMaxPool2d on 2-D", () -> p2.forward(r2), "3D or 4D", "[2, 4]");
            rejects("AdaptiveAvgPool2d on 5-D", () -> a2.forward(r5), "3D or 4D", "[1, 1, 1, 2, 2]");
            rejects("AdaptiveAvgPool2d on an empty height", () -> a2.forward(empty), "[1, 2, 0, 3]", "non-zero|empty");
        }
    }

    // ---- Linear ---------------------------------------------------------------------------------

    @Test
    void linearRejectsWrongInFeaturesScalarInputAndNegativeSizes() {
        Backend be = backend();
        rejects("Linear(-1, 3)", () -> new Linear(-1, 3, true, be, 0), "in_features", "#-1");
        rejects("Linear(3, -2)", () -> new Linear(3, -2, true, be, 0), "out_features", "#-2");
        try (Linear l = new Linear(4, 5, true, be, 0); Tensor x = floats(2, 3); Tensor x3 = floats(2, 3, 7);
             Tensor v = floats(3); Tensor scalar = floats()) {
            rejects("Linear(4, 5) on [2, 3]", () -> l.forward(x), "2x3", "4x5");
            rejects("Linear(4, 5) on [2, 3, 7]", () -> l.forward(x3), "6x7", "4x5");
            rejects("Linear(4, 5) on [3]", () -> l.forward(v), "1x3", "4x5");
            rejects("Linear(4, 5) on a scalar", () -> l.forward(scalar), "4x5");
        }
    }

    // ---- BatchNorm ------------------------------------------------------------------------------

    @Test
    void batchNormRejectsWrongChannelCountBeforeTouchingRunningStats() {
        Backend be = backend();
        try (BatchNorm2d bn = new BatchNorm2d(3, 1e-5, 0.1, true, true, be); BatchNorm1d bn1 = new BatchNorm1d(3, 1e-5,
                null, true, true, be); Tensor x = floats(2, 4, 2, 2); Tensor x1 = floats(4, 2); Tensor x3 = floats(4, 5, 6)) {
            rejects("BatchNorm2d(3) on 4 channels", () -> bn.forward(x), "#4", "#3");
            assertStatsUntouched("BatchNorm2d(3) on 4 channels", bn, 3);
            rejects("BatchNorm1d(3) on [4, 2]", () -> bn1.forward(x1), "#2", "#3");
            rejects("BatchNorm1d(3) on [4, 5, 6]", () -> bn1.forward(x3), "#5", "#3");
            assertStatsUntouched("BatchNorm1d(3) on wrong channels", bn1, 3);
            bn.eval();
            rejects("BatchNorm2d(3) eval on 4 channels", () -> bn.forward(x), "#4", "#3");
        }
    }

    @Test
    void batchNormRejectsWrongInputRank() {
        Backend be = backend();
        try (BatchNorm1d bn1 = new BatchNorm1d(2, 1e-5, 0.1, true, true, be);
             BatchNorm2d bn2 = new BatchNorm2d(2, 1e-5, 0.1, true, true, be); Tensor v = floats(2);
             Tensor x4 = floats(2, 2, 2, 2); Tensor x3 = floats(2, 2, 2); Tensor x5 = floats(2, 2, 2, 2, 2)) {
            rejects("BatchNorm1d on 1-D", () -> bn1.forward(v), "2D or 3D", "#1");
            rejects("BatchNorm1d on 4-D", () -> bn1.forward(x4), "2D or 3D", "#4");
            rejects("BatchNorm2d on 3-D", () -> bn2.forward(x3), "4D", "#3");
            rejects("BatchNorm2d on 5-D", () -> bn2.forward(x5), "4D", "#5");
            assertStatsUntouched("BatchNorm1d wrong rank", bn1, 2);
            assertStatsUntouched("BatchNorm2d wrong rank", bn2, 2);
        }
    }

    @Test
    void batchNormTrainingRejectsOneValuePerChannelButEvalAcceptsIt() {
        Backend be = backend();
        try (BatchNorm1d bn1 = new BatchNorm1d(3, 1e-5, 0.1, true, true, be);
             BatchNorm2d bn2 = new BatchNorm2d(2, 1e-5, null, false, true, be); Tensor x = floats(1, 3);
             Tensor x3 = floats(1, 3, 1); Tensor x4 = floats(1, 2, 1, 1)) {
            rejects("BatchNorm1d training on [1, 3]", () -> bn1.forward(x), "more than 1 value per channel", "[1, 3]");
            rejects("BatchNorm1d training on [1, 3, 1]", () -> bn1.forward(x3), "more than 1 value per channel",
                    "[1, 3, 1]");
            rejects("BatchNorm2d training on [1, 2, 1, 1]", () -> bn2.forward(x4), "more than 1 value per channel",
                    "[1, 2, 1, 1]");
            assertStatsUntouched("BatchNorm1d one value per channel", bn1, 3);
            assertStatsUntouched("BatchNorm2d one value per channel", bn2, 2);
            bn1.eval();
            assertDoesNotThrow(() -> bn1.forward(x).close(), "eval mode uses the running statistics");
        }
    }

    @Test
    void batchNormRejectsNonPositiveFeaturesBadEpsAndMomentumOutsideUnitInterval() {
        Backend be = backend();
        rejects("BatchNorm1d(0)", () -> new BatchNorm1d(0, 1e-5, 0.1, true, true, be), "num_features", "#0");
        rejects("BatchNorm2d(-2)", () -> new BatchNorm2d(-2, 1e-5, 0.1, true, true, be), "num_features", "#-2");
        rejects("BatchNorm1d eps=0", () -> new BatchNorm1d(2, 0, 0.1, true, true, be), "eps", "#0");
        rejects("BatchNorm1d eps=-1e-3", () -> new BatchNorm1d(2, -1e-3, 0.1, true, true, be), "eps", "-0.001|-1e-3|-1.0e-3");
        rejects("BatchNorm2d eps=NaN", () -> new BatchNorm2d(2, Double.NaN, 0.1, true, true, be), "eps", "NaN");
        rejects("BatchNorm2d momentum=1.5", () -> new BatchNorm2d(2, 1e-5, 1.5, true, true, be), "momentum", "1.5");
        rejects("BatchNorm1d momentum=-0.1", () -> new BatchNorm1d(2, 1e-5, -0.1, true, true, be), "momentum", "-0.1");
    }

    // ---- Embedding ------------------------------------------------------------------------------

    @Test
    void embeddingRejectsFloatIndices() {
        try (Embedding e = new Embedding(5, 3, null, backend(), 0); Tensor x = floats(2, 3)) {
            rejects("Embedding on float32 indices", () -> e.forward(x), "Long|int64", "float32");
        }
    }

    @Test
    void embeddingRejectsOutOfRangeIndicesBeforeTheLookup() {
        try (Embedding e = new Embedding(5, 3, -1, backend(), 0); Tensor high = longs(new long[] {0, 5, 1}, 3);
             Tensor neg = longs(new long[] {2, -1}, 1, 2); Tensor huge = longs(new long[] {Long.MAX_VALUE}, 1)) {
            float[] before = e.weight().toArray();
            rejects("Embedding(5) index 5", () -> e.forward(high), "out of range", "#5");
            rejects("Embedding(5) index -1", () -> e.forward(neg), "out of range", "#-1");
            rejects("Embedding(5) index Long.MAX_VALUE", () -> e.forward(huge), "out of range", "#" + Long.MAX_VALUE);
            assertArrayEquals(before, e.weight().toArray(), "a rejected lookup changed the weight");
        }
    }

    @Test
    void embeddingRejectsPaddingIdxOutsideTheTableAndNegativeSizes() {
        Backend be = backend();
        rejects("Embedding(5, 3, padding_idx=5)", () -> new Embedding(5, 3, 5, be, 0), "padding_idx", "num_embeddings");
        rejects("Embedding(5, 3, padding_idx=-6)", () -> new Embedding(5, 3, -6, be, 0), "padding_idx", "#-6");
        rejects("Embedding(-1, 3)", () -> new Embedding(-1, 3, null, be, 0), "num_embeddings", "#-1");
        rejects("Embedding(4, -3)", () -> new Embedding(4, -3, null, be, 0), "embedding_dim", "#-3");
        assertDoesNotThrow(() -> new Embedding(5, 3, -5, be, 0).close(), "padding_idx -5 is row 0 of 5");
    }

    // ---- activations ----------------------------------------------------------------------------

    @Test
    void softmaxRejectsDimOutOfRange() {
        Backend be = backend();
        try (Softmax s3 = new Softmax(3, be); Softmax sNeg = new Softmax(-4, be); LogSoftmax l2 = new LogSoftmax(2, be);
             LogSoftmax lNeg = new LogSoftmax(-3, be); Tensor x = floats(2, 3, 4); Tensor v = floats(5); Tensor s = floats()) {
            rejects("Softmax(dim=3) on 3-D", () -> s3.forward(x), "#3", "[-3, 2]");
            rejects("Softmax(dim=-4) on 3-D", () -> sNeg.forward(x), "#-4", "[-3, 2]");
            rejects("LogSoftmax(dim=2) on 1-D", () -> l2.forward(v), "#2", "[-1, 0]");
            rejects("LogSoftmax(dim=-3) on a scalar", () -> lNeg.forward(s), "#-3", "[-1, 0]");
        }
    }

    @Test
    void leakyReluRejectsNonFiniteSlope() {
        rejects("LeakyReLU(NaN)", () -> new LeakyReLU(Double.NaN, backend()), "negative_slope", "NaN");
        rejects("LeakyReLU(inf)", () -> new LeakyReLU(Double.POSITIVE_INFINITY, backend()), "negative_slope", "Infinity|inf");
    }

    // ---- Flatten, Dropout -----------------------------------------------------------------------

    @Test
    void flattenRejectsStartDimAfterEndDimAndDimsOutOfRange() {
        Backend be = backend();
        try (Flatten f21 = new Flatten(2, 1, be); Flatten fNeg = new Flatten(-1, 0, be); Flatten f5 = new Flatten(5, -1, be);
             Flatten fEnd = new Flatten(0, -4, be); Tensor x = floats(2, 3, 4)) {
            rejects("Flatten(2, 1) on 3-D", () -> f21.forward(x), "start_dim", "end_dim", "cannot come after", "#2", "#1");
            rejects("Flatten(-1, 0) on 3-D", () -> fNeg.forward(x), "start_dim", "end_dim", "cannot come after", "#-1",
                    "#0");
            rejects("Flatten(5, -1) on 3-D", () -> f5.forward(x), "#5", "[-3, 2]");
            rejects("Flatten(0, -4) on 3-D", () -> fEnd.forward(x), "#-4", "[-3, 2]");
        }
    }

    @Test
    void flattenOfAScalarStillChecksItsDimsAsPyTorch() {
        // PyTorch wraps start_dim / end_dim against a scalar as against 1-D before returning reshape([1]):
        // nn.Flatten()(torch.tensor(1.)) raises "Dimension out of range (expected to be in range of [-1, 0], but got 1)".
        try (Flatten f = new Flatten(1, -1, backend()); Tensor s = floats()) {
            rejects("Flatten(1, -1) on a scalar", () -> f.forward(s).close(), "#1", "[-1, 0]");
        }
    }

    @Test
    void dropoutRejectsProbabilityOutsideZeroToOne() {
        Backend be = backend();
        rejects("Dropout(-0.1)", () -> new Dropout(-0.1, 0, be), "-0.1", "between 0 and 1");
        rejects("Dropout(1.5)", () -> new Dropout(1.5, 0, be), "1.5", "between 0 and 1");
        rejects("Dropout(NaN)", () -> new Dropout(Double.NaN, 0, be), "NaN", "between 0 and 1");
        assertDoesNotThrow(() -> new Dropout(0, 0, be).close());
        assertDoesNotThrow(() -> new Dropout(1, 0, be).close());
    }

    // ---- every layer: null, closed, wrong dtype -------------------------------------------------

    @Test
    void everyLayerRejectsNullInput() {
        for (Layer l : floatLayers()) {
            try (Module m = l.make().get(); Tensor x = floats(l.input())) {
                rejects(l.name() + ".forward(null)", () -> m.forward(null), "null");
                rejects(l.name() + ".backward(null, dy)", () -> m.backward(null, x), "null");
            }
        }
        try (Embedding e = new Embedding(5, 3, null, backend(), 0)) {
            rejects("Embedding.forward(null)", () -> e.forward(null), "null");
        }
        rejects("Functional.add(null, x)", () -> Functional.add(null, null), "null");
        rejects("Functional.permute(null)", () -> Functional.permute(null, 0), "null");
    }

    @Test
    void everyLayerRejectsAClosedInput() {
        for (Layer l : floatLayers()) {
            try (Module m = l.make().get()) {
                Tensor x = floats(l.input());
                x.close();
                rejects(l.name() + " on a closed input", () -> m.forward(x), "closed");
                if (m instanceof BatchNorm bn) {
                    assertStatsUntouched(l.name() + " on a closed input", bn, 2);
                }
            }
        }
        try (Embedding e = new Embedding(5, 3, null, backend(), 0)) {
            Tensor idx = longs(new long[] {1, 2}, 2);
            idx.close();
            rejects("Embedding on closed indices", () -> e.forward(idx), "closed");
        }
        Tensor a = floats(2, 2);
        try (Tensor b = floats(2, 2)) {
            a.close();
            rejects("Functional.add(closed, b)", () -> Functional.add(a, b), "closed");
            rejects("Functional.add(b, closed)", () -> Functional.add(b, a), "closed");
            rejects("Functional.permute(closed)", () -> Functional.permute(a, 1, 0), "closed");
        }
    }

    @Test
    void floatLayersRejectInt64Input() {
        // Module.requireInput promises "non-null, open, float32": an int64 tensor into a float layer must be
        // rejected up front, naming the dtype, not reach a backend kernel. (Flatten and Dropout are views in
        // PyTorch and accept any dtype, so they are not listed.)
        List<String> failures = new ArrayList<>();
        for (Layer l : floatLayers()) {
            if (l.name().equals("Flatten") || l.name().equals("Dropout")) {
                continue;
            }
            Shape s = Shape.of(l.input());
            try (Module m = l.make().get(); Tensor x = longs(new long[s.size()], l.input())) {
                rejects(l.name() + " on int64 input", () -> m.forward(x).close(), "int64|Long", "float");
            } catch (AssertionError e) {
                failures.add(e.getMessage());
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " layers accept int64 input:\n" + String.join("\n", failures));
    }

    @Test
    void backwardRejectsGradOutputOfWrongShapeOrClosed() {
        Backend be = backend();
        try (Linear l = new Linear(4, 3, true, be, 0); Tensor x = floats(2, 4); Tensor bad = floats(2, 4)) {
            rejects("Linear.backward with grad_output [2, 4]", () -> l.backward(x, bad).close(), "grad_output", "[2, 3]",
                    "[2, 4]");
            rejects("Linear.backward(x, null)", () -> l.backward(x, null).close(), "grad_output", "null");
            Tensor dy = floats(2, 3);
            dy.close();
            // Should be rejected before the forward runs; today Module.backward runs forward first and the
            // tape then fails on the closed tensor.
            IllegalArgumentException e = rejects("Linear.backward with a closed grad_output",
                    () -> l.backward(x, dy).close(), "grad_output|closed");
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void functionalAddAndPermuteRejectBadArguments() {
        try (Tensor a = floats(2, 3); Tensor b = floats(3, 2); Tensor x = floats(2, 3, 4)) {
            rejects("add([2, 3], [3, 2])", () -> Functional.add(a, b), "[2, 3]", "[3, 2]");
            rejects("permute([2, 3, 4], (0, 1))", () -> Functional.permute(x, 0, 1), "#3", "#2");
            rejects("permute([2, 3, 4], (0, 1, 1))", () -> Functional.permute(x, 0, 1, 1), "duplicate");
            rejects("permute([2, 3, 4], (0, 1, 3))", () -> Functional.permute(x, 0, 1, 3), "#3", "[-3, 2]");
            rejects("transpose([2, 3, 4], 0, -4)", () -> Functional.transpose(x, 0, -4), "#-4", "[-3, 2]");
        }
    }
}
