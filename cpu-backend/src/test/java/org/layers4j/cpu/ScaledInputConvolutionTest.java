package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.UnaryOp;

/**
 * A 1 x 1 convolution that multiplies its input by one value per image and input channel as it reads it (a
 * squeeze-excitation's scale, {@link ConvEngine#forwardScaled}) gives bit for bit the product computed first and then
 * convolved: planes of one position, of one and of several pointwise chunks, panels with a partial tail, groups, split
 * output channels, epilogues with bias, residual and activation, both kernel families, plain and prepared weights,
 * weights holding a NaN (the repair path), and special values in the scale (NaN, infinities, signed zeros).
 */
class ScaledInputConvolutionTest {
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        int[][] shapes = { // n, c, h, w, k, groups
            {1, 16, 1, 1, 24, 1}, {3, 5, 1, 1, 7, 1}, {1, 40, 7, 7, 70, 1}, {2, 24, 14, 14, 40, 2},
            {1, 3, 33, 35, 9, 1}, {2, 16, 56, 56, 24, 1}, {1, 96, 7, 7, 1, 1}, {3, 8, 5, 9, 16, 4},
        };
        int i = 0;
        for (String kernels : List.of("vector", "scalar")) {
            for (int[] s : shapes) {
                cases.add(Arguments.of(kernels, new ConvGeometry(s[0], s[1], s[2], s[3], s[4], 1, 1, 1, 1, 0, 0, 1, 1,
                        s[5]), i++));
            }
        }
        return cases.stream();
    }

    private static final List<ConvEpilogue> EPILOGUES = List.of(ConvEpilogue.NONE, new ConvEpilogue(null, true, null),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.SILU)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.HARDSWISH)));

    private static float[] scales(int count) {
        float[] s = TestSupport.random(7, count);
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, -0f, 0f, Float.NEGATIVE_INFINITY};
        for (int i = 3; i < count; i += 5) {
            s[i] = special[(i / 5) % special.length];
        }
        return s;
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void scaledAsReadEqualsTheProductConvolved(String kernels, ConvGeometry g, int index) {
        Shape in = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape out = Shape.of(g.n(), g.k(), g.outH(), g.outW());
        Shape wShape = Shape.of(g.k(), g.cPerGroup(), 1, 1);
        float[] xv = TestSupport.random(1, in.size());
        float[] sv = scales(g.n() * g.c());
        float[] product = new float[xv.length];
        int plane = g.h() * g.w();
        for (int i = 0; i < xv.length; i++) {
            product[i] = xv[i] * sv[i / plane];
        }
        float[] wv = TestSupport.random(2, wShape.size());
        if (index % 5 == 4) {
            wv[wv.length / 2] = Float.NaN; // the non-finite repair path
        }
        ConvEpilogue act = EPILOGUES.get(index % EPILOGUES.size());
        boolean residual = index % 3 == 0;
        try (CpuBackend b = TestSupport.backend(kernels, 1 + index % 3);
             Tensor x = b.upload(xv, in);
             Tensor p = b.upload(product, in);
             Tensor s = b.upload(sv, Shape.of(g.n(), g.c(), 1, 1));
             Tensor w = b.upload(wv, wShape);
             Tensor prepared = b.convolution().prepareWeights(w, g.groups());
             Tensor bias = index % 2 == 0 ? b.upload(TestSupport.random(3, g.k()), Shape.of(g.k())) : null;
             Tensor r = residual ? b.upload(TestSupport.random(4, out.size()), out) : null;
             Tensor expected = b.allocate(out)) {
            assertTrue(b.convolution().scalesInput(g));
            b.convolution().forward(g, p, w, bias, act.withResidual(r), expected);
            for (Tensor weights : List.of(w, prepared)) {
                try (Tensor y = b.upload(TestSupport.random(5, out.size()), out)) {
                    b.convolution().forward(g, x, s, weights, bias, act.withResidual(r), y);
                    assertArrayEquals(expected.toArray(), y.toArray(), (weights == w ? "plain" : "prepared")
                            + " weights, " + act + (residual ? " with a residual" : ""));
                }
            }
        }
    }

    @Test
    void otherGeometriesAndBadScalesAreRefusedBeforeAnyWork() {
        ConvGeometry threeByThree = new ConvGeometry(1, 4, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        ConvGeometry strided = new ConvGeometry(1, 4, 6, 6, 8, 1, 1, 2, 2, 0, 0, 1, 1, 1);
        ConvGeometry pointwise = new ConvGeometry(2, 4, 6, 6, 8, 1, 1, 1, 1, 0, 0, 1, 1, 1);
        try (CpuBackend b = TestSupport.backend("vector", 2);
             Tensor x = b.upload(TestSupport.random(1, 2 * 4 * 36), Shape.of(2, 4, 6, 6));
             Tensor w = b.upload(TestSupport.random(2, 8 * 4), Shape.of(8, 4, 1, 1));
             Tensor shortScale = b.upload(TestSupport.random(3, 4), Shape.of(1, 4, 1, 1));
             Tensor y = b.allocate(Shape.of(2, 8, 6, 6))) {
            assertFalse(b.convolution().scalesInput(threeByThree));
            assertFalse(b.convolution().scalesInput(strided));
            assertThrows(UnsupportedOperationException.class,
                    () -> b.convolution().forward(threeByThree, x, shortScale, w, null, ConvEpilogue.NONE, y));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> b.convolution().forward(pointwise, x, shortScale, w, null, ConvEpilogue.NONE, y));
            assertTrue(e.getMessage().contains("one value per image and input channel (2 x 4)"), e.getMessage());
        }
    }
}
