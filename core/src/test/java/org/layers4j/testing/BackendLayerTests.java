package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.io.StateDicts;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.activation.ReLU;
import org.layers4j.nn.Sequential;
import org.layers4j.spi.Backend;

/** Layer behaviours that need a backend to compute: each backend's tests extend this. */
public abstract class BackendLayerTests {

    protected abstract Backend backend();

    @Test
    void reluPropagatesNanAndClampsInfinities() {
        Backend be = backend();
        try (Tensor x = be.upload(new float[] {Float.NaN, -1, 0, 2, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY},
                Shape.of(6)); Tensor y = new ReLU(be).forward(x)) {
            assertArrayEquals(new float[] {Float.NaN, 0, 0, 2, 0, Float.POSITIVE_INFINITY}, y.toArray());
        }
    }

    @Test
    void reluGradientAtExactlyZeroIsZero() {
        Backend be = backend();
        try (Tensor x = be.upload(new float[] {0, -0f, 1, -1}, Shape.of(1, 4));
             Tensor dy = be.upload(new float[] {5, 5, 5, 5}, Shape.of(1, 4));
             Gradients g = new ReLU(be).backward(x, dy)) {
            assertArrayEquals(new float[] {0, 0, 5, 0}, g.input().toArray());
            assertTrue(g.parameters().isEmpty());
        }
    }

    @Test
    void convolutionPropagatesNanToEveryOutputItTouches() {
        Backend be = backend();
        try (Conv1d conv = Conv1d.builder(1, 1, 1).bias(false).backend(be).build();
             Tensor x = be.upload(new float[] {1, Float.NaN, 3}, Shape.of(1, 1, 3))) {
            conv.setParameter("weight", new float[] {2});
            try (Tensor y = conv.forward(x)) {
                float[] v = y.toArray();
                assertEquals(2f, v[0]);
                assertTrue(Float.isNaN(v[1]));
                assertEquals(6f, v[2]);
            }
        }
    }

    @Test
    void unbatchedInputGivesUnbatchedOutputEqualToBatchOfOne() {
        Backend be = backend();
        float[] data = TestData.randomFloats(new java.util.SplittableRandom(3), 2 * 5 * 5);
        try (Conv2d conv = Conv2d.builder(2, 3, 3).padding(1).backend(be).seed(7).build();
             Tensor x3 = be.upload(data, Shape.of(2, 5, 5)); Tensor x4 = be.upload(data, Shape.of(1, 2, 5, 5));
             Tensor y3 = conv.forward(x3); Tensor y4 = conv.forward(x4)) {
            assertEquals(Shape.of(3, 5, 5), y3.shape());
            assertArrayEquals(y4.toArray(), y3.toArray());
        }
    }

    @Test
    void parametersAreInitializedLikePyTorchWithinOneOverSqrtFanIn() {
        Backend be = backend();
        try (Conv2d conv = Conv2d.builder(4, 8, 3).groups(2).backend(be).seed(42).build()) {
            double bound = 1 / Math.sqrt(2 * 9);
            for (Tensor p : conv.parameters().values()) {
                for (float v : p.toArray()) {
                    assertTrue(Math.abs(v) <= bound, () -> v + " outside +-" + bound);
                }
            }
            assertEquals(List.of("weight", "bias"), List.copyOf(conv.parameters().keySet()));
            assertEquals(Shape.of(8, 2, 3, 3), conv.weight().shape());
        }
    }

    @Test
    void sameSeedGivesSameParameters() {
        Backend be = backend();
        try (Conv1d a = Conv1d.builder(3, 4, 5).backend(be).seed(9).build();
             Conv1d b = Conv1d.builder(3, 4, 5).backend(be).seed(9).build()) {
            assertArrayEquals(a.weight().toArray(), b.weight().toArray());
            assertArrayEquals(a.bias().toArray(), b.bias().toArray());
        }
    }

    @Test
    void sequentialForwardIsTheCompositionAndNamesParametersByIndex() {
        Backend be = backend();
        float[] data = TestData.randomFloats(new java.util.SplittableRandom(5), 2 * 6 * 4);
        try (Conv1d conv = Conv1d.builder(6, 5, 3).stride(2).padding(1).backend(be).seed(1).build();
             Sequential seq = new Sequential(conv, new ReLU(be));
             Tensor x = be.upload(data, Shape.of(2, 6, 4));
             Tensor y = seq.forward(x); Tensor c = conv.forward(x); Tensor r = new ReLU(be).forward(c)) {
            assertArrayEquals(r.toArray(), y.toArray());
            assertEquals(List.of("0.weight", "0.bias"), List.copyOf(seq.parameters().keySet()));
        }
    }

