package org.layers4j.graph.passes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.layers4j.graph.passes.PassFixtures.batchNorm;
import static org.layers4j.graph.passes.PassFixtures.batchNormState;
import static org.layers4j.graph.passes.PassFixtures.conv2d;
import static org.layers4j.graph.passes.PassFixtures.op;
import static org.layers4j.graph.passes.PassFixtures.random;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.io.HostTensor;

class BatchNormFoldingTest {
    private static final BatchNormFolding PASS = new BatchNormFolding();

    /** x -> conv -> bn -> relu -> output, the conv with or without bias. */
    private static FrozenGraph convBnRelu(boolean bias, Map<String, Object> bnSpec) {
        GraphBuilder b = new GraphBuilder();
        b.output(b.callModule("relu", b.callModule("bn", b.callModule("conv", b.input("x")))));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", conv2d(2, 3, bias));
        modules.put("bn", bnSpec);
        modules.put("relu", op("relu"));
        SplittableRandom r = new SplittableRandom(7);
        Map<String, HostTensor> state = new LinkedHashMap<>();
        state.put("conv.weight", random(r, -1, 1, 3, 2, 3, 3));
        if (bias) {
            state.put("conv.bias", random(r, -1, 1, 3));
        }
        batchNormState(state, "bn", 3, r);
        return new FrozenGraph(b.build(modules), state, OpRegistry.standard());
    }

    @Test
    void aBatchNormFoldsIntoTheConvolutionBeforeItWhichGetsABias() {
        FrozenGraph g = convBnRelu(false, batchNorm("batchnorm2d", 3));
        FrozenGraph f = PASS.apply(g);
        assertEquals(List.of("x", "conv", "relu", "output"), names(f.graph()));
        assertEquals(List.of(new Ref("conv")), node(f.graph(), "relu").args());
        assertFalse(f.graph().modules().containsKey("bn"));
        assertEquals(true, f.graph().modules().get("conv").get("bias"));
        assertTrue(f.state().keySet().stream().noneMatch(k -> k.startsWith("bn.")));
        assertFolded(g.state(), f.state(), 1e-3, true);
    }

    /**
     * A state that owns its values (a loaded file's) is folded into the weight's own array, to the same values as a
     * copy; the state it was folded from can no longer read that weight.
     */
    @Test
    void anOwnedWeightIsFoldedInPlaceToTheSameValues() {
        FrozenGraph g = convBnRelu(true, batchNorm("batchnorm2d", 3));
        Map<String, HostTensor> copied = PASS.apply(g).state();
        Map<String, HostTensor> given = new LinkedHashMap<>();
        g.state().forEach((k, v) -> given.put(k, v.data() == null ? HostTensor.ofLongs(v.shape(), v.longs().clone())
                : new HostTensor(v.shape(), v.data().clone())));
        float[] weight = given.get("conv.weight").data();
        FrozenGraph owned = new FrozenGraph(g.graph(), FrozenState.owning(given), g.registry());
        Map<String, HostTensor> folded = PASS.apply(owned).state();
        assertSame(weight, folded.get("conv.weight").data(), "folded in the weight's own array");
        for (String k : copied.keySet()) {
            assertArrayEquals(copied.get(k).data(), folded.get(k).data(), k);
            assertArrayEquals(copied.get(k).longs(), folded.get(k).longs(), k);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> owned.state().get("conv.weight"));
        assertTrue(e.getMessage().contains("taken by a pass"), e.getMessage());
    }

    @Test
    void aConvolutionsOwnBiasIsShiftedAndScaledInFloat64() {
        FrozenGraph g = convBnRelu(true, batchNorm("batchnorm2d", 3));
        assertFolded(g.state(), PASS.apply(g).state(), 1e-3, true);
    }

    @Test
    void withoutAffineTheScaleIsOneOverTheStandardDeviation() {
        Map<String, Object> spec = batchNorm("batchnorm2d", 3);
        spec.put("affine", false);
        FrozenGraph g = convBnRelu(true, spec);
        Map<String, HostTensor> state = new LinkedHashMap<>(g.state());
        state.remove("bn.weight");
        state.remove("bn.bias");
        g = new FrozenGraph(g.graph(), state, g.registry());
        assertFolded(g.state(), PASS.apply(g).state(), 1e-3, false);
    }

    @Test
    void aBatchNormOnBatchStatisticsIsNotFolded() {
        Map<String, Object> spec = batchNorm("batchnorm2d", 3);
        spec.put("track_running_stats", false);
        FrozenGraph g = convBnRelu(false, spec);
        assertSame(g, PASS.apply(g));
    }

    @Test
    void aBatchNorm1dAfterAConv2dIsNotFolded() {
        FrozenGraph g = convBnRelu(false, batchNorm("batchnorm1d", 3));
        assertSame(g, PASS.apply(g));
    }

    @Test
    void aConvolutionWhoseOutputHasAnotherUserKeepsItsBatchNorm() {
        GraphBuilder b = new GraphBuilder();
        Ref conv = b.callModule("conv", b.input("x"));
        b.output(List.of(b.callModule("bn", conv), conv));
        FrozenGraph g = withModules(b, convBnRelu(false, batchNorm("batchnorm2d", 3)));
        assertSame(g, PASS.apply(g));
    }

