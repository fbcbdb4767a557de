package org.layers4j.cuda;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.cuda.tools.GpuChecks;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.testing.TestData;

/**
 * A GPU-only experiment (run by hand: it fills the whole device, so it is no unit test): real
 * out-of-device-memory. It computes a reference forward, fills the GPU with tensors until cudaMalloc
 * fails, frees just enough for the layer's tensors, runs the forward again — any algorithm that needs
 * more workspace than is left must fail for lack of memory and give way to the next — and then with
 * no memory at all, where the error must say so.
 */
public final class OomProbe {
    private OomProbe() {
    }

    public static void main(String[] args) {
        try (CudnnBackend b = GpuChecks.backend()) {
            SplittableRandom rng = new SplittableRandom(3);
            Shape in = Shape.of(16, 64, 128, 128);
            float[] x = TestData.randomFloats(rng, in.size());
            try (Conv2d conv = Conv2d.builder(64, 64, 5).padding(2).backend(b).seed(1).build();
                 Tensor tx = b.upload(x, in)) {
                float[] expected;
                try (Tensor y = conv.forward(tx)) {
                    expected = y.toArray();
                }
                b.emptyCache();
                List<Tensor> hog = new ArrayList<>();
                long chunkFloats = 1L << 28;
                int hogged = 0;
                while (chunkFloats >= 1L << 20) {
                    try {
                        hog.add(b.allocate(Shape.of((int) chunkFloats)));
                        hogged++;
                    } catch (CudaFailure e) {
                        if (!e.isOutOfMemory()) {
                            throw e;
                        }
                        chunkFloats /= 2;
                    }
                }
                System.out.printf(Locale.ROOT, "filled the device: %d tensors, free %d bytes%n", hogged, b.memoryInfo()[0]);
                // room for the output (64 MiB) and a little more, but not for a large workspace
                long need = (long) expected.length * 4 + (48L << 20);
                while (b.memoryInfo()[0] + b.cachedBytes() < need && !hog.isEmpty()) {
                    hog.remove(hog.size() - 1).close();
                }
                System.out.printf(Locale.ROOT, "freed to %d bytes free + %d cached%n", b.memoryInfo()[0], b.cachedBytes());
                try (Tensor y = conv.forward(tx)) {
                    double err = 0;
                    float[] got = y.toArray();
                    for (int i = 0; i < got.length; i++) {
                        err = Math.max(err, Math.abs(got[i] - expected[i]));
                    }
                    System.out.printf(Locale.ROOT, "forward with little memory left: max abs difference %.3e%n", err);
                } catch (RuntimeException e) {
                    System.out.println("forward with little memory left failed: " + e);
                }
                while (true) {
                    try {
                        hog.add(b.allocate(Shape.of(1 << 18)));
                    } catch (CudaFailure e) {
                        break;
                    }
                }
                b.emptyCache();
                try (Tensor y = conv.forward(tx)) {
                    System.out.println("forward with no memory left unexpectedly worked");
                } catch (RuntimeException e) {
                    System.out.println("forward with no memory left: " + e.getClass().getSimpleName() + ": "
                            + e.getMessage());
                }
                hog.forEach(Tensor::close);
            }
        }
    }
}
