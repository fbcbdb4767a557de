package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The depthwise kernels' scratch variant and the stride-phase gather against their plain forms: {@link
 * Kernels#tapsToScratch} gives every output in [0, len) the bits {@link Kernels#taps} gives it (its last partial
 * vector runs in whole lanes as products then sums, as the scalar tail does) and writes nothing before outOff; the
 * vector {@link Kernels#gather} copies the values the scalar loop copies, up to the end of the array.
 */
class TapsAndGatherTest {
    private static final Kernels VECTOR = Kernels.select("vector");

    @Test
    void tapsToScratchHasTheBitsOfTaps() {
        Random r = new Random(7);
        int[] tapOff = {0, 1, 2, 13, 14, 15, 26, 27, 28};
        float[] w = new float[9];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        for (int len = 1; len <= 90; len++) {
            // x exactly as long as the last tap's reads, then with room for whole-vector reads past len
            for (int slack : new int[] {0, 16}) {
                float[] x = new float[28 + len + slack];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian() * (i % 11 == 0 ? 1e6f : 1f);
                }
                float[] plain = new float[len + 3];
                VECTOR.taps(len, x, 0, tapOff, w, 0, 9, plain, 3);
                float[] scratch = new float[len + 3 + slack];
                java.util.Arrays.fill(scratch, Float.NaN);
                VECTOR.tapsToScratch(len, x, 0, tapOff, w, 0, 9, scratch, 3);
                for (int t = 0; t < 3; t++) {
                    assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(scratch[t]),
                            "nothing written before outOff");
                }
                for (int t = 0; t < len; t++) {
                    assertEquals(Float.floatToRawIntBits(plain[3 + t]), Float.floatToRawIntBits(scratch[3 + t]),
                            "len " + len + ", slack " + slack + ", output " + t);
                }
            }
        }
    }

    @Test
    void vectorGatherCopiesWhatTheScalarLoopCopies() {
        Kernels scalar = Kernels.select("scalar");
        Random r = new Random(3);
        for (int stride = 1; stride <= 3; stride++) {
            for (int n = 0; n <= 70; n++) {
                for (int start = 0; start <= 2; start++) {
                    // the array ends right after the last value read, or a little later
                    for (int extra = 0; extra <= 17; extra += 17) {
                        float[] x = new float[start + Math.max(0, (n - 1) * stride + 1) + extra];
                        for (int i = 0; i < x.length; i++) {
                            x[i] = r.nextFloat();
                        }
                        float[] expected = new float[n + 2];
                        float[] actual = new float[n + 2];
                        scalar.gather(n, x, start, stride, expected, 2);
                        VECTOR.gather(n, x, start, stride, actual, 2);
                        assertArrayEquals(expected, actual, "stride " + stride + ", n " + n + ", start " + start);
                    }
                }
            }
        }
    }
}
