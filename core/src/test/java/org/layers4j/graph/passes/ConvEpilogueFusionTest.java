package org.layers4j.graph.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.layers4j.graph.passes.BatchNormFoldingTest.names;
import static org.layers4j.graph.passes.BatchNormFoldingTest.node;
import static org.layers4j.graph.passes.PassFixtures.conv2d;
import static org.layers4j.graph.passes.PassFixtures.op;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.ops.OpRegistry;

class ConvEpilogueFusionTest {
    private static final ConvEpilogueFusion PASS = new ConvEpilogueFusion();

    private static Graph fused(GraphBuilder b, Map<String, Map<String, Object>> modules, OpRegistry registry) {
        return PASS.apply(new FrozenGraph(b.build(modules), Map.of(), registry)).graph();
    }

    private static Graph fused(GraphBuilder b, Map<String, Map<String, Object>> modules) {
        return fused(b, modules, OpRegistry.standard());
    }

    private static Map<String, Map<String, Object>> modules(Object... nameAndSpec) {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameAndSpec.length; i += 2) {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) nameAndSpec[i + 1];
            m.put((String) nameAndSpec[i], spec);
        }
        return m;
    }

    private static Node fusedNode(String name, Object input, String layer, Map<String, Object> kwargs) {
        return new Node(name, Opcode.CALL_FUNCTION, FusedConv.OP, List.of(input, layer), kwargs);
    }

    @Test
    void aConvolutionAndTheReluAfterItBecomeOneNodeNamedAfterTheConvolution() {
        GraphBuilder b = new GraphBuilder();
        b.output(b.callModule("pool", b.callModule("relu", b.callModule("conv", b.input("x")))));
        Graph g = fused(b, modules("conv", conv2d(2, 3, true), "relu", op("relu"), "pool", op("identity")));
        assertEquals(List.of("x", "conv", "pool", "output"), names(g));
        assertEquals(fusedNode("conv", new Ref("x"), "conv", Map.of("activation", "relu")), node(g, "conv"));
        assertEquals(List.of(new Ref("conv")), node(g, "pool").args());
    }

    @Test
    void everyConvolutionBecomesAFusedNodeAlsoWithoutAnEpilogue() {
        GraphBuilder b = new GraphBuilder();
        Ref conv = b.callModule("conv", b.input("x"));
        b.output(List.of(conv, b.callModule("relu", conv)));
        Graph g = fused(b, modules("conv", conv2d(2, 3, false), "relu", op("relu")));
        assertEquals(fusedNode("conv", new Ref("x"), "conv", Map.of()), node(g, "conv"));
        assertEquals(List.of("x", "conv", "relu", "output"), names(g));
    }

    @Test
    void aResidualAddAndReluFuseIntoTheFirstConvolutionAtThePlaceOfTheAdd() {
        // ResNet's downsample block: conv2(relu(conv1(x))) + down(x), the downsample computed after conv2
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref c2 = b.callModule("conv2", b.callModule("relu", b.callModule("conv1", x)));
        Ref down = b.callModule("down", x);
        b.output(b.callModule("relu", b.call("add", c2, down)));
        Graph g = fused(b, modules("conv1", conv2d(2, 2, true), "conv2", conv2d(2, 2, true), "down", conv2d(2, 2, true),
                "relu", op("relu")));
        assertEquals(List.of("x", "conv1", "down", "conv2", "output"), names(g));
        assertEquals(fusedNode("conv2", new Ref("conv1"), "conv2", Map.of("residual", new Ref("down"), "add", "add",
                "activation", "relu")), node(g, "conv2"));
        assertEquals(fusedNode("down", new Ref("x"), "down", Map.of()), node(g, "down"));
        assertEquals(List.of(new Ref("conv2")), g.output().args());
    }

    @Test
    void relu6HardtanhAndGeluKeepTheirArguments() {
        Map<String, Map<String, Object>> expected = Map.of(
                "relu6", Map.of("activation", "hardtanh", "min_val", 0.0, "max_val", 6.0),
                "hardtanh", Map.of("activation", "hardtanh", "min_val", -2.0, "max_val", 3.0),
                "gelu", Map.of("activation", "gelu", "approximate", "tanh"),
                "hardswish", Map.of("activation", "hardswish"),
                "silu", Map.of("activation", "silu"));
        for (String act : expected.keySet()) {
            GraphBuilder b = new GraphBuilder();
            Ref conv = b.callModule("conv", b.input("x"));
            b.output(switch (act) {
                case "hardtanh" -> b.call("hardtanh", List.of(conv), Map.of("min_val", -2.0, "max_val", 3.0));
                case "gelu" -> b.call("gelu", List.of(conv), Map.of("approximate", "tanh"));
                default -> b.callModule("act", conv);
            });
            Graph g = fused(b, modules("conv", conv2d(2, 3, true), "act", op(act)));
            assertEquals(fusedNode("conv", new Ref("x"), "conv", expected.get(act)), node(g, "conv"), act);
            assertEquals(List.of("x", "conv", "output"), names(g), act);
        }
    }

    @Test
    void anAddWithAlphaOrANumberAndAnActivationWithComputedBoundsAreNotFused() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref scaled = b.call("add", List.of(b.callModule("conv", x), x), Map.of("alpha", 2.0));
        Ref shifted = b.call("add", b.callModule("conv2", x), 1.0);
        Ref c3 = b.callModule("conv3", x);
        Ref bound = b.call("hardtanh", List.of(c3), Map.of("max_val", b.call("getattr", x, "ndim")));
        b.output(List.of(scaled, shifted, bound));
        Graph g = fused(b, modules("conv", conv2d(2, 2, true), "conv2", conv2d(2, 2, true), "conv3", conv2d(2, 2, true)));
        assertEquals(fusedNode("conv", new Ref("x"), "conv", Map.of()), node(g, "conv"));
        assertEquals(fusedNode("conv2", new Ref("x"), "conv2", Map.of()), node(g, "conv2"));
        assertEquals(fusedNode("conv3", new Ref("x"), "conv3", Map.of()), node(g, "conv3"));
        assertEquals(List.of("x", "conv", "add", "conv2", "add_1", "conv3", "getattr", "hardtanh", "output"), names(g));
    }

    @Test
    void onnxReluAndAddFuse() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref sum = b.call("onnx.Add", x, b.callModule("conv", x));
        b.output(b.call("onnx.Relu", sum));
        Graph g = fused(b, modules("conv", conv2d(2, 2, true)), PassFixtures.onnxLike());
        assertEquals(List.of("x", "conv", "output"), names(g));
        assertEquals(fusedNode("conv", new Ref("x"), "conv", Map.of("residual", new Ref("x"), "add", "onnx.Add",
                "activation", "relu")), node(g, "conv"));
    }
}
