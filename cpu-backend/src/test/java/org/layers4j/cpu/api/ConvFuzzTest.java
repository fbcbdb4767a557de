package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvBuilder;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.Backend;
import org.layers4j.testing.ReferenceConv;
import org.layers4j.testing.TestData;

/**
 * Issue 10, property-based: convolutions with random and extreme geometries (empty batches, dilations,
 * paddings and strides up to 2^31-1) through the public API on the CPU backend, forward and backward,
 * against the float64 {@link ReferenceConv}. Each draw gives the reference's values, or an
 * IllegalArgumentException that is documented for it (an output PyTorch could not allocate, indices
 * beyond 32 bits, a padding the mode does not allow); never another exception, zeros, or an OOM.
 */
class ConvFuzzTest {
    private static final String[] MODES = {"zeros", "zeros", "reflect", "replicate", "circular"};
    private final Backend be = Backends.get("cpu");

    @Provide
    Arbitrary<Integer> big() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 3),
                Arbitraries.of(7, 1 << 20, 1 << 30, Integer.MAX_VALUE));
    }

    @Provide
    Arbitrary<Integer> pad() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 3),
                Arbitraries.of(1 << 30, Integer.MAX_VALUE));
    }

    @Property(tries = 500)
    void convolutionMatchesTheFloat64ReferenceOrIsRejectedAsDocumented(
            @ForAll @IntRange(min = 1, max = 2) int dims, @ForAll @IntRange(min = 0, max = 3) int n,
            @ForAll @IntRange(min = 1, max = 2) int groups, @ForAll @IntRange(min = 1, max = 2) int cinPer,
            @ForAll @IntRange(min = 1, max = 2) int coutPer, @ForAll @IntRange(min = 1, max = 4) int k,
            @ForAll("big") int stride, @ForAll("big") int dilation, @ForAll("pad") int padding,
            @ForAll @IntRange(min = 1, max = 9) int size, @ForAll @IntRange(min = 0, max = 5) int kind,
            @ForAll @IntRange(min = 0, max = 4) int modeIndex, @ForAll boolean bias, @ForAll long seed) {
        String mode = MODES[modeIndex];
        String padKind = kind == 0 ? "same" : kind == 1 ? "valid" : "explicit";
        int cin = groups * cinPer;
        int cout = groups * coutPer;
        int[] kernel = filled(dims, k);
        int[] strides = filled(dims, padKind.equals("same") ? 1 : stride);
        int[] dil = filled(dims, dilation);
        int[] spatial = filled(dims, size);
        int[][] pads = padKind.equals("same") ? ReferenceConv.Args.same(kernel, dil) : new int[dims][2];
        if (padKind.equals("explicit")) {
            for (int[] p : pads) {
                Arrays.fill(p, padding);
            }
        }
        ReferenceConv.Args a = new ReferenceConv.Args(dims, cin, cout, kernel, strides, pads, dil, groups, bias, mode);
        int[] outSpatial = a.outSpatial(spatial);
        double exact = (double) n * cout;
        for (int o : outSpatial) {
            exact *= o;
        }
        // saturating: an overflowed count must not look small
        long outCount = exact > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : (long) exact;
        if (n == 0 && Arrays.stream(outSpatial).anyMatch(o -> o >= Integer.MAX_VALUE)) {
            outCount = Long.MAX_VALUE / 2; // an axis of 2^31 or more: rejected even when the batch is empty
        }
        ConvBuilder<? extends Convolution> b = dims == 1 ? Conv1d.builder(cin, cout, kernel) : Conv2d.builder(cin, cout, kernel);
        if (padKind.equals("explicit")) {
            b.padding(padding);
        } else {
            b.padding(padKind);
        }
        b.stride(strides).dilation(dil).groups(groups).bias(bias).paddingMode(PaddingMode.fromTorchName(mode));
        int[] xShape = new int[2 + dims];
        xShape[0] = n;
        xShape[1] = cin;
        System.arraycopy(spatial, 0, xShape, 2, dims);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] x = TestData.randomFloats(rng, Shape.of(xShape).size());
        try (Convolution conv = b.backend(be).seed(1).build(); Tensor xt = be.upload(x, Shape.of(xShape))) {
            if (padKind.equals("same") && (long) dilation * (k - 1) > Integer.MAX_VALUE) {
                // 'same' pads more than an int on each side: the int reference cannot say it; PyTorch's shape
                // is the input's, and every value is the bias plus the taps that meet the input
                int[] expected = xShape.clone();
                expected[1] = cout;
                try (Tensor y = conv.forward(xt)) {
                    assertArrayEquals(expected, y.shape().dims());
                    for (float v : y.toArray()) {
                        assertTrue(Float.isFinite(v));
                    }
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().matches("(?s).*(32 bits|reflect padding|circular padding|elements|padding that large|much padding).*"), e.getMessage());
                }
                return;
            }
            boolean badPad = false;
            for (int[] p : pads) {
                for (int q : p) {
                    badPad |= mode.equals("reflect") && q >= size || mode.equals("circular") && q > size;
                }
            }
            if (badPad) {
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> conv.forward(xt).close());
                assertTrue(e.getMessage().matches("(?s).*(reflect padding|circular padding).*"), e.getMessage());
                return;
            }
            if (outCount > 200_000 && outCount <= Integer.MAX_VALUE && Arrays.stream(outSpatial).allMatch(o -> o >= 1)) {
                // valid but too large to compare here: planning must succeed or be a documented rejection
                try {
                    conv.spec().plan(Shape.of(xShape));
                } catch (IllegalArgumentException e) {
                    assertDocumented(e, outCount, outSpatial);
                }
                return;
            }
            if (outCount > 200_000 || Arrays.stream(outSpatial).anyMatch(o -> o < 1)) {
                // the reference cannot (or need not) run it: only a documented rejection is allowed
                IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                        () -> conv.forward(xt).close(), () -> "accepted " + Arrays.toString(outSpatial));
                assertDocumented(e, outCount, outSpatial);
                return;
            }
            float[] w = TestData.randomFloats(rng, conv.weight().shape().size());
            conv.setParameter("weight", w);
            float[] bv = bias ? TestData.randomFloats(rng, cout) : null;
            if (bias) {
                conv.setParameter("bias", bv);
            }
            float[] gy = TestData.randomFloats(rng, (int) outCount);
            ReferenceConv.Result ref = ReferenceConv.run(a, n, spatial, TestData.toDouble(x), TestData.toDouble(w),
                    bv == null ? null : TestData.toDouble(bv), TestData.toDouble(gy));
            Tensor y;
            try {
                y = conv.forward(xt);
            } catch (IllegalArgumentException e) {
                assertDocumented(e, outCount, outSpatial);
                return;
            }
            try (y; Tensor dy = be.upload(gy, Shape.of(ref.outShape())); Gradients g = conv.backward(xt, dy)) {
                assertArrayEquals(ref.outShape(), y.shape().dims());
                assertNull(TestData.mismatch(y.toArray(), ref.output()), "output");
                assertNull(TestData.mismatch(g.input().toArray(), ref.gradInput()), "grad_input");
                assertNull(TestData.mismatch(g.weight().toArray(), ref.gradWeight()), "grad_weight");
                if (bias) {
                    assertNull(TestData.mismatch(g.bias().toArray(), ref.gradBias()), "grad_bias");
                }
            }
        } catch (IllegalArgumentException e) {
            // building: a padding the mode does not allow, or 'same' with a stride, is rejected by name
            assertTrue(e.getMessage().matches("(?s).*(reflect padding|circular padding|strided convolutions).*"),
                    e.getMessage());
        }
    }

    private static void assertDocumented(IllegalArgumentException e, long outCount, int[] outSpatial) {
        String m = e.getMessage();
        boolean empty = Arrays.stream(outSpatial).anyMatch(o -> o < 1);
        assertTrue(empty && m.contains("Kernel size") || outCount > Integer.MAX_VALUE && m.contains("elements")
                || m.contains("32 bits") || m.contains("much padding") || m.matches("(?s).*(reflect padding|circular padding|elements).*"), m);
        assertTrue(!m.contains("-2147") && !m.contains("-1073"), m);
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }
}
