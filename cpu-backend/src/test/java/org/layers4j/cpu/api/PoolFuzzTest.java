package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.layers4j.nn.pool.AvgPool2d;
import org.layers4j.nn.pool.MaxPool2d;
import org.layers4j.nn.pool.Pooling;
import org.layers4j.nn.pool.PoolOptions;
import org.layers4j.spi.Backend;
import org.layers4j.testing.LayerReference;
import org.layers4j.testing.TestData;

/**
 * Issue 10, property-based: MaxPool2d / AvgPool2d with random and extreme strides and dilations (up to
 * 2^31-1), ceil mode and empty batches on the CPU backend, forward and backward, against the float64
 * {@link LayerReference}; or the documented IllegalArgumentException ("Output size is too small").
 */
class PoolFuzzTest {
    private final Backend be = Backends.get("cpu");

    @Provide
    Arbitrary<Integer> big() {
        return Arbitraries.oneOf(Arbitraries.integers().between(1, 3), Arbitraries.integers().between(1, 3),
                Arbitraries.of(1 << 30, Integer.MAX_VALUE));
    }

    /** PyTorch's pooling_output_shape in 64 bits (the reference's int result may wrap). */
    private static long out(int in, int k, int p, int s, int d, boolean ceil) {
        long num = (long) in + 2L * p - (long) d * (k - 1) - 1;
        long o = (ceil ? -Math.floorDiv(-num, s) : Math.floorDiv(num, s)) + 1;
        return ceil && (o - 1) * s >= in + p ? o - 1 : o;
    }

    @Property(tries = 300)
    void poolingMatchesTheFloat64ReferenceOrIsRejectedAsDocumented(
            @ForAll boolean max, @ForAll @IntRange(min = 0, max = 2) int n, @ForAll @IntRange(min = 1, max = 2) int c,
            @ForAll @IntRange(min = 1, max = 8) int h, @ForAll @IntRange(min = 1, max = 8) int w,
            @ForAll @IntRange(min = 1, max = 4) int k, @ForAll("big") int stride, @ForAll("big") int dilation,
            @ForAll @IntRange(min = 0, max = 2) int padding, @ForAll boolean ceil, @ForAll boolean includePad,
            @ForAll long seed) {
        int p = Math.min(padding, k / 2);
        int d = max ? dilation : 1;
        PoolOptions o = PoolOptions.of(k).stride(stride).padding(p).ceilMode(ceil).backend(be);
        if (max) {
            o.dilation(d);
        } else {
            o.countIncludePad(includePad);
        }
        LayerReference.Pool ref = new LayerReference.Pool(n, c, h, w, k, k, stride, stride, p, p, d, d, ceil,
                max || includePad, null);
        float[] x = TestData.randomFloats(new SplittableRandom(seed), n * c * h * w);
        try (Pooling pool = max ? new MaxPool2d(o) : new AvgPool2d(o); Tensor xt = be.upload(x, Shape.of(n, c, h, w))) {
            if (out(h, k, p, stride, d, ceil) < 1 || out(w, k, p, stride, d, ceil) < 1) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.forward(xt).close());
                assertTrue(e.getMessage().contains("Output size is too small"), e.getMessage());
                return;
            }
            if (max && LayerReference.hasEmptyWindow(ref)) {
                return; // PyTorch's own CPU kernel is undefined there (see LayerReference.maxPool)
            }
            float[] dy = TestData.randomFloats(new SplittableRandom(~seed), n * c * ref.outH() * ref.outW());
            LayerReference.Result r = max ? LayerReference.maxPool(ref, TestData.toDouble(x), TestData.toDouble(dy))
                    : LayerReference.avgPool(ref, TestData.toDouble(x), TestData.toDouble(dy));
            try (Tensor y = pool.forward(xt); Tensor g = be.upload(dy, Shape.of(n, c, ref.outH(), ref.outW()));
                 Gradients grads = pool.backward(xt, g)) {
                assertArrayEquals(new int[] {n, c, ref.outH(), ref.outW()}, y.shape().dims());
                assertNull(TestData.mismatch(y.toArray(), r.output()), "output");
                assertNull(TestData.mismatch(grads.input().toArray(), r.gradInput()), "grad_input");
            }
        }
    }
}
