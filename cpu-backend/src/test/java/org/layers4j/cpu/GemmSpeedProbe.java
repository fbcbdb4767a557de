package org.layers4j.cpu;

import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ConvGeometry;

/**
 * Speed sanity check, not a test: {@code java ... org.layers4j.cpu.GemmSpeedProbe [threads]} prints the
 * GFLOP/s of 1024^3 GEMMs (all transpose cases) next to a GEMM-bound convolution of similar work.
 */
public final class GemmSpeedProbe {
    private GemmSpeedProbe() {
    }

    public static void main(String[] args) {
        String threads = args.length > 0 ? args[0] : Integer.toString(Runtime.getRuntime().availableProcessors());
        try (CpuBackend b = new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(Config.CPU_THREADS, threads))) {
            System.out.println(b.kernelDescription() + ", threads " + b.threads());
            int s = 1024;
            try (Tensor a = b.upload(TestSupport.random(1, s * s), Shape.of(s, s));
                 Tensor bm = b.upload(TestSupport.random(2, s * s), Shape.of(s, s)); Tensor c = b.allocate(Shape.of(s, s))) {
                for (int pass = 0; pass < 2; pass++) {
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        double best = Double.MAX_VALUE;
                        for (int r = 0; r < 15; r++) {
                            long t0 = System.nanoTime();
                            b.blas().gemm(ta, tb, s, s, s, a, bm, c, false);
                            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                        }
                        System.out.printf("gemm %d^3 transA=%b transB=%b: %.1f GFLOP/s%n", s, ta, tb, 2.0 * s * s * s / best / 1e9);
                    }
                }
                }
            }
            // Linear on one sample: 1 x 4096 times a [4096, 4096] weight (transB), memory-bound
            int f = 4096;
            try (Tensor xv = b.upload(TestSupport.random(5, f), Shape.of(1, f));
                 Tensor wv = b.upload(TestSupport.random(6, f * f), Shape.of(f, f)); Tensor yv = b.allocate(Shape.of(1, f))) {
                for (boolean tb : new boolean[] {true, false}) {
                    double best = Double.MAX_VALUE;
                    for (int r = 0; r < 20; r++) {
                        long t0 = System.nanoTime();
                        b.blas().gemm(false, tb, 1, f, f, xv, wv, yv, false);
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                    System.out.printf("gemv 1x%d x %dx%d transB=%b: %.2f ms, %.1f GB/s of weights%n", f, f, f, tb, best * 1e3,
                            4.0 * f * f / best / 1e9);
                }
            }
            // 3x3 conv, 128 -> 128 channels, 32x32: 2*128*128*9*1024 = 0.30 GFLOP
            ConvGeometry g = new ConvGeometry(1, 128, 32, 32, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1);
            try (Tensor x = b.upload(TestSupport.random(3, 128 * 1024), Shape.of(1, 128, 32, 32));
                 Tensor w = b.upload(TestSupport.random(4, 128 * 128 * 9), Shape.of(128, 128, 3, 3));
                 Tensor y = b.allocate(Shape.of(1, 128, 32, 32))) {
                double best = Double.MAX_VALUE;
                for (int r = 0; r < 20; r++) {
                    long t0 = System.nanoTime();
                    b.convolution().forward(g, x, w, y);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                System.out.printf("conv 3x3 128->128 32x32: %.1f GFLOP/s%n", 2.0 * 128 * 128 * 9 * 1024 / best / 1e9);
            }
        }
    }
}
