package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The affine row kernel (the convolutions' bias store, batch norm, softmax) at every length up to past four
 * vectors, at odd offsets, in place and not: the vector family's overlapping last vector must write exactly the
 * range's elements, within one rounding of float64, and the same values in place as out of place.
 */
class PointwiseRowsTest {
    private static final float SENTINEL = -12345f;

    private static PointwiseKernels kernels(String family) {
        return Kernels.select(family).pointwise();
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void affineWritesExactlyTheRangeInPlaceOrNot(String family) {
        PointwiseKernels pk = kernels(family);
        float center = 0.375f;
        float scale = 1.7f;
        float shift = -0.3f;
        for (int len = 0; len <= 70; len++) {
            for (int off : new int[] {0, 3}) {
                float[] x = TestSupport.random(len + 5, 100);
                float[] y = filled(100);
                pk.affine(len, x, off + 1, center, scale, shift, y, off);
                float[] inPlace = x.clone();
                pk.affine(len, inPlace, off + 1, center, scale, shift, inPlace, off + 1);
                for (int i = 0; i < y.length; i++) {
                    if (i < off || i >= off + len) {
                        assertEquals(SENTINEL, y[i], "len " + len + ": element " + i + " is outside the range");
                        continue;
                    }
                    double exact = ((double) x[i + 1] - center) * scale + shift;
                    assertEquals(exact, y[i], 2 * Math.ulp((float) exact) + 1e-7, "len " + len + ", element " + i);
                }
                float[] outOfPlace = new float[len];
                float[] inPlaceRange = new float[len];
                System.arraycopy(y, off, outOfPlace, 0, len);
                System.arraycopy(inPlace, off + 1, inPlaceRange, 0, len);
                assertArrayEquals(outOfPlace, inPlaceRange, "len " + len + ": in place differs");
                for (int i = 0; i < x.length; i++) {
                    if (i < off + 1 || i >= off + 1 + len) {
                        assertEquals(x[i], inPlace[i], "len " + len + ": in place wrote element " + i);
                    }
                }
            }
        }
    }

    /** The bias store of every convolution path: x * 1 + b rounds once, the same in every lane and tail. */
    @ParameterizedTest
    @ValueSource(strings = {"vector", "scalar"})
    void biasStoreIsOneRoundedAdditionAtEveryLength(String family) {
        PointwiseKernels pk = kernels(family);
        float bias = 0.1f;
        for (int len = 1; len <= 70; len++) {
            float[] x = TestSupport.random(len, len);
            float[] y = new float[len];
            pk.affine(len, x, 0, 0f, 1f, bias, y, 0);
            for (int i = 0; i < len; i++) {
                assertEquals(x[i] + bias, y[i], "len " + len + ", element " + i);
            }
        }
    }

    private static float[] filled(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, SENTINEL);
        return a;
    }
}
