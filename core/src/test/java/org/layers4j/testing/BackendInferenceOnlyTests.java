package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.graph.GraphModule;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * Models loaded for inference only ({@link Models#loadForInference}, {@link GraphModule#freeze}): the outputs of
 * {@link Models#load}'s compiled model bit for bit on every eval graph case of {@code fixtures/graphs}, each weight
 * held once, and training refused.
 */
public abstract class BackendInferenceOnlyTests {
    protected abstract Backend backend();

    private Tensor random(Shape s, long seed) {
        return backend().upload(TestData.randomFloats(new SplittableRandom(seed), s.size()), s);
    }

    private static void assertSameOutputs(String what, Module a, Module b, Tensor x) {
        Map<String, Tensor> ya = ((GraphModule) a).forwardNamed(x);
        Map<String, Tensor> yb = ((GraphModule) b).forwardNamed(x);
        try {
            assertEquals(ya.keySet(), yb.keySet(), what);
            for (String k : ya.keySet()) {
                assertArrayEquals(ya.get(k).toArray(), yb.get(k).toArray(), what + " " + k);
            }
        } finally {
            ya.values().forEach(Tensor::close);
            yb.values().forEach(Tensor::close);
        }
    }

    /** A ResNet-18 with 5 classes and trained-looking BatchNorm statistics, saved as a graph model file. */
    private Path resnet18File(Path dir) throws IOException {
        Path file = dir.resolve("resnet18.safetensors");
        try (ResNet net = ResNet.resnet18(5, backend())) {
            SplittableRandom r = new SplittableRandom(3);
            net.stateDict().forEach((k, t) -> {
                if (k.endsWith("running_var") || k.endsWith("running_mean")) {
                    float[] v = new float[t.shape().size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = (float) (k.endsWith("var") ? 0.1 + r.nextDouble() : r.nextDouble() - 0.5);
                    }
                    net.setParameter(k, v);
                }
            });
            Models.save(net, file);
        }
        return file;
    }

    @TestFactory
    Stream<DynamicTest> everyEvalGraphCaseLoadedForInferenceGivesLoadsOutputsBitForBit(@TempDir Path dir) {
        return BackendGraphConformanceTests.CASES.stream().filter(n -> n.endsWith("_eval")).map(name ->
                DynamicTest.dynamicTest(name, () -> {
                    Path fixture = TestData.graphFixtureDir().resolve(name + ".safetensors");
                    ConformanceCase c = ConformanceCase.load(fixture);
                    HostTensor in = SafeTensors.read(fixture).tensors().get("input");
                    Path file = dir.resolve(name + ".safetensors");
                    try (GraphModule g = c.buildGraphModule(backend())) {
                        Models.save(g, file);
                    }
                    try (Module loaded = Models.load(file, backend());
                         Module frozen = Models.loadForInference(file, backend());
                         Tensor x = backend().upload(in.data(), in.shape())) {
                        assertTrue(((GraphModule) frozen).isInferenceOnly(), name);
                        assertFalse(((GraphModule) loaded).isInferenceOnly(), name);
                        assertSameOutputs(name, loaded, frozen, x);
                    }
                }));
    }

    /** Each weight once: the model load() gives holds its own weights besides the compiled ones. */
    @Test
    void aModelLoadedForInferenceHoldsItsWeightsOnce(@TempDir Path dir) throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(backend().memory().tracked(), "the backend tracks its memory");
        Path file = resnet18File(dir);
        long weights = Files.size(file); // float32 weights and statistics, plus a header of a few KiB
        try (Tensor x = random(Shape.of(1, 3, 64, 64), 1)) {
            long base = backend().memory().liveBytes();
            long full;
            try (Module loaded = Models.load(file, backend()); Tensor y = loaded.forward(x)) {
                full = backend().memory().liveBytes() - base;
            }
            long once;
            try (Module frozen = Models.loadForInference(file, backend()); Tensor y = frozen.forward(x)) {
                once = backend().memory().liveBytes() - base;
            }
            assertTrue(full - once > 0.9 * weights, "load() holds the file's weights once more than loadForInference: "
                    + full + " vs " + once + " bytes, the file " + weights);
        }
    }

    @Test
    void aModelLoadedForInferenceRefusesTrainingAndGradients(@TempDir Path dir) throws IOException {
        Path file = resnet18File(dir);
        try (GraphModule m = (GraphModule) Models.loadForInference(file, backend());
             Tensor x = random(Shape.of(1, 3, 32, 32), 2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, m::train);
            assertTrue(e.getMessage().contains("inference only"), e.getMessage());
            assertFalse(m.isTraining());
            try (Tape tape = Tape.start()) {
                e = assertThrows(IllegalStateException.class, () -> m.forward(x));
                assertTrue(e.getMessage().contains("no gradients"), e.getMessage());
            }
            m.children().values().iterator().next().train();
            e = assertThrows(IllegalStateException.class, () -> m.forward(x));
            assertTrue(e.getMessage().contains("training mode"), e.getMessage());
            m.children().values().iterator().next().eval();
            try (Tensor y = m.forward(x)) {
                assertEquals(Shape.of(1, 5), y.shape());
            }
            assertTrue(m.compileForInference() == m && !m.isCompiledForInference(), "compiled already");
        }
    }

    @Test
    void optimizeFalseLoadsTheModelItself(@TempDir Path dir) throws Exception {
        Path file = resnet18File(dir);
        TestData.withProperty("layers4j.optimize", "false", () -> {
            try (Module m = Models.loadForInference(file, backend())) {
                assertFalse(((GraphModule) m).isInferenceOnly());
                assertFalse(((GraphModule) m).isCompiledForInference());
            }
        });
    }

    /** freeze(): the compiled model as a model of its own, still running after its source is closed. */
    @Test
    void aFrozenModelOutlivesItsSource(@TempDir Path dir) throws IOException {
        Path file = resnet18File(dir);
        try (Tensor x = random(Shape.of(2, 3, 32, 32), 4)) {
            float[] expected;
            GraphModule frozen;
            try (GraphModule source = (GraphModule) Models.load(file, backend()); Tensor y = source.forward(x)) {
                expected = y.toArray();
                frozen = source.freeze();
            }
            try (frozen; Tensor y = frozen.forward(x)) {
                assertTrue(frozen.isInferenceOnly());
                assertArrayEquals(expected, y.toArray());
            }
        }
    }
}
