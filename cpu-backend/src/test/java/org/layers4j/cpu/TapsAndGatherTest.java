package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The depthwise kernels' scratch variant and the stride-phase gather against their plain forms: {@link
 * Kernels#tapsToScratch} gives every output in [0, len) the bits {@link Kernels#taps} gives it (its last partial
 * vector runs in whole lanes as products then sums, as the scalar tail does) and writes nothing before outOff; the
 * vector {@link Kernels#gather} copies the values the scalar loop copies, up to the end of the array; the vector row
 * copies into and out of padded planes ({@link Kernels#padRows}, {@link Kernels#packRows}) give the scalar copies' planes
 * and write nothing outside them.
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

    /**
     * {@link Kernels#padRows} into a zero-padded plane: the vector kernels give the plane the scalar copy gives it (rows
     * inside, zeros everywhere else, the array's end included), for planes narrower and wider than a vector, with
     * the source array ending right after the plane or later; NaN payloads and -0 keep their bits.
     */
    @Test
    void padRowsFillsThePaddedPlaneTheScalarCopyFills() {
        Kernels scalar = Kernels.select("scalar");
        Random r = new Random(5);
        for (int w = 1; w <= 35; w++) {
            for (int pad = 0; pad <= 3; pad++) {
                for (int extra : new int[] {0, 5, 40}) {
                    int rows = 1 + r.nextInt(8);
                    int off = r.nextInt(3);
                    float[] x = new float[off + rows * w + extra];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = i % 7 == 0 ? Float.intBitsToFloat(0x7fc00001 + i) : i % 5 == 0 ? -0f
                                : (float) r.nextGaussian();
                    }
                    int wp = w + 2 * pad;
                    int size = (rows + 2 * pad) * wp + Workspace.PLANE_SLACK;
                    float[] expected = new float[size];
                    float[] actual = new float[size];
                    scalar.padRows(x, off, rows, w, expected, pad * wp + pad, wp);
                    VECTOR.padRows(x, off, rows, w, actual, pad * wp + pad, wp);
                    for (int i = 0; i < size; i++) {
                        assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                                "w " + w + ", pad " + pad + ", extra " + extra + ", index " + i);
                    }
                }
            }
        }
    }

    /**
     * {@link Kernels#packRows}: the run [yOff, yOff + rows * cols) gets the rows, and nothing before or after it is
     * written (a neighbour's plane), for every row count and width around a vector's length.
     */
    @Test
    void packRowsWritesOnlyItsRun() {
        Random r = new Random(6);
        for (int cols = 1; cols <= 35; cols++) {
            for (int rows = 1; rows <= 9; rows++) {
                for (int gap = 0; gap <= 5; gap += 5) {
                    int stride = cols + gap;
                    float[] src = new float[(rows - 1) * stride + cols + r.nextInt(20)];
                    for (int i = 0; i < src.length; i++) {
                        src[i] = (float) r.nextGaussian();
                    }
                    float[] y = new float[3 + rows * cols + 2];
                    java.util.Arrays.fill(y, Float.NaN);
                    VECTOR.packRows(src, 0, stride, rows, cols, y, 3);
                    for (int i = 0; i < 3; i++) {
                        assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(y[i]), "before the run");
                    }
                    for (int i = 3 + rows * cols; i < y.length; i++) {
                        assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(y[i]), "after the run");
                    }
                    for (int q = 0; q < rows; q++) {
                        for (int j = 0; j < cols; j++) {
                            assertEquals(Float.floatToRawIntBits(src[q * stride + j]),
                                    Float.floatToRawIntBits(y[3 + q * cols + j]),
                                    "cols " + cols + ", rows " + rows + ", row " + q + ", column " + j);
                        }
                    }
                }
            }
        }
    }
}
