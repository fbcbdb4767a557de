package org.layers4j.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The register tiles follow the machine (vector length, vector registers), and every kernel method matches a
 * float64 reference on this JVM's vector width. cpu-backend's pom runs this class (with the convolution,
 * fixture and differential tests) again under -XX:MaxVectorSize=16, -XX:MaxVectorSize=32 and -XX:UseAVX=2.
 */
class KernelSelectionTest {
    private final Kernels kn = Kernels.select("vector");
    private final int lanes = FloatVector.SPECIES_PREFERRED.length();

    @Test
    void tileFollowsTheRegisterFile() {
        String forced = System.getProperty("layers4j.cpu.tile");
        int rows;
        int vectors;
        if (forced != null) {
            rows = Integer.parseInt(forced.substring(0, forced.indexOf('x')));
            vectors = Integer.parseInt(forced.substring(forced.indexOf('x') + 1));
        } else {
            rows = VectorKernels.REGISTERS >= 32 ? 8 : 6;
            vectors = 2;
        }
        assertEquals(rows, kn.mr(), kn.description());
        assertEquals(vectors * lanes, kn.nr(), kn.description());
        assertTrue(kn.description().contains(FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit"), kn.description());
        String arch = System.getProperty("os.arch");
        if ((arch.equals("amd64") || arch.equals("x86_64")) && System.getProperty("layers4j.cpu.vectorRegisters") == null) {
            int avx = Integer.parseInt(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("UseAVX").getValue());
            assertEquals(avx >= 3 ? 32 : 16, VectorKernels.REGISTERS, kn.description());
        }
    }

    @Test
    void tileAndTileRowsMatchTheReference() {
        Random r = new Random(7);
        int mr = kn.mr();
        int nr = kn.nr();
        for (int kc : new int[] {1, 3, 17, 256}) {
            float[] a = random(r, mr * kc);
            float[] b = random(r, nr * kc + nr);
            float[] c0 = random(r, 3 * mr * nr);
            int ldc = nr + 5;
            for (boolean acc : new boolean[] {false, true}) {
                float[] c = c0.clone();
                kn.tile(kc, a, 0, b, 0, c, 2, ldc, acc);
                int[] rowOff = new int[kc];
                for (int k = 0; k < kc; k++) {
                    rowOff[k] = k * nr;
                }
                float[] c2 = c0.clone();
                kn.tileRows(kc, a, 0, b, rowOff, 0, 0, c2, 2, ldc, acc);
                for (int i = 0; i < mr; i++) {
                    for (int j = 0; j < nr; j++) {
                        double e = acc ? c0[2 + i * ldc + j] : 0;
                        for (int k = 0; k < kc; k++) {
                            e += (double) a[k * mr + i] * b[k * nr + j];
                        }
                        double tol = 1e-5 * (kc + 1);
                        assertEquals(e, c[2 + i * ldc + j], tol, "tile kc=" + kc + " (" + i + "," + j + ")");
                        assertEquals(e, c2[2 + i * ldc + j], tol, "tileRows kc=" + kc + " (" + i + "," + j + ")");
                    }
                }
                // nothing outside the tile is written
                for (int p = 0; p < c.length; p++) {
                    int q = p - 2;
                    boolean inside = q >= 0 && q / ldc < mr && q % ldc < nr;
                    if (!inside) {
                        assertEquals(c0[p], c[p], 0f, "tile wrote outside at " + p);
                    }
                }
            }
        }
    }

    @Test
    void dotTileMatchesTheReference() {
        Random r = new Random(11);
        int blk = kn.dotBlockLength();
        for (int len : new int[] {blk, 5 * blk, 1024, 1024 + 3 * blk, 3136}) {
            int n = (len + blk - 1) / blk * blk;
            int lda = n + blk;
            float[] a = random(r, 4 * lda);
            float[] b = random(r, 4 * lda + 8);
            int[] bOff = {1, lda + 3, 2 * lda, 3 * lda + 5};
            int ldo = 6;
            float[] out0 = random(r, 4 * ldo);
            float[] out = out0.clone();
            kn.dotTile(n, a, 0, lda, b, bOff, 0, out, 0, ldo);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    double e = out0[i * ldo + j];
                    for (int t = 0; t < n; t++) {
                        e += (double) a[i * lda + t] * b[bOff[j] + t];
                    }
                    assertEquals(e, out[i * ldo + j], 1e-5 * n, "dotTile len=" + n + " (" + i + "," + j + ")");
                }
                assertEquals(out0[i * ldo + 4], out[i * ldo + 4], 0f);
                assertEquals(out0[i * ldo + 5], out[i * ldo + 5], 0f);
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }
}
