package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvEpilogue;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.UnaryOp;

/**
 * The two orders of the in-place 1 x 1 GEMM ({@link IndirectConvolution#ROW_BLOCKS_OUTER_KEY}: each row block over
 * the chunk's panels, or every row block per panel) give the same bits, epilogue included; a bad override is refused.
 */
class PointwiseOrderTest {
    private static float[] run(String rowBlocksOuter, ConvGeometry g, ConvEpilogue act) {
        String old = System.getProperty(IndirectConvolution.ROW_BLOCKS_OUTER_KEY);
        System.setProperty(IndirectConvolution.ROW_BLOCKS_OUTER_KEY, rowBlocksOuter);
        try (CpuBackend b = TestSupport.backend("vector", 3);
             Tensor x = b.upload(TestSupport.random(1, g.n() * g.c() * g.h() * g.w()), Shape.of(g.n(), g.c(), g.h(), g.w()));
             Tensor w = b.upload(TestSupport.random(2, g.k() * g.cPerGroup()), Shape.of(g.k(), g.cPerGroup(), 1, 1));
             Tensor bias = b.upload(TestSupport.random(3, g.k()), Shape.of(g.k()));
             Tensor y = b.allocate(Shape.of(g.n(), g.k(), g.outH(), g.outW()))) {
            b.convolution().forward(g, x, w, bias, act, y);
            return y.toArray();
        } finally {
            if (old == null) {
                System.clearProperty(IndirectConvolution.ROW_BLOCKS_OUTER_KEY);
            } else {
                System.setProperty(IndirectConvolution.ROW_BLOCKS_OUTER_KEY, old);
            }
        }
    }

    @Test
    void bothOrdersGiveTheSameBits() {
        List<ConvGeometry> geometries = List.of(
                new ConvGeometry(1, 16, 40, 41, 27, 1, 1, 1, 1, 0, 0, 1, 1, 1), // 13 full panels + a partial one
                new ConvGeometry(2, 12, 33, 33, 44, 1, 1, 1, 1, 0, 0, 1, 1, 2),
                new ConvGeometry(1, 24, 5, 6, 44, 1, 1, 1, 1, 0, 0, 1, 1, 1)); // channel parts
        for (ConvGeometry g : geometries) {
            for (ConvEpilogue act : List.of(ConvEpilogue.NONE, new ConvEpilogue(null, true, null),
                    new ConvEpilogue(null, false, UnaryOp.of(UnaryOp.Kind.SILU)))) {
                float[] panelsOuter = run("0", g, act);
                float[] blocksOuter = run(String.valueOf(Integer.MAX_VALUE), g, act);
                assertArrayEquals(panelsOuter, blocksOuter, g + " " + act);
            }
        }
    }

    @Test
    void aBadOverrideIsRefusedByName() {
        for (String bad : List.of("-1", "lots")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(bad, new ConvGeometry(1, 2, 3, 3, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1), ConvEpilogue.NONE));
            assertTrue(e.getMessage().contains(IndirectConvolution.ROW_BLOCKS_OUTER_KEY), e.getMessage());
        }
    }
}