    @Test
    void sequentialBackwardChainsTheLayersGradients() {
        Backend be = backend();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(6);
        float[] data = TestData.randomFloats(rng, 2 * 6 * 4);
        float[] grad = TestData.randomFloats(rng, 2 * 5 * 2);
        try (Conv1d conv = Conv1d.builder(6, 5, 3).stride(2).padding(1).backend(be).seed(1).build();
             Sequential seq = new Sequential(conv, new ReLU(be));
             Tensor x = be.upload(data, Shape.of(2, 6, 4)); Tensor dy = be.upload(grad, Shape.of(2, 5, 2));
             Gradients g = seq.backward(x, dy);
             Tensor c = conv.forward(x); Gradients gr = new ReLU(be).backward(c, dy);
             Gradients gc = conv.backward(x, gr.input())) {
            assertArrayEquals(gc.input().toArray(), g.input().toArray());
            assertArrayEquals(gc.weight().toArray(), g.parameter("0.weight").toArray());
            assertArrayEquals(gc.bias().toArray(), g.parameter("0.bias").toArray());
        }
    }

    @Test
    void stateDictSavedAndLoadedRoundTripsByName(@TempDir Path dir) throws Exception {
        Backend be = backend();
        try (Conv2d a = Conv2d.builder(2, 3, 2).backend(be).seed(1).build();
             Conv2d b = Conv2d.builder(2, 3, 2).backend(be).seed(2).build()) {
            Path file = dir.resolve("conv.safetensors");
            StateDicts.save(a, file);
            StateDicts.load(b, file);
            assertArrayEquals(a.weight().toArray(), b.weight().toArray());
            assertArrayEquals(a.bias().toArray(), b.bias().toArray());
        }
    }

    @Test
    void stateDictWithMissingOrUnexpectedKeysIsRejectedNamingThem() {
        Backend be = backend();
        try (Conv2d a = Conv2d.builder(2, 3, 2).backend(be).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDicts.load(a,
                    Map.of("weight", new HostTensor(Shape.of(3, 2, 2, 2), new float[24]),
                            "running_mean", new HostTensor(Shape.of(3), new float[3]))));
            assertTrue(e.getMessage().contains("Missing key(s) in state_dict: \"bias\""), e.getMessage());
            assertTrue(e.getMessage().contains("Unexpected key(s) in state_dict: \"running_mean\""), e.getMessage());
        }
    }

    @Test
    void settingAWeightOfTheWrongShapeIsRejected() {
        Backend be = backend();
        try (Conv2d conv = Conv2d.builder(2, 3, 2).backend(be).build();
             Tensor wrong = be.allocate(Shape.of(3, 2, 3, 3))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.setWeight(wrong));
            assertEquals("weight must have shape [3, 2, 2, 2], but got [3, 2, 3, 3]", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> conv.setParameter("bias", new float[4]));
            assertThrows(IllegalArgumentException.class, () -> conv.setParameter("gamma", new float[3]));
        }
    }

    @Test
    void inputWithTheWrongChannelCountIsRejectedAsPyTorchWordsIt() {
        Backend be = backend();
        try (Conv2d conv = Conv2d.builder(4, 2, 3).backend(be).build(); Tensor x = be.allocate(Shape.of(2, 3, 5, 5))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(x));
            assertEquals("Given groups=1, weight of size [2, 4, 3, 3], expected input[2, 3, 5, 5] to have 4 channels,"
                    + " but got 3 channels instead", e.getMessage());
        }
    }

    @Test
    void gradOutputOfTheWrongShapeAndNullArgumentsAreRejected() {
        Backend be = backend();
        try (Conv1d conv = Conv1d.builder(1, 1, 3).backend(be).build(); Tensor x = be.allocate(Shape.of(1, 1, 5));
             Tensor dy = be.allocate(Shape.of(1, 1, 4))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.backward(x, dy));
            assertEquals("grad_output must have the output's shape [1, 1, 3], but got [1, 1, 4]", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> conv.forward(null));
            assertThrows(IllegalArgumentException.class, () -> conv.backward(x, null));
        }
    }

    @Test
    void closedTensorsAreRejectedAndCloseIsIdempotent() {
        Backend be = backend();
        Tensor x = be.allocate(Shape.of(1, 1, 5));
        x.close();
        x.close();
        assertTrue(x.isClosed());
        try (Conv1d conv = Conv1d.builder(1, 1, 3).backend(be).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> conv.forward(x));
            assertEquals("Conv1d: input [1, 1, 5] is closed", e.getMessage());
        }
    }

    @Test
    void reshapeSharesMemoryAndChecksTheElementCount() {
        Backend be = backend();
        try (Tensor x = be.upload(new float[] {1, 2, 3, 4, 5, 6}, Shape.of(2, 3)); Tensor v = x.reshape(Shape.of(3, 2))) {
            assertArrayEquals(x.toArray(), v.toArray());
            assertThrows(IllegalArgumentException.class, () -> x.reshape(Shape.of(4, 2)));
            v.close();
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toArray());
        }
    }

    @Test
    void allocateGivesZeros() {
        try (Tensor t = backend().allocate(Shape.of(3, 4))) {
            assertArrayEquals(new float[12], t.toArray());
        }
    }
}
