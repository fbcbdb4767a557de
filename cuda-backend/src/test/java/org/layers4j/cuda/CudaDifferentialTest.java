package org.layers4j.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.Backend;
import org.layers4j.testing.BackendDifferentialTests;
import org.layers4j.testing.TestData;

/**
 * Random layer configurations against core's float64 reference on the CUDA backend, and one layer
 * with every feature at once against the CPU backend (needs a GPU).
 */
class CudaDifferentialTest extends BackendDifferentialTests {
    @BeforeEach
    void gpu() {
        NativeLibraries.requireGpu();
    }

    @Override
    protected Backend backend() {
        return Backends.get("cuda");
    }

    @Test
    void everyFeatureAtOnceMatchesTheCpuBackend() {
        Backend cuda = backend();
        Backend cpu = Backends.get("cpu");
        SplittableRandom rng = new SplittableRandom(42);
        float[] x = TestData.randomFloats(rng, 3 * 6 * 11 * 9);
        float[] dy = null;
        float[][] results = new float[2][];
        float[][] gradients = new float[2][];
        int i = 0;
        for (Backend be : new Backend[] {cpu, cuda}) {
            try (Conv2d conv = Conv2d.builder(6, 4, 3, 2).stride(2, 1).padding(2, 1).dilation(1, 2).groups(2)
                    .paddingMode(PaddingMode.REFLECT).backend(be).seed(9).build();
                 Tensor in = be.upload(x, Shape.of(3, 6, 11, 9));
                 Tensor y = conv.forward(in)) {
                if (dy == null) {
                    dy = TestData.randomFloats(rng, y.shape().size());
                }
                results[i] = y.toArray();
                try (Tensor g = be.upload(dy, y.shape()); Gradients grads = conv.backward(in, g)) {
                    gradients[i] = grads.input().toArray();
                }
            }
            i++;
        }
        assertNull(TestData.mismatch(results[1], TestData.toDouble(results[0])), "forward");
        assertNull(TestData.mismatch(gradients[1], TestData.toDouble(gradients[0])), "input gradient");
    }
}
