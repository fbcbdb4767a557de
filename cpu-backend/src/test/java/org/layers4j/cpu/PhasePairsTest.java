package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The stride-2 row split against its definition: the vector {@link Kernels#deinterleave} copies what the scalar loop
 * copies (every length, start and array end, nothing written outside the two runs), and {@link PhasePairs#row} puts
 * input column base + 2j + b in phase b's cell j where that column is in [0, w), zero elsewhere or the cell untouched,
 * for even and odd bases, negative ones (left padding) and phase rows shorter or longer than the input's columns.
 */
class PhasePairsTest {
    private static final Kernels VECTOR = Kernels.select("vector");
    private static final Kernels SCALAR = Kernels.select("scalar");

    @Test
    void vectorDeinterleaveCopiesWhatTheScalarLoopCopies() {
        Random r = new Random(5);
        for (int n = 0; n <= 70; n++) {
            for (int start = 0; start <= 3; start++) {
                // the array ends right after the last value read, or a vector later
                for (int extra = 0; extra <= 16; extra += 16) {
                    float[] x = new float[start + 2 * n + extra];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = (float) r.nextGaussian();
                    }
                    float[] want = new float[2 * n + 10];
                    float[] got = new float[2 * n + 10];
                    Arrays.fill(want, Float.NaN);
                    Arrays.fill(got, Float.NaN);
                    SCALAR.deinterleave(n, x, start, want, 2, want, n + 7);
                    VECTOR.deinterleave(n, x, start, got, 2, got, n + 7);
                    for (int i = 0; i < want.length; i++) {
                        assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                                "n " + n + ", start " + start + ", extra " + extra + ", cell " + i);
                    }
                }
            }
        }
    }

    @Test
    void eachPhaseCellHoldsItsColumnOrZero() {
        Random r = new Random(11);
        for (Kernels kn : new Kernels[] {VECTOR, SCALAR}) {
            for (int w = 1; w <= 45; w++) {
                for (int base = -4; base <= 5; base++) {
                    for (int wq : new int[] {1, (w + 1) / 2, (w + 5) / 2, w + 3}) {
                        for (boolean zero : new boolean[] {true, false}) {
                            check(kn, r, w, base, wq, zero);
                        }
                    }
                }
            }
        }
    }

    private static void check(Kernels kn, Random r, int w, int base, int wq, boolean zero) {
        int row = 3;
        float[] x = new float[row + w + 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        int d0 = 1;
        int d1 = d0 + wq + 2;
        float[] dst = new float[d1 + wq + 2];
        Arrays.fill(dst, Float.NaN);
        new PhasePairs(w, base, wq).row(kn, x, row, dst, d0, d1, zero);
        for (int i = 0; i < dst.length; i++) {
            float want = Float.NaN;
            int b = i >= d0 && i < d0 + wq ? 0 : i >= d1 && i < d1 + wq ? 1 : -1;
            if (b >= 0) {
                int col = base + 2 * (i - (b == 0 ? d0 : d1)) + b;
                want = col >= 0 && col < w ? x[row + col] : zero ? 0f : Float.NaN;
            }
            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dst[i]),
                    kn.getClass().getSimpleName() + ": w " + w + ", base " + base + ", wq " + wq + ", zero " + zero
                            + ", cell " + i);
        }
    }
}
