package org.layers4j.nn.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;

/**
 * Issue 10, property-based: convolution planning on random and extreme arguments and shapes (0, 1,
 * 2^30, 2^31-1, ...). Planning either rejects with an IllegalArgumentException or gives PyTorch's
 * output shape (computed here with unbounded integers) and a geometry whose every padded extent and
 * window reach fits the backends' 32-bit index arithmetic; nothing else is thrown.
 */
class ConvGeometryFuzzTest {

    @Provide
    Arbitrary<Integer> extreme() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 12), Arbitraries.of(-1, 1 << 16, (1 << 30) - 1,
                1 << 30, (1 << 30) + 1, Integer.MAX_VALUE - 1, Integer.MAX_VALUE, Integer.MIN_VALUE));
    }

    @Provide
    Arbitrary<Integer> size() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 40), Arbitraries.of(65536, 1 << 20));
    }

    @Provide
    Arbitrary<String> mode() {
        return Arbitraries.of("explicit", "same", "valid");
    }

    private static BigInteger big(long v) {
        return BigInteger.valueOf(v);
    }

    @Property(tries = 2000)
    void planningRejectsOrGivesPyTorchsShape(@ForAll("size") int n, @ForAll("size") int len, @ForAll("size") int len2,
                                             @ForAll("extreme") int k, @ForAll("extreme") int s, @ForAll("extreme") int p,
                                             @ForAll("extreme") int d, @ForAll("mode") String mode, @ForAll boolean twoD,
                                             @ForAll PaddingMode paddingMode) {
        ConvSpec spec;
        try {
            ConvBuilder<?> b = twoD ? Conv2d.builder(2, 3, k) : Conv1d.builder(2, 3, k);
            b.stride(s).dilation(d).paddingMode(paddingMode);
            if (mode.equals("explicit")) {
                b.padding(p);
            } else {
                b.padding(mode);
            }
            spec = b.spec();
        } catch (IllegalArgumentException e) {
            return; // a bad argument, named before any shape is seen
        }
        Shape in;
        try {
            in = twoD ? Shape.of(n, 2, len, len2) : Shape.of(n, 2, len);
            in.size();
        } catch (IllegalArgumentException e) {
            return;
        }
        ConvPlan plan;
        try {
            plan = spec.plan(in);
        } catch (IllegalArgumentException e) {
            return;
        }
        // PyTorch's shape, in unbounded arithmetic
        int dims = twoD ? 2 : 1;
        int[] spatial = twoD ? new int[] {len, len2} : new int[] {len};
        Shape out = plan.outputShape();
        assertEquals(n, out.dim(0));
        assertEquals(3, out.dim(1));
        for (int i = 0; i < dims; i++) {
            BigInteger total = mode.equals("same") ? big(d).multiply(big(k - 1))
                    : mode.equals("valid") ? BigInteger.ZERO : big(p).shiftLeft(1);
            BigInteger num = big(spatial[i]).add(total).subtract(big(d).multiply(big(k - 1))).subtract(BigInteger.ONE);
            assertTrue(num.signum() >= 0, "planned an empty output");
            BigInteger o = num.divide(big(s)).add(BigInteger.ONE);
            assertEquals(o, big(out.dim(2 + i)), "output size of dim " + i);
        }
        ConvGeometry g = plan.geometry();
        if (!plan.biasOnly()) {
            assertTrue((long) g.h() + 2L * g.padH() < Integer.MAX_VALUE && (long) g.w() + 2L * g.padW() < Integer.MAX_VALUE);
            assertTrue((long) (g.outH() - 1) * g.strideH() + (long) g.dilationH() * (g.kh() - 1) + 1 < Integer.MAX_VALUE);
            assertTrue((long) (g.outW() - 1) * g.strideW() + (long) g.dilationW() * (g.kw() - 1) + 1 < Integer.MAX_VALUE);
            assertEquals(plan.output4d(), Shape.of(n, 3, g.outH(), g.outW()));
        }
    }

    @Provide
    Arbitrary<int[]> dims() {
        return Arbitraries.oneOf(Arbitraries.integers().between(0, 4), Arbitraries.of(65536, 1 << 30, Integer.MAX_VALUE))
                .array(int[].class).ofMaxSize(5);
    }

    @Property(tries = 1000)
    void shapeSizesAreExactOrRejectedNamingTheCount(@ForAll("dims") int[] dims) {
        Shape s = Shape.of(dims);
        BigInteger product = BigInteger.ONE;
        for (int d : dims) {
            product = product.multiply(BigInteger.valueOf(d));
        }
        if (product.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) <= 0) {
            assertEquals(product.intValue(), s.size());
        } else {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, s::size);
            assertTrue(e.getMessage().contains("more than 2^31-1"), e.getMessage());
        }
    }
}