    @Test
    void aConvolutionModuleCalledTwiceIsNotFolded() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref y = b.callModule("bn", b.callModule("conv", x));
        b.output(List.of(y, b.callModule("conv", x)));
        FrozenGraph g = withModules(b, convBnRelu(false, batchNorm("batchnorm2d", 3)));
        assertSame(g, PASS.apply(g));
    }

    @Test
    void aLinearFoldsIntoBatchNorm1dOnlyWhenItsOutputIsCertainlyTwoDimensional() {
        for (boolean flattened : new boolean[] {true, false}) {
            GraphBuilder b = new GraphBuilder();
            Ref x = b.input("x");
            Ref in = flattened ? b.call("flatten", x, 1) : x;
            b.output(b.callModule("bn", b.callModule("fc", in)));
            Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
            modules.put("fc", Map.of("op", "linear", "in_features", 4L, "out_features", 3L, "bias", true));
            modules.put("bn", batchNorm("batchnorm1d", 3));
            SplittableRandom r = new SplittableRandom(3);
            Map<String, HostTensor> state = new LinkedHashMap<>();
            state.put("fc.weight", random(r, -1, 1, 3, 4));
            state.put("fc.bias", random(r, -1, 1, 3));
            batchNormState(state, "bn", 3, r);
            FrozenGraph g = new FrozenGraph(b.build(modules), state, OpRegistry.standard());
            FrozenGraph f = PASS.apply(g);
            assertEquals(flattened, !f.graph().modules().containsKey("bn"), "flattened " + flattened);
            if (flattened) {
                assertFolded(g.state(), f.state(), 1e-3, true, "fc");
            }
        }
    }

    @Test
    void onnxBatchNormalizationReadingInitializersFoldsIntoTheConvolution() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref conv = b.callModule("conv", x);
        List<Object> in = List.of(conv, b.attr("init.scale"), b.attr("init.b"), b.attr("init.mean"), b.attr("init.var"));
        b.output(b.call("onnx.BatchNormalization", in, Map.of("attrs", new Node.Dict(Map.of("epsilon", 1e-3)))));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", conv2d(2, 3, true));
        modules.put("init", Map.of("op", Graph.CONTAINER, "parameters", Map.of("scale", List.of(3L), "b", List.of(3L),
                "mean", List.of(3L), "var", List.of(3L))));
        SplittableRandom r = new SplittableRandom(5);
        Map<String, HostTensor> state = new LinkedHashMap<>();
        state.put("conv.weight", random(r, -1, 1, 3, 2, 3, 3));
        state.put("conv.bias", random(r, -1, 1, 3));
        Map<String, HostTensor> bn = new LinkedHashMap<>();
        batchNormState(bn, "bn", 3, r);
        state.put("init.scale", bn.get("bn.weight"));
        state.put("init.b", bn.get("bn.bias"));
        state.put("init.mean", bn.get("bn.running_mean"));
        state.put("init.var", bn.get("bn.running_var"));
        FrozenGraph g = new FrozenGraph(b.build(modules), state, PassFixtures.onnxLike());
        FrozenGraph f = PASS.apply(g);
        assertTrue(f.graph().nodes().stream().noneMatch(n -> n.target().equals("onnx.BatchNormalization")));
        assertEquals(List.of(new Ref("conv")), f.graph().output().args());
        Map<String, HostTensor> expected = new LinkedHashMap<>(g.state());
        expected.putAll(bn);
        // ONNX's epsilon is a float attribute: the kernel adds it as float32
        assertFolded(expected, f.state(), (float) 1e-3, true, "conv");
    }

    /** The folded weight and bias of "conv" against the formula in float64 from the BatchNorm "bn" of before. */
    private static void assertFolded(Map<String, HostTensor> before, Map<String, HostTensor> after, double eps,
                                     boolean affine) {
        assertFolded(before, after, eps, affine, "conv");
    }

    private static void assertFolded(Map<String, HostTensor> before, Map<String, HostTensor> after, double eps,
                                     boolean affine, String layer) {
        float[] w = before.get(layer + ".weight").data();
        HostTensor b = before.get(layer + ".bias");
        float[] mean = before.get("bn.running_mean").data();
        float[] var = before.get("bn.running_var").data();
        float[] nw = after.get(layer + ".weight").data();
        float[] nb = after.get(layer + ".bias").data();
        int per = w.length / mean.length;
        for (int o = 0; o < mean.length; o++) {
            double gamma = affine ? before.get("bn.weight").data()[o] : 1;
            double beta = affine ? before.get("bn.bias").data()[o] : 0;
            double s = gamma / Math.sqrt((double) var[o] + eps);
            for (int i = 0; i < per; i++) {
                assertEquals((float) (w[o * per + i] * s), nw[o * per + i], "weight " + o + "," + i);
            }
            assertEquals((float) (((b == null ? 0 : b.data()[o]) - (double) mean[o]) * s + beta), nb[o], "bias " + o);
        }
    }

    private static FrozenGraph withModules(GraphBuilder b, FrozenGraph like) {
        return new FrozenGraph(b.build(like.graph().modules()), like.state(), like.registry());
    }

    static List<String> names(Graph g) {
        return g.nodes().stream().map(Node::name).toList();
    }

    static Node node(Graph g, String name) {
        return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }
}
