package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.layers4j.spi.ConvolutionOps;
import org.layers4j.spi.Tensors;
import org.layers4j.spi.UnaryOp;

/**
 * A residual add and an activation applied as a convolution's outputs are stored, on weights prepared once or
 * not, give the separate ops' result bit for bit, on every forward path of {@link ConvolutionTest}'s geometries
 * and both kernel families; so does the SPI's unfused default.
 */
class ConvEpilogueTest {
    /** The activations, one per geometry in turn; every third case also adds a residual. */
    private static final List<ConvEpilogue> ACTIVATIONS = List.of(
            new ConvEpilogue(null, true, null),
            new ConvEpilogue(null, false, UnaryOp.relu6()),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.SILU)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.HARDSWISH)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.HARDSIGMOID)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.GELU)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.GELU_TANH)),
            ConvEpilogue.NONE);

    static Stream<Arguments> cases() {
        int[] i = {0};
        return ConvolutionTest.cases().map(a -> Arguments.of(a.get()[0], a.get()[1], i[0]++));
    }

    private static Shape input(ConvGeometry g) {
        return Shape.of(g.n(), g.c(), g.h(), g.w());
    }

    private static Shape weight(ConvGeometry g) {
        return Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
    }

    private static Shape output(ConvGeometry g) {
        return Shape.of(g.n(), g.k(), g.outH(), g.outW());
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void fusedEpilogueEqualsTheSeparateOps(String kernels, ConvGeometry g, int index) {
        ConvEpilogue act = ACTIVATIONS.get(index % ACTIVATIONS.size());
        boolean residual = index % 3 != 1 || act.isNone();
        boolean bias = index % 4 != 2;
        try (CpuBackend b = TestSupport.backend(kernels, 3);
             Tensor x = b.upload(TestSupport.random(1, input(g).size()), input(g));
             Tensor w = b.upload(TestSupport.random(2, weight(g).size()), weight(g));
             Tensor prepared = b.convolution().prepareWeights(w, g.groups());
             Tensor bt = bias ? b.upload(TestSupport.random(3, g.k()), Shape.of(g.k())) : null;
             Tensor r = residual ? b.upload(TestSupport.random(4, output(g).size()), output(g)) : null) {
            float[] expected = separately(b, g, x, w, bt, r, act);
            for (Tensor weights : List.of(w, prepared)) {
                try (Tensor y = b.upload(TestSupport.random(5, output(g).size()), output(g))) {
                    b.convolution().forward(g, x, weights, bt, act.withResidual(r), y);
                    assertArrayEquals(expected, y.toArray(), weights == w ? "plain weights" : "prepared weights");
                }
            }
        }
    }

    /** conv + bias, then add, then the activation, each a call of its own. */
    private static float[] separately(CpuBackend b, ConvGeometry g, Tensor x, Tensor w, Tensor bias, Tensor r,
                                      ConvEpilogue act) {
        try (Tensor conv = b.allocate(output(g)); Tensor sum = b.allocate(output(g)); Tensor y = b.allocate(output(g))) {
            b.convolution().forward(g, x, w, bias, conv);
            Tensor in = conv;
            if (r != null) {
                b.elementwise().add(conv, r, sum);
                in = sum;
            }
            if (act.relu()) {
                b.activation().relu(in, y);
            } else if (act.unary() != null) {
                b.pointwise().unary(act.unary(), in, y);
            } else {
                b.elementwise().copy(in, y);
            }
            return y.toArray();
        }
    }

    @Test
    void theSpiDefaultRunsTheSeparateOpsWithTheSameResult() {
        ConvGeometry g = new ConvGeometry(2, 5, 9, 11, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        try (CpuBackend b = TestSupport.backend("vector", 2);
             Tensor x = b.upload(TestSupport.random(1, input(g).size()), input(g));
             Tensor w = b.upload(TestSupport.random(2, weight(g).size()), weight(g));
             Tensor bt = b.upload(TestSupport.random(3, g.k()), Shape.of(g.k()));
             Tensor r = b.upload(TestSupport.random(4, output(g).size()), output(g));
             Tensor y = b.allocate(output(g)); Tensor fused = b.allocate(output(g))) {
            ConvolutionOps ops = b.convolution();
            ConvolutionOps unfused = TestSupport.defaultsOf(ops);
            for (ConvEpilogue act : ACTIVATIONS) {
                unfused.forward(g, x, w, bt, act.withResidual(r), y);
                ops.forward(g, x, w, bt, act.withResidual(r), fused);
                assertArrayEquals(y.toArray(), fused.toArray(), String.valueOf(act));
            }
            try (Tensor same = unfused.prepareWeights(w, 1)) {
                assertArrayEquals(w.toArray(), same.toArray(), "the default prepares nothing: a handle on w");
            }
        }
    }

    @Test
    void preparedWeightsShareTheWeightsAndTheirPanelsCountAsBackendMemory() {
        ConvGeometry g = new ConvGeometry(1, 16, 8, 8, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        try (CpuBackend b = TestSupport.backend("vector", 2);
             Tensor x = b.upload(TestSupport.random(1, input(g).size()), input(g));
             Tensor w = b.upload(TestSupport.random(2, weight(g).size()), weight(g));
             Tensor y = b.allocate(output(g))) {
            long before = b.memory().liveBytes();
            Tensor p = b.convolution().prepareWeights(w, 1);
            assertNotSame(Tensors.storage(w), Tensors.storage(p));
            assertSame(CpuStorage.of(w), CpuStorage.of(p), "w's own values, not a copy");
            assertEquals(before, b.memory().liveBytes(), "nothing new before the panels are packed");
            b.convolution().forward(g, x, p, y);
            long panels = b.memory().liveBytes() - before;
            assertTrue(panels > 0, "the packed panels");
            float[] values = w.toArray();
            w.close();
            assertEquals(before + panels, b.memory().liveBytes(), "w's values stay (counted once) while p holds them");
            assertArrayEquals(values, p.toArray());
            p.close();
            assertEquals(before - weight(g).size() * 4L, b.memory().liveBytes(), "all freed once both are closed");
        }
    }

    @Test
    void nonFiniteWeightsWithAnEpilogueGiveTheSeparateOpsResult() {
        ConvGeometry g = new ConvGeometry(2, 4, 7, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] wv = TestSupport.random(2, weight(g).size());
        wv[5] = Float.POSITIVE_INFINITY;
        wv[40] = Float.NaN;
        float[] xv = TestSupport.random(1, input(g).size());
        xv[0] = Float.NEGATIVE_INFINITY;
        for (String kernels : List.of("vector", "scalar")) {
            try (CpuBackend b = TestSupport.backend(kernels, 2);
                 Tensor x = b.upload(xv, input(g)); Tensor w = b.upload(wv, weight(g));
                 Tensor prepared = b.convolution().prepareWeights(w, 1);
                 Tensor r = b.upload(TestSupport.random(4, output(g).size()), output(g));
                 Tensor y = b.allocate(output(g))) {
                ConvEpilogue act = new ConvEpilogue(null, true, null);
                float[] expected = separately(b, g, x, w, null, r, act);
                for (Tensor weights : List.of(w, prepared)) {
                    b.convolution().forward(g, x, weights, null, act.withResidual(r), y);
                    assertArrayEquals(expected, y.toArray(), kernels);
                }
            }
        }
    }
}
