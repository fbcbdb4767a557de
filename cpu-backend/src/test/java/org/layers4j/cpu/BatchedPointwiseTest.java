package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * The batch of small planes as one GEMM ({@link BatchedPointwise}) against one GEMM per image
 * ({@code layers4j.cpu.pointwiseBatch=off}), bit for bit: panels spanning two or three images, the batch's last partial
 * panel, one and several chunks, row blocks split between tasks, bias, residual and activations, a squeeze-excitation
 * scale read with the input, plain and prepared weights, both kernel families and 1-3 threads.
 */
class BatchedPointwiseTest {
    static Stream<Arguments> cases() {
        int[][] shapes = { // n, c, h, w, k
            {2, 16, 7, 7, 24}, {8, 40, 7, 7, 70}, {3, 24, 14, 14, 40}, {2, 96, 7, 7, 1}, {5, 8, 5, 9, 16},
            {3, 3, 4, 4, 5}, {2, 300, 7, 7, 33},
        };
        List<Arguments> cases = new ArrayList<>();
        int i = 0;
        for (String kernels : List.of("vector", "scalar")) {
            for (int[] s : shapes) {
                cases.add(Arguments.of(kernels, new ConvGeometry(s[0], s[1], s[2], s[3], s[4], 1, 1, 1, 1, 0, 0, 1, 1, 1),
                        i++));
            }
        }
        return cases.stream();
    }

    private static final List<ConvEpilogue> EPILOGUES = List.of(ConvEpilogue.NONE, new ConvEpilogue(null, true, null),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.SILU)),
            new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.HARDSWISH)));

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void oneGemmForTheBatchHasTheBitsOfOnePerImage(String kernels, ConvGeometry g, int index) {
        int nr = Kernels.select(kernels).nr();
        if (g.h() * g.w() == 49 && nr >= 16) {
            // 7 x 7 planes leave 23 % of 16- and 32-column panels idle: those cases do run the batched path
            assertTrue(BatchedPointwise.applies(g, nr), "the case runs the batched path");
        }
        Shape in = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape out = Shape.of(g.n(), g.k(), g.h(), g.w());
        float[] xv = TestSupport.random(1 + index, in.size());
        float[] wv = TestSupport.random(2 + index, g.k() * g.c());
        float[] bv = TestSupport.random(3 + index, g.k());
        float[] rv = TestSupport.random(4 + index, out.size());
        float[] sv = TestSupport.random(5 + index, g.n() * g.c());
        ConvEpilogue act = EPILOGUES.get(index % EPILOGUES.size());
        boolean residual = index % 3 == 0;
        boolean scaled = index % 2 == 1;
        float[][] results = new float[2][];
        for (int run = 0; run < 2; run++) {
            if (run == 0) {
                System.setProperty(IndirectConvolution.POINTWISE_BATCH_KEY, "off");
            }
            try (CpuBackend b = TestSupport.backend(kernels, 1 + index % 3)) {
                try (Tensor x = b.upload(xv, in);
                     Tensor w = b.upload(wv, Shape.of(g.k(), g.c(), 1, 1));
                     Tensor prepared = b.convolution().prepareWeights(w, 1);
                     Tensor bias = b.upload(bv, Shape.of(g.k()));
                     Tensor r = residual ? b.upload(rv, out) : null;
                     Tensor s = b.upload(sv, Shape.of(g.n(), g.c(), 1, 1));
                     Tensor y = b.upload(TestSupport.random(6, out.size()), out);
                     Tensor y2 = b.upload(TestSupport.random(7, out.size()), out)) {
                    ConvEpilogue ep = act.withResidual(r);
                    if (scaled) {
                        b.convolution().forward(g, x, s, w, bias, ep, y);
                        b.convolution().forward(g, x, s, prepared, bias, ep, y2);
                    } else {
                        b.convolution().forward(g, x, w, bias, ep, y);
                        b.convolution().forward(g, x, prepared, bias, ep, y2);
                    }
                    assertArrayEquals(y.toArray(), y2.toArray(), "plain and prepared weights");
                    results[run] = y.toArray();
                }
            } finally {
                System.clearProperty(IndirectConvolution.POINTWISE_BATCH_KEY);
            }
        }
        assertEquals(results[0].length, results[1].length);
        for (int i = 0; i < results[0].length; i++) {
            assertEquals(Float.floatToRawIntBits(results[0][i]), Float.floatToRawIntBits(results[1][i]),
                    act + (residual ? " + residual" : "") + (scaled ? ", scaled" : "") + ": output " + i);
        }
    }

    @Test
    void fullPanelsSingleImagesAndGroupsKeepThePerImagePath() {
        assertFalse(BatchedPointwise.applies(new ConvGeometry(8, 16, 28, 28, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), 32));
        assertFalse(BatchedPointwise.applies(new ConvGeometry(8, 16, 56, 56, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), 32));
        assertFalse(BatchedPointwise.applies(new ConvGeometry(1, 16, 7, 7, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), 32));
        assertFalse(BatchedPointwise.applies(new ConvGeometry(8, 16, 7, 7, 16, 1, 1, 1, 1, 0, 0, 1, 1, 2), 32));
        assertFalse(BatchedPointwise.applies(new ConvGeometry(8, 16, 14, 14, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), 32));
        assertTrue(BatchedPointwise.applies(new ConvGeometry(2, 16, 7, 7, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), 32));
    }

    @Test
    void anUnknownSettingIsRefused() {
        System.setProperty(IndirectConvolution.POINTWISE_BATCH_KEY, "sometimes");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> TestSupport.backend("vector", 1).close());
            assertTrue(String.valueOf(e.getMessage()).contains("auto or off"), e.getMessage());
        } finally {
            System.clearProperty(IndirectConvolution.POINTWISE_BATCH_KEY);
        }
    }
}
