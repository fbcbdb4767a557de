package org.layers4j.cpu;

import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.config.Config;
import org.layers4j.spi.PoolGeometry;

/**
 * Speed sanity check, not a test: {@code java ... org.layers4j.cpu.PointwiseSpeedProbe [vector|scalar]} prints
 * the effective bandwidth (GB/s of input + output) of the memory-bound ops on a [32, 64, 56, 56] tensor.
 */
public final class PointwiseSpeedProbe {
    private static final int REPS = Integer.getInteger("reps", 15);

    private PointwiseSpeedProbe() {
    }

    private static void time(String name, long bytes, Runnable op) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < REPS; r++) {
            long t0 = System.nanoTime();
            op.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        System.out.printf("%-28s %8.2f ms %7.1f GB/s%n", name, best * 1e3, bytes / best / 1e9);
    }

    public static void main(String[] args) {
        String kernels = args.length > 0 ? args[0] : "vector";
        Config config = Config.of(Map.of(), Map.of(), Map.of()).with(Kernels.KERNELS_KEY, kernels);
        try (CpuBackend b = new CpuBackend(config)) {
            System.out.println(b.kernelDescription() + ", threads " + b.threads());
            Shape s = Shape.of(32, 64, 56, 56);
            long bytes = 8L * s.size();
            PoolGeometry p2 = new PoolGeometry(32, 64, 56, 56, 2, 2, 2, 2, 0, 0, 1, 1, 28, 28, true, 0);
            PoolGeometry p3 = new PoolGeometry(32, 64, 56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 56, 56, false, 0);
            Shape c = Shape.of(64);
            try (Tensor x = b.upload(TestSupport.random(1, s.size()), s); Tensor y = b.allocate(s);
                 Tensor q = b.allocate(Shape.of(32, 64, 28, 28)); Tensor w = b.upload(TestSupport.random(2, 64), c);
                 Tensor bias = b.upload(TestSupport.random(3, 64), c); Tensor sm = b.allocate(c); Tensor si = b.allocate(c);
                 Tensor rm = b.allocate(c); Tensor rv = b.allocate(c); Tensor dx = b.allocate(s)) {
                time("relu", bytes, () -> b.activation().relu(x, y));
                time("sigmoid", bytes, () -> b.activation().sigmoid(x, y));
                time("tanh", bytes, () -> b.activation().tanh(x, y));
                time("add", bytes * 3 / 2, () -> b.elementwise().add(x, x, y));
                time("softmax rows of 3136", bytes, () -> b.activation().softmax(false, 2048, 3136, 1, x, y));
                time("maxpool 2x2 s2", bytes * 5 / 8, () -> b.pooling().maxForward(p2, x, q));
                time("maxpool 2x2 s2 backward", bytes * 2, () -> b.pooling().maxBackward(p2, x, q, q, dx));
                time("avgpool 3x3 s1 p1", bytes, () -> b.pooling().avgForward(p3, x, y));
                time("avgpool 3x3 s1 backward", bytes, () -> b.pooling().avgBackward(p3, y, dx));
                time("batchnorm training", bytes, () -> b.normalization().batchNormTraining(x, w, bias, 1e-5, 0.1, rm, rv,
                        y, sm, si));
                time("batchnorm training backward", bytes * 3 / 2, () -> b.normalization().batchNormTrainingBackward(x, y, w,
                        sm, si, dx, rm, rv));
                time("batchnorm inference", bytes, () -> b.normalization().batchNormInference(x, rm, rv, w, bias, 1e-5, y));
                time("permute 0,2,3,1", bytes, () -> b.layout().permute(x, new int[] {0, 2, 3, 1}, y));
            }
        }
    }
}
