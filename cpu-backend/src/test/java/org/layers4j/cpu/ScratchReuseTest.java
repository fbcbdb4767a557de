package org.layers4j.cpu;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.ConvGeometry;

/**
 * The per-thread scratch buffers keep zero borders and grow across calls; these tests run different
 * geometries back to back on one backend (one thread, so every call reuses the same buffers) and check
 * that no call sees another's leftovers.
 */
class ScratchReuseTest {

    private static final List<ConvGeometry> SEQUENCE = List.of(
            new ConvGeometry(1, 6, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1),
            new ConvGeometry(1, 6, 9, 9, 8, 3, 3, 1, 1, 0, 0, 1, 1, 1),
            new ConvGeometry(1, 6, 9, 9, 8, 3, 3, 1, 1, 2, 2, 1, 1, 1),
            new ConvGeometry(1, 6, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 2),
            new ConvGeometry(1, 6, 9, 9, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),
            new ConvGeometry(1, 6, 11, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1, 6),
            new ConvGeometry(2, 12, 20, 20, 16, 5, 5, 1, 1, 2, 2, 1, 1, 1),
            new ConvGeometry(1, 6, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1));

    private static Shape input(ConvGeometry g) {
        return Shape.of(g.n(), g.c(), g.h(), g.w());
    }

    private static Shape weight(ConvGeometry g) {
        return Shape.of(g.k(), g.cPerGroup(), g.kh(), g.kw());
    }

    private static Shape output(ConvGeometry g) {
        return Shape.of(g.n(), g.k(), g.outH(), g.outW());
    }

    @Test
    void geometriesBackToBackMatchTheReferenceInEveryPass() {
        try (CpuBackend b = TestSupport.backend("vector", 1)) {
            int seed = 100;
            for (ConvGeometry g : SEQUENCE) {
                float[] x = TestSupport.random(seed++, input(g).size());
                float[] w = TestSupport.random(seed++, weight(g).size());
                float[] dy = TestSupport.random(seed++, output(g).size());
                try (Tensor xt = b.upload(x, input(g)); Tensor wt = b.upload(w, weight(g)); Tensor dyt = b.upload(dy, output(g));
                     Tensor y = b.allocate(output(g)); Tensor dx = b.allocate(input(g)); Tensor dw = b.allocate(weight(g))) {
                    b.convolution().forward(g, xt, wt, y);
                    b.convolution().backwardData(g, dyt, wt, dx);
                    b.convolution().backwardFilter(g, xt, dyt, dw);
                    TestSupport.assertClose(Reference.convForward(g, x, w), y.toArray());
                    TestSupport.assertClose(Reference.convBackwardData(g, dy, w), dx.toArray());
                    TestSupport.assertClose(Reference.convBackwardFilter(g, x, dy), dw.toArray());
                }
            }
        }
    }

    @Test
    void aNaNInputDoesNotLeakIntoTheNextCall() {
        ConvGeometry g = new ConvGeometry(1, 4, 7, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        try (CpuBackend b = TestSupport.backend("vector", 1)) {
            float[] poisoned = new float[input(g).size()];
            Arrays.fill(poisoned, Float.NaN);
            float[] x = TestSupport.random(7, input(g).size());
            float[] w = TestSupport.random(8, weight(g).size());
            float[] dy = TestSupport.random(9, output(g).size());
            try (Tensor bad = b.upload(poisoned, input(g)); Tensor xt = b.upload(x, input(g)); Tensor wt = b.upload(w, weight(g));
                 Tensor dyt = b.upload(dy, output(g)); Tensor y = b.allocate(output(g)); Tensor dw = b.allocate(weight(g))) {
                b.convolution().forward(g, bad, wt, y);
                b.convolution().backwardFilter(g, bad, dyt, dw);
                b.convolution().forward(g, xt, wt, y);
                b.convolution().backwardFilter(g, xt, dyt, dw);
                TestSupport.assertClose(Reference.convForward(g, x, w), y.toArray());
                TestSupport.assertClose(Reference.convBackwardFilter(g, x, dy), dw.toArray());
            }
        }
    }
}
