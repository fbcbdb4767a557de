package org.layers4j.cpu.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Dropout2d;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/** nn.Dropout2d: whole channels zeroed with probability p, the others scaled by 1/(1-p); identity in eval. */
class Dropout2dTest {
    private final Backend be = Backends.get("cpu");

    private Tensor ramp(int n, int c, int h, int w) {
        float[] v = new float[n * c * h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = 1 + i % 7;
        }
        return be.upload(v, Shape.of(n, c, h, w));
    }

    @Test
    void evalIsTheIdentity() {
        try (Dropout2d d = new Dropout2d(0.5, 1, be); Tensor x = ramp(2, 3, 4, 4)) {
            d.eval();
            try (Tensor y = d.forward(x)) {
                assertArrayEquals(x.toArray(), y.toArray());
            }
        }
    }

    @Test
    void trainingZeroesWholeChannelsScalesTheOthersAndTheGradientFollowsTheMask() {
        int n = 8;
        int c = 16;
        int plane = 9;
        try (Dropout2d d = new Dropout2d(0.25, 7, be); Tensor x = ramp(n, c, 3, 3); Tape tape = Tape.start()) {
            d.train();
            Tensor y = d.forward(x);
            float[] xv = x.toArray();
            float[] yv = y.toArray();
            int dropped = 0;
            for (int p = 0; p < n * c; p++) {
                boolean zero = yv[p * plane] == 0;
                dropped += zero ? 1 : 0;
                for (int i = p * plane; i < (p + 1) * plane; i++) {
                    assertEquals(zero ? 0f : xv[i] / 0.75f, yv[i], 1e-6f, "element " + i + " of plane " + p);
                }
            }
            assertTrue(dropped > 10 && dropped < 60, "about a quarter of 128 channels dropped, got " + dropped);
            float[] ones = new float[n * c * plane];
            java.util.Arrays.fill(ones, 1f);
            try (Tensor dy = be.upload(ones, y.shape()); Gradients g = tape.backward(y, dy)) {
                float[] dx = g.of(x).toArray();
                for (int i = 0; i < dx.length; i++) {
                    assertEquals(yv[i] == 0 ? 0f : 1 / 0.75f, dx[i], 1e-6f, "gradient " + i);
                }
            }
            y.close();
        }
    }

    @Test
    void aProbabilityOutsideZeroToOneOrAWrongRankIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Dropout2d(1.5, 0, be));
        try (Dropout2d d = new Dropout2d(0.5, 0, be); Tensor x = be.upload(new float[4], Shape.of(2, 2))) {
            d.train();
            assertTrue(assertThrows(IllegalArgumentException.class, () -> d.forward(x)).getMessage()
                    .contains("expected a 3-D or 4-D input"));
        }
    }
}
