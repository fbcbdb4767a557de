package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.Backend;

/**
 * Randomized differential test: 2,000 random valid Conv1d / Conv2d configurations (every padding
 * mode, 'same' / 'valid', strides, dilations, groups, bias on and off, small sizes) through the
 * public API on one backend, forward and backward, against the float64 {@link ReferenceConv}.
 */
public abstract class BackendDifferentialTests {
    private static final int BATCHES = 20;
    private static final int PER_BATCH = 100;
    private static final String[] MODES = {"zeros", "reflect", "replicate", "circular"};

    protected abstract Backend backend();

    @TestFactory
    Stream<DynamicTest> randomConfigurationsMatchFloat64Reference() {
        return IntStream.range(0, BATCHES).mapToObj(batch -> DynamicTest.dynamicTest(
                "configurations " + batch * PER_BATCH + ".." + ((batch + 1) * PER_BATCH - 1), () -> runBatch(batch)));
    }

    private void runBatch(int batch) {
        SplittableRandom rng = new SplittableRandom(20261126L + batch);
        List<String> failures = new ArrayList<>();
        int done = 0;
        while (done < PER_BATCH) {
            Config c = Config.random(rng);
            if (c == null) {
                continue; // an invalid draw (empty output, padding too large for the mode): draw again
            }
            String problem = check(c, rng);
            if (problem != null) {
                failures.add(c + ": " + problem);
            }
            done++;
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " of " + PER_BATCH + " failed:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private String check(Config c, SplittableRandom rng) {
        ReferenceConv.Args a = c.args;
        int[] wShape = new int[2 + a.dims()];
        wShape[0] = a.cout();
        wShape[1] = a.cin() / a.groups();
        System.arraycopy(a.kernel(), 0, wShape, 2, a.dims());
        int[] xShape = new int[2 + a.dims()];
        xShape[0] = c.n;
        xShape[1] = a.cin();
        System.arraycopy(c.spatial, 0, xShape, 2, a.dims());
        float[] x = TestData.randomFloats(rng, Shape.of(xShape).size());
        float[] w = TestData.randomFloats(rng, Shape.of(wShape).size());
        float[] b = a.bias() ? TestData.randomFloats(rng, a.cout()) : null;
        int[] outSpatial = a.outSpatial(c.spatial);
        int outSize = c.n * a.cout() * Arrays.stream(outSpatial).reduce(1, (p, q) -> p * q);
        float[] gy = TestData.randomFloats(rng, outSize);
        ReferenceConv.Result ref = ReferenceConv.run(a, c.n, c.spatial, TestData.toDouble(x), TestData.toDouble(w),
                b == null ? null : TestData.toDouble(b), TestData.toDouble(gy));
        Backend be = backend();
        try (Convolution conv = c.builder().backend(be).seed(1).build();
             Tensor xt = be.upload(x, Shape.of(xShape))) {
            conv.setParameter("weight", w);
            if (b != null) {
                conv.setParameter("bias", b);
            }
            try (Tensor y = conv.forward(xt); Tensor dy = be.upload(gy, Shape.of(ref.outShape()));
                 Gradients g = conv.backward(xt, dy)) {
                if (!Arrays.equals(y.shape().dims(), ref.outShape())) {
                    return "output shape " + y.shape().dimsString() + ", expected " + Arrays.toString(ref.outShape());
                }
                String m = TestData.mismatch(y.toArray(), ref.output());
                if (m == null) {
                    m = prefixed("grad_input ", TestData.mismatch(g.input().toArray(), ref.gradInput()));
                }
                if (m == null) {
                    m = prefixed("grad_weight ", TestData.mismatch(g.weight().toArray(), ref.gradWeight()));
                }
                if (m == null && b != null) {
                    m = prefixed("grad_bias ", TestData.mismatch(g.bias().toArray(), ref.gradBias()));
                }
                return m == null ? null : m;
            }
        }
    }

    private static String prefixed(String prefix, String m) {
        return m == null ? null : prefix + m;
    }

    /** One random configuration; {@link #random} returns null for an invalid draw. */
    private static final class Config {
        final ReferenceConv.Args args;
        final String padding; // "same", "valid" or "explicit"
        final int n;
        final int[] spatial;

        private Config(ReferenceConv.Args args, String padding, int n, int[] spatial) {
            this.args = args;
            this.padding = padding;
            this.n = n;
            this.spatial = spatial;
        }

        static Config random(SplittableRandom r) {
            int dims = 1 + r.nextInt(2);
            int groups = 1 + r.nextInt(3);
            int cin = groups * (1 + r.nextInt(3));
            int cout = groups * (1 + r.nextInt(3));
            int[] kernel = new int[dims];
            int[] stride = new int[dims];
            int[] dilation = new int[dims];
            int[] spatial = new int[dims];
            int[] explicit = new int[dims];
            for (int d = 0; d < dims; d++) {
                kernel[d] = 1 + r.nextInt(4);
                stride[d] = 1 + r.nextInt(3);
                dilation[d] = 1 + r.nextInt(3);
                spatial[d] = 1 + r.nextInt(dims == 1 ? 14 : 9);
                explicit[d] = r.nextInt(4);
            }
            String mode = MODES[r.nextInt(MODES.length)];
            int kind = r.nextInt(6);
            String padding = kind == 0 ? "same" : kind == 1 ? "valid" : "explicit";
            if (padding.equals("same")) {
                Arrays.fill(stride, 1);
            }
            int[][] pad = padding.equals("same") ? ReferenceConv.Args.same(kernel, dilation) : new int[dims][2];
            if (padding.equals("explicit")) {
                for (int d = 0; d < dims; d++) {
                    pad[d][0] = explicit[d];
                    pad[d][1] = explicit[d];
                }
            }
            ReferenceConv.Args a = new ReferenceConv.Args(dims, cin, cout, kernel, stride, pad, dilation, groups,
                    r.nextBoolean(), mode);
            for (int d = 0; d < dims; d++) {
                for (int p : pad[d]) {
                    if ((mode.equals("reflect") && p >= spatial[d]) || (mode.equals("circular") && p > spatial[d])) {
                        return null;
                    }
                }
            }
            if (Arrays.stream(a.outSpatial(spatial)).anyMatch(o -> o < 1)) {
                return null;
            }
            return new Config(a, padding, 1 + r.nextInt(3), spatial);
        }

        ConvBuilder<? extends Convolution> builder() {
            ConvBuilder<? extends Convolution> b = args.dims() == 1
                    ? Conv1d.builder(args.cin(), args.cout(), args.kernel())
                    : Conv2d.builder(args.cin(), args.cout(), args.kernel());
            if (padding.equals("explicit")) {
                b.padding(Arrays.stream(args.pad()).mapToInt(p -> p[0]).toArray());
            } else {
                b.padding(padding);
            }
            return b.stride(args.stride()).dilation(args.dilation()).groups(args.groups()).bias(args.bias())
                    .paddingMode(PaddingMode.fromTorchName(args.mode()));
        }

        @Override
        public String toString() {
            return String.format("conv%dd n=%d in=%d out=%d size=%s kernel=%s stride=%s padding=%s dilation=%s groups=%d"
                            + " bias=%b mode=%s", args.dims(), n, args.cin(), args.cout(), Arrays.toString(spatial),
                    Arrays.toString(args.kernel()), Arrays.toString(args.stride()),
                    padding.equals("explicit") ? Arrays.toString(Arrays.stream(args.pad()).mapToInt(p -> p[0]).toArray())
                            : padding, Arrays.toString(args.dilation()), args.groups(), args.bias(), args.mode());
        }
    }
}
