package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.PoolGeometry;

/**
 * The 3 x 3, stride-2 max pool backward that finds whole vectors of winners at once ({@link VectorWinners}) gives the
 * scalar scan's gradient bit for bit: the same winner among ties (post-ReLU zeros, -0 against 0), the same order of
 * the additions where one cell wins several windows, NaN windows through the scalar scan; on widths around the
 * vector blocks' bounds, both paddings, one and three threads.
 */
class MaxPoolWinnersTest {
    private static float[] data(Random r, int n, int kind) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            float v = (float) r.nextGaussian();
            x[i] = switch (kind) {
                case 0 -> v;
                case 1 -> Math.max(0f, v); // a ReLU's output: many windows of zeros
                case 2 -> r.nextInt(3) == 0 ? -0f : r.nextInt(2) == 0 ? 0f : Math.round(v); // -0 / 0 and integer ties
                default -> r.nextInt(40) == 0 ? Float.NaN : r.nextInt(40) == 0 ? Float.POSITIVE_INFINITY : v;
            };
        }
        return x;
    }

    @Test
    void vectorWinnersGiveTheScalarScansGradient() {
        assertTrue(new VectorPointwise().winnerLanes() > 0, "the vector family has the kernel");
        Random r = new Random(11);
        int cases = 0;
        for (int threads : new int[] {1, 3}) {
            try (CpuBackend vector = TestSupport.backend("vector", threads);
                 CpuBackend scalar = TestSupport.backend("scalar", threads)) {
                for (int w : new int[] {5, 33, 34, 35, 36, 37, 38, 66, 67, 70, 112}) {
                    for (int pad : new int[] {0, 1}) {
                        for (int kind = 0; kind < 4; kind++) {
                            int h = 3 + r.nextInt(9);
                            int oh = (h + 2 * pad - 3) / 2 + 1;
                            int ow = (w + 2 * pad - 3) / 2 + 1;
                            if (ow < 1) {
                                continue;
                            }
                            PoolGeometry g = new PoolGeometry(2, 3, h, w, 3, 3, 2, 2, pad, pad, 1, 1, oh, ow, false, 0);
                            float[] x = data(r, 2 * 3 * h * w, kind);
                            float[] dy = data(r, 2 * 3 * oh * ow, 0);
                            assertArrayEquals(backward(scalar, g, x, dy), backward(vector, g, x, dy),
                                    "w " + w + " pad " + pad + " kind " + kind + " threads " + threads);
                            cases++;
                        }
                    }
                }
            }
        }
        assertTrue(cases > 150);
    }

    private static float[] backward(CpuBackend b, PoolGeometry g, float[] x, float[] dy) {
        Shape in = Shape.of(g.n(), g.c(), g.h(), g.w());
        Shape out = Shape.of(g.n(), g.c(), g.outH(), g.outW());
        try (Tensor xt = b.upload(x, in); Tensor y = b.allocate(out); Tensor dyt = b.upload(dy, out);
             Tensor dx = b.allocate(in)) {
            b.pooling().maxForward(g, xt, y);
            b.pooling().maxBackward(g, xt, y, dyt, dx);
            return dx.toArray();
        }
    }
}
