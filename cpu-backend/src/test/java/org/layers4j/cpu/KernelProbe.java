package org.layers4j.cpu;

import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.ConvGeometry;

/**
 * Entry point run in a child JVM without {@code --add-modules jdk.incubator.vector}: prints which kernels
 * the backend chose and whether a convolution still matches the reference there; the parent test reads
 * the JVM's class-loading log to check that no Vector API class was loaded.
 */
public final class KernelProbe {
    private KernelProbe() {
    }

    public static void main(String[] args) throws Exception {
        try (CpuBackend b = new CpuBackend(Config.of(Map.of(), Map.of(), Map.of()).with(Config.CPU_THREADS, "2"))) {
            System.out.println("kernels=" + b.kernelDescription());
            ConvGeometry g = new ConvGeometry(1, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1);
            float[] x = TestSupport.random(1, 108);
            float[] w = TestSupport.random(2, 108);
            boolean ok;
            try (Tensor xt = b.upload(x, Shape.of(1, 3, 6, 6)); Tensor wt = b.upload(w, Shape.of(4, 3, 3, 3));
                 Tensor y = b.allocate(Shape.of(1, 4, 6, 6))) {
                b.convolution().forward(g, xt, wt, y);
                double[] e = Reference.convForward(g, x, w);
                float[] a = y.toArray();
                ok = true;
                for (int i = 0; i < e.length; i++) {
                    ok &= Math.abs(a[i] - e[i]) <= 1e-4 * Math.max(1, Math.abs(e[i]) * 10);
                }
            }
            System.out.println("forwardOk=" + ok);
        }
    }
}
