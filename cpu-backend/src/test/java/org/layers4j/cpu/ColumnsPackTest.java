package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The packing of a transposed B (Linear's weight) through in-register block transposes against its definition:
 * panel p's cell (kk, j) is b[off + (j0 + p*nr + j)*ldb + k0 + kk], zero for the columns past nc, for block-aligned
 * and ragged panel widths and depths and offsets into the matrix, on the vector kernels of this build's width.
 */
class ColumnsPackTest {
    private static final Kernels VECTOR = Kernels.select("vector");

    @Test
    void everyPanelCellHoldsItsWeightOrZero() {
        Random r = new Random(9);
        int nr = VECTOR.nr();
        for (int n : new int[] {1, 15, 16, 17, 33, 64, 70}) {
            for (int k : new int[] {1, 16, 31, 48, 75}) {
                float[] b = new float[3 + n * (k + 2)];
                for (int i = 0; i < b.length; i++) {
                    b[i] = (float) r.nextGaussian();
                }
                int ldb = k + 2;
                for (int j0 = 0; j0 < n; j0 += Math.max(1, n / 2)) {
                    for (int k0 = 0; k0 < k; k0 += Math.max(1, k / 3)) {
                        int nc = n - j0;
                        int kc = k - k0;
                        int panels = (nc + nr - 1) / nr;
                        float[] dst = new float[2 + panels * kc * nr + 2];
                        Arrays.fill(dst, Float.NaN);
                        new Packers.ColumnsB(VECTOR, b, 3, ldb).pack(j0, nc, k0, kc, nr, dst, 2);
                        for (int i = 0; i < dst.length; i++) {
                            float want = Float.NaN;
                            int c = i - 2;
                            if (c >= 0 && c < panels * kc * nr) {
                                int p = c / (kc * nr);
                                int kk = c % (kc * nr) / nr;
                                int j = c % nr;
                                int col = p * nr + j;
                                want = col < nc ? b[3 + (j0 + col) * ldb + k0 + kk] : 0f;
                            }
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(dst[i]),
                                    "n " + n + ", k " + k + ", j0 " + j0 + ", k0 " + k0 + ", cell " + i);
                        }
                    }
                }
            }
        }
    }
}
