package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.conformance.ConformanceCase;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.GraphModule;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;
import org.layers4j.io.Models;
import org.layers4j.io.SafeTensors;
import org.layers4j.io.StateDicts;
import org.layers4j.models.ResNet;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.optim.SGD;
import org.layers4j.spi.Backend;

/**
 * Graph models compiled for eval-mode inference ({@link GraphModule#compileForInference}) against the same model
 * uncompiled, on one backend: every eval graph case of {@code fixtures/graphs} and PyTorch's outputs by the pass
 * rule, a randomized differential test of BatchNorm folding, fusion without folding bit for bit, and the
 * compiled model following every change of the model's state and mode.
 */
public abstract class BackendCompiledGraphTests {
    protected abstract Backend backend();

    private Tensor random(Shape s, long seed) {
        return backend().upload(TestData.randomFloats(new SplittableRandom(seed), s.size()), s);
    }

    private static Map<String, Object> spec(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Random values for every float state entry; variances in [0.05, 2.05]. */
    private static void randomize(Module m, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        m.stateDict().forEach((k, t) -> {
            if (t.dtype() == DType.FLOAT32) {
                float[] v = new float[t.shape().size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = k.endsWith("running_var") ? (float) (0.05 + 2 * r.nextDouble()) : (float) (r.nextDouble() * 2 - 1);
                }
                m.setParameter(k, v);
            }
        });
    }

    /** Both modules' output on x, the compiled one against the other by the pass rule; the compiled one's values. */
    private static float[] assertSameOutputs(String what, GraphModule plain, GraphModule compiled, Tensor x) {
        try (Tensor a = plain.forward(x); Tensor b = compiled.forward(x)) {
            float[] out = b.toArray();
            assertEquals(null, TestData.mismatch(out, TestData.toDouble(a.toArray())), what);
            return out;
        }
    }

    @TestFactory
    Stream<DynamicTest> everyEvalGraphCaseCompiledGivesTheUncompiledAndPyTorchsOutputs() {
        return BackendGraphConformanceTests.CASES.stream().filter(n -> n.endsWith("_eval")).map(name ->
                DynamicTest.dynamicTest(name, () -> {
                    Path file = TestData.graphFixtureDir().resolve(name + ".safetensors");
                    ConformanceCase c = ConformanceCase.load(file);
                    Map<String, HostTensor> t = SafeTensors.read(file).tensors();
                    try (GraphModule plain = c.buildGraphModule(backend());
                         GraphModule compiled = c.buildGraphModule(backend()).compileForInference();
                         Tensor x = backend().upload(t.get("input").data(), t.get("input").shape())) {
                        plain.eval();
                        compiled.eval();
                        Map<String, Tensor> a = plain.forwardNamed(x);
                        Map<String, Tensor> b = compiled.forwardNamed(x);
                        try {
                            assertEquals(a.keySet(), b.keySet());
                            for (String k : a.keySet()) {
                                float[] got = b.get(k).toArray();
                                assertEquals(null, TestData.mismatch(got, TestData.toDouble(a.get(k).toArray())), k);
                                HostTensor e = t.get(a.size() == 1 ? "output" : "output." + k);
                                assertEquals(null, TestData.mismatch(got, TestData.toDouble(e.data())), k + " PyTorch");
                            }
                        } finally {
                            a.values().forEach(Tensor::close);
                            b.values().forEach(Tensor::close);
                        }
                        Graph g = compiled.inferenceGraph();
                        // DenseNet's BatchNorms come before its convolutions (pre-activation): nothing to fold into
                        boolean postActivation = !name.startsWith("dense");
                        assertEquals(postActivation, g.modules().values().stream().noneMatch(s -> s.get("op").equals(
                                "batchnorm2d")), "BatchNorms left in " + name);
                        assertTrue(g.nodes().stream().noneMatch(n -> n.op() == Node.Opcode.CALL_MODULE
                                && List.of("conv1d", "conv2d").contains(g.modules().get(n.target()).get("op"))), name);
                    }
                }));
    }

    /** x -> conv (+ bias) -> relu / silu / hardswish / gelu / relu6 -> + conv2(x) -> relu: fusion only. */
    @Test
    void fusionWithoutBatchNormIsBitForBit() {
        for (String act : List.of("relu", "silu", "hardswish", "hardsigmoid", "gelu", "relu6", "hardtanh")) {
            GraphBuilder b = new GraphBuilder();
            Ref x = b.input("x");
            Ref h = b.callModule("act", b.callModule("conv1", x));
            b.output(b.callModule("relu", b.call("add", b.callModule("conv2", h), b.callModule("down", x))));
            Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
            modules.put("conv1", spec("op", "conv2d", "in_channels", 3L, "out_channels", 6L, "kernel_size", 3L,
                    "padding", 1L));
            modules.put("act", spec("op", act));
            modules.put("conv2", spec("op", "conv2d", "in_channels", 6L, "out_channels", 6L, "kernel_size", 3L,
                    "stride", 2L, "padding", 1L, "bias", false));
            modules.put("down", spec("op", "conv2d", "in_channels", 3L, "out_channels", 6L, "kernel_size", 1L,
                    "stride", 2L));
            modules.put("relu", spec("op", "relu"));
            Graph graph = b.build(modules);
            try (GraphModule plain = new GraphModule(graph, backend());
                 GraphModule compiled = new GraphModule(graph, backend());
                 Tensor in = random(Shape.of(2, 3, 13, 11), 1)) {
                randomize(plain, 2);
                randomize(compiled, 2);
                plain.eval();
                compiled.eval();
                compiled.compileForInference();
                assertEquals(3, compiled.inferenceGraph().nodes().size() - 2, act + ": three fused convolutions");
                try (Tensor p = plain.forward(in); Tensor c = compiled.forward(in)) {
                    assertArrayEquals(p.toArray(), c.toArray(), act);
                }
                // the module an inference forward runs: the compiled one, itself uncompiled, with the compiled graph
                GraphModule inner = compiled.inferenceModule();
                assertNotSame(compiled, inner, act);
                assertSame(compiled.inferenceGraph(), inner.graph(), act);
                assertSame(plain, plain.inferenceModule(), act);
                try (Tensor p = plain.forward(in); Tensor c = inner.forward(in)) {
                    assertArrayEquals(p.toArray(), c.toArray(), act);
                }
            }
        }
    }

    /**
     * A squeeze-excitation block, x -> conv1 -> silu -> h; s = sigmoid(fc(avgpool(h))); proj(s * h) (and h * s): the
     * multiply folded into the projection (read with its input where the backend scales it, else by the graph's own
     * op) gives the uncompiled model's output bit for bit, and a batch of one and of three.
     */
    @Test
    void aSqueezeExcitationMultiplyFoldedIntoTheProjectionIsBitForBit() {
        for (boolean scaleFirst : new boolean[] {true, false}) {
            GraphBuilder b = new GraphBuilder();
            Ref x = b.input("x");
            Ref h = b.callModule("act", b.callModule("conv1", x));
            Ref s = b.call("sigmoid", b.callModule("fc", b.call("adaptive_avg_pool2d", h, 1L)));
            b.output(b.callModule("proj", scaleFirst ? b.call("mul", s, h) : b.call("mul", h, s)));
            Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
            modules.put("conv1", spec("op", "conv2d", "in_channels", 6L, "out_channels", 6L, "kernel_size", 3L,
                    "padding", 1L));
            modules.put("act", spec("op", "silu"));
            modules.put("fc", spec("op", "conv2d", "in_channels", 6L, "out_channels", 6L, "kernel_size", 1L));
            modules.put("proj", spec("op", "conv2d", "in_channels", 6L, "out_channels", 4L, "kernel_size", 1L));
            Graph graph = b.build(modules);
            for (int n : new int[] {1, 3}) {
                try (GraphModule plain = new GraphModule(graph, backend());
                     GraphModule compiled = new GraphModule(graph, backend());
                     Tensor in = random(Shape.of(n, 6, 13, 11), 3)) {
                    randomize(plain, 4);
                    randomize(compiled, 4);
                    plain.eval();
                    compiled.eval();
                    compiled.compileForInference();
                    assertTrue(compiled.inferenceGraph().nodes().stream().noneMatch(m -> "mul".equals(m.target())),
                            "the multiply is folded into proj");
                    try (Tensor p = plain.forward(in); Tensor c = compiled.forward(in)) {
                        assertArrayEquals(p.toArray(), c.toArray(), "scale first " + scaleFirst + ", batch " + n);
                    }
                }
            }
        }
    }

    /**
     * Random conv1d / conv2d layers (groups, stride, padding modes, bias or not) with a BatchNorm (affine or not,
     * random eps and statistics, small variances) and an activation, compiled against uncompiled by the pass rule.
     */
    @Test
    void batchNormFoldingMeetsThePassRuleOnRandomLayers() {
        SplittableRandom r = new SplittableRandom(2026);
        double worst = 0;
        for (int t = 0; t < 40; t++) {
            int dims = r.nextInt(2) + 1;
            int groups = List.of(1, 1, 2, 4).get(r.nextInt(4));
            int in = groups * (1 + r.nextInt(4));
            int out = groups * (1 + r.nextInt(6));
            boolean depthwise = r.nextInt(5) == 0;
            if (depthwise) {
                groups = in;
                out = in;
            }
            long k = 1 + r.nextInt(3);
            String mode = List.of("zeros", "zeros", "reflect", "replicate", "circular").get(r.nextInt(5));
            Map<String, Object> conv = spec("op", "conv" + dims + "d", "in_channels", (long) in, "out_channels",
                    (long) out, "kernel_size", k, "stride", (long) (1 + r.nextInt(2)), "padding", k / 2, "groups",
                    (long) groups, "bias", r.nextBoolean(), "padding_mode", mode);
            Map<String, Object> bn = spec("op", "batchnorm" + dims + "d", "num_features", (long) out, "eps",
                    List.of(1e-5, 1e-3, 0.1).get(r.nextInt(3)), "affine", r.nextInt(4) != 0);
            String act = List.of("relu", "relu6", "silu", "hardswish", "identity").get(r.nextInt(5));
            GraphBuilder b = new GraphBuilder();
            b.output(b.callModule("act", b.callModule("bn", b.callModule("conv", b.input("x")))));
            Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
            modules.put("conv", conv);
            modules.put("bn", bn);
            modules.put("act", spec("op", act));
            Graph graph = b.build(modules);
            Shape s = dims == 2 ? Shape.of(1 + r.nextInt(3), in, 3 + r.nextInt(9), 3 + r.nextInt(9))
                    : Shape.of(1 + r.nextInt(3), in, 3 + r.nextInt(20));
            try (GraphModule plain = new GraphModule(graph, backend());
                 GraphModule compiled = new GraphModule(graph, backend());
                 Tensor x = random(s, t)) {
                randomize(plain, 100 + t);
                randomize(compiled, 100 + t);
                plain.eval();
                compiled.eval();
                compiled.compileForInference();
                assertFalse(compiled.inferenceGraph().modules().containsKey("bn"), "case " + t + " " + conv + " " + bn);
                try (Tensor p = plain.forward(x); Tensor c = compiled.forward(x)) {
                    float[] e = p.toArray();
                    float[] a = c.toArray();
                    String bad = TestData.mismatch(a, TestData.toDouble(e));
                    assertEquals(null, bad, "case " + t + " " + conv + " " + bn + " " + act);
                    worst = Math.max(worst, relative(a, e));
                }
            }
        }
        assertTrue(worst > 0, "folding rounds differently somewhere");
    }

    /** max|a - e| / max(1, max|e|). */
    static double relative(float[] a, float[] e) {
        double d = 0;
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs((double) a[i] - e[i]));
            m = Math.max(m, Math.abs(e[i]));
        }
        return d / Math.max(1, m);
    }

    private GraphModule resnetBlock(long seed) {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref h = b.callModule("relu", b.callModule("bn1", b.callModule("conv1", x)));
        b.output(b.callModule("relu", b.call("add", b.callModule("bn2", b.callModule("conv2", h)), x)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        for (String c : List.of("conv1", "conv2")) {
            modules.put(c, spec("op", "conv2d", "in_channels", 4L, "out_channels", 4L, "kernel_size", 3L, "padding", 1L,
                    "bias", false));
        }
        modules.put("bn1", spec("op", "batchnorm2d", "num_features", 4L));
        modules.put("bn2", spec("op", "batchnorm2d", "num_features", 4L));
        modules.put("relu", spec("op", "relu"));
        GraphModule m = new GraphModule(b.build(modules), backend());
        randomize(m, seed);
        return m;
    }

    @Test
    void theCompiledModelFollowsTrainingLoadingAndOptimizerSteps() {
        try (GraphModule plain = resnetBlock(1); GraphModule compiled = resnetBlock(1).compileForInference();
             Tensor x = random(Shape.of(2, 4, 6, 6), 3)) {
            plain.eval();
            compiled.eval();
            float[] first = assertSameOutputs("eval", plain, compiled, x);
            // training mode runs the graph uncompiled: batch statistics, buffers updated, bit for bit
            plain.train();
            compiled.train();
            try (Tensor a = plain.forward(x); Tensor b = compiled.forward(x)) {
                assertArrayEquals(a.toArray(), b.toArray(), "train-mode output");
            }
            assertArrayEquals(plain.get("bn1.running_mean").toArray(), compiled.get("bn1.running_mean").toArray());
            plain.eval();
            compiled.eval();
            float[] afterStatistics = assertSameOutputs("eval after a training forward", plain, compiled, x);
            assertFalse(java.util.Arrays.equals(first, afterStatistics), "the new running statistics are used");
            // one BatchNorm in training mode on its own: batch statistics, uncompiled
            compiled.children().get("bn2").train();
            plain.children().get("bn2").train();
            try (Tensor a = plain.forward(x); Tensor b = compiled.forward(x)) {
                assertArrayEquals(a.toArray(), b.toArray(), "a BatchNorm set to train() on its own");
            }
            compiled.eval();
            plain.eval();
            // loading a state_dict
            Map<String, HostTensor> sd = new LinkedHashMap<>(StateDicts.of(plain));
            float[] w = sd.get("conv1.weight").data().clone();
            w[0] += 0.5f;
            sd.put("conv1.weight", new HostTensor(sd.get("conv1.weight").shape(), w));
            StateDicts.load(plain, sd);
            StateDicts.load(compiled, sd);
            assertSameOutputs("after load_state_dict", plain, compiled, x);
            // an optimizer step in eval mode (gradients under a tape run uncompiled)
            for (GraphModule m : List.of(plain, compiled)) {
                SGD sgd = new SGD(m, 0.1);
                try (Tape tape = Tape.start(); Tensor y = m.forward(x); Tensor dy = random(y.shape(), 9)) {
                    tape.backward(y, dy).close();
                }
                assertNotNull(m.namedParameterObjects().get("bn2.weight").grad(), "gradients in eval mode");
                sgd.step();
            }
            assertSameOutputs("after an optimizer step", plain, compiled, x);
        }
    }

    /**
     * flatten -> fc1 -> relu -> fc2 -> BatchNorm1d: compiled, only fc2's folded weight and bias take new memory;
     * fc1's tensors, which no pass changed, are the model's own (shared, not copied).
     */
    @Test
    void theCompiledModelSharesTheTensorsNoPassChanged() {
        org.junit.jupiter.api.Assumptions.assumeTrue(backend().memory().tracked(), "the backend tracks its memory");
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref h = b.callModule("relu", b.callModule("fc1", b.call("flatten", x, 1)));
        b.output(b.callModule("bn", b.callModule("fc2", h)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("fc1", spec("op", "linear", "in_features", 64L, "out_features", 128L, "bias", true));
        modules.put("relu", spec("op", "relu"));
        modules.put("fc2", spec("op", "linear", "in_features", 128L, "out_features", 32L, "bias", true));
        modules.put("bn", spec("op", "batchnorm1d", "num_features", 32L));
        Graph graph = b.build(modules);
        try (GraphModule plain = new GraphModule(graph, backend());
             GraphModule compiled = new GraphModule(graph, backend()).compileForInference();
             Tensor in = random(Shape.of(3, 4, 4, 4), 2)) {
            randomize(plain, 5);
            randomize(compiled, 5);
            plain.eval();
            compiled.eval();
            assertSameOutputs("warm-up", plain, plain, in);
            long before = backend().memory().liveBytes();
            assertSameOutputs("compiled", plain, compiled, in);
            assertFalse(compiled.inferenceGraph().modules().containsKey("bn"), "folded");
            assertEquals((32 * 128 + 32) * (long) Float.BYTES, backend().memory().liveBytes() - before,
                    "the compiled model's new memory: fc2's folded weight and bias, nothing of fc1");
        }
    }

    /** A frozen state reads a model's tensor only when asked, and knows which values are still the model's. */
    @Test
    void aFrozenStateReadsTheModelsTensorsOnlyWhenAsked() {
        try (Tensor w = random(Shape.of(2, 3), 1); Tensor n = backend().upload(new long[] {7}, Shape.of())) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("fc.weight", w);
            tensors.put("bn.num_batches_tracked", n);
            org.layers4j.graph.passes.FrozenState s = org.layers4j.graph.passes.FrozenState.of(tensors);
            assertTrue(s.source("fc.weight") == w, "the model's own tensor, not a copy");
            assertArrayEquals(w.toArray(), s.get("fc.weight").data());
            assertArrayEquals(new long[] {7}, s.get("bn.num_batches_tracked").longs());
            org.layers4j.graph.passes.FrozenState edited = org.layers4j.graph.passes.FrozenState.copyOf(s);
            edited.put("fc.weight", new HostTensor(Shape.of(2, 3), new float[6]));
            edited.remove("bn.num_batches_tracked");
            assertEquals(null, edited.source("fc.weight"), "a pass's value");
            assertTrue(s.source("fc.weight") == w, "the original is unchanged");
            assertEquals(List.of("fc.weight", "bn.num_batches_tracked"), List.copyOf(s.keySet()));
            assertEquals(List.of("fc.weight"), List.copyOf(edited.keySet()));
            org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
                    () -> s.remove("fc.weight"));
        }
    }

    @Test
    void modelsLoadCompilesGraphModelsUnlessOptimizeIsFalse(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("resnet18.safetensors");
        try (ResNet net = ResNet.resnet18(5, backend())) {
            Models.save(net, file);
        }
        try (Module m = Models.load(file, backend())) {
            assertTrue(((GraphModule) m).isCompiledForInference());
        }
        TestData.withProperty("layers4j.optimize", "false", () -> {
            try (Module m = Models.load(file, backend())) {
                assertFalse(((GraphModule) m).isCompiledForInference());
            }
        });
    }

    /**
     * torchvision's ResNet-18 weights and statistics ({@code fixtures/models/resnet18.safetensors}): the rounding
     * BatchNorm folding changes, compiled against uncompiled, within the pass rule (README gives the figure).
     */
    @Test
    void resnet18FoldedMeetsThePassRule(@TempDir Path dir) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(TestData.fixtureDir().resolveSibling("models").resolve(
                "resnet18.safetensors"));
        Path file = dir.resolve("resnet18-graph.safetensors");
        try (ResNet net = ResNet.resnet18(10, backend())) {
            Map<String, HostTensor> sd = new LinkedHashMap<>();
            net.stateDict().keySet().forEach(k -> sd.put(k, c.tensor(k)));
            StateDicts.load(net, sd);
            Models.save(net, file);
        }
        try (GraphModule plain = (GraphModule) Models.fromContents(SafeTensors.read(file), backend());
             GraphModule compiled = (GraphModule) Models.load(file, backend());
             Tensor x = backend().upload(c.tensor("input").data(), c.tensor("input").shape());
             Tensor a = plain.forward(x); Tensor b = compiled.forward(x)) {
            float[] e = a.toArray();
            float[] got = b.toArray();
            assertEquals(null, TestData.mismatch(got, TestData.toDouble(e)));
            BackendModelTests.assertClose("torchvision's output", c.tensor("output"), b);
            System.out.printf("resnet18 (fixtures/models): compiled vs uncompiled max|a-e| / max(1, max|e|) = %.3g%n",
                    relative(got, e));
        }
    }
}
