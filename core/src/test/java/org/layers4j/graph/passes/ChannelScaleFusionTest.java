package org.layers4j.graph.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
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

class ChannelScaleFusionTest {
    private static final Map<String, Map<String, Object>> MODULES = Map.of("conv", conv2d(4, 4, true), "proj",
            pointwise(4, 2), "pool", op("identity"), "gate", op("sigmoid"), "relu", op("relu"));

    /** A 1 x 1 convolution as a model file writes it (stride and padding explicit). */
    private static Map<String, Object> pointwise(int in, int out) {
        Map<String, Object> m = new LinkedHashMap<>(conv2d(in, out, true));
        m.put("kernel_size", List.of(1L, 1L));
        m.put("stride", List.of(1L, 1L));
        m.put("padding", List.of(0L, 0L));
        return m;
    }

    private static FrozenGraph epilogues(GraphBuilder b) {
        return new ConvEpilogueFusion().apply(new FrozenGraph(b.build(MODULES), Map.of(), OpRegistry.standard()));
    }

    private static Graph fused(GraphBuilder b) {
        return new ChannelScaleFusion().apply(epilogues(b)).graph();
    }

    /** A squeeze-excitation block: h = conv(x); scale = gate(pool(h)); proj(scale * h), then a ReLU after proj. */
    private static Ref squeezeExcitation(GraphBuilder b, Ref x) {
        Ref h = b.callModule("conv", x);
        Ref scale = b.callModule("gate", b.callModule("pool", h));
        return b.callModule("relu", b.callModule("proj", b.call("mul", scale, h)));
    }

    @Test
    void theMultiplyBecomesTheProjectionsScaleInItsOperandOrder() {
        GraphBuilder b = new GraphBuilder();
        b.output(squeezeExcitation(b, b.input("x")));
        Graph g = fused(b);
        assertEquals(List.of("x", "conv", "pool", "gate", "proj", "output"), names(g));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("activation", "relu");
        kwargs.put("scale", new Ref("conv"));
        kwargs.put("mul", "mul");
        assertEquals(new Node("proj", Opcode.CALL_FUNCTION, FusedConv.OP, List.of(new Ref("gate"), "proj"), kwargs),
                node(g, "proj"));
    }

    @Test
    void aProductUsedElsewhereOrTimesANumberStays() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref h = b.callModule("conv", x);
        Ref product = b.call("mul", h, x);
        Ref doubled = b.call("mul", h, 2.0);
        b.output(List.of(b.callModule("proj", product), product, b.callModule("relu", b.callModule("proj", doubled))));
        FrozenGraph before = epilogues(b);
        assertSame(before, new ChannelScaleFusion().apply(before), "nothing to fold: the same graph");
        assertEquals(List.of("x", "conv", "mul", "mul_1", "proj", "proj_1", "output"), names(before.graph()));
    }

    @Test
    void onnxMulFoldsToo() {
        GraphBuilder b = new GraphBuilder();
        Ref h = b.callModule("conv", b.input("x"));
        Ref scale = b.callModule("gate", b.callModule("pool", h));
        b.output(b.callModule("proj", b.call("onnx.Mul", h, scale)));
        FrozenGraph before = new ConvEpilogueFusion().apply(new FrozenGraph(b.build(MODULES), Map.of(),
                PassFixtures.onnxLike()));
        Graph g = new ChannelScaleFusion().apply(before).graph();
        assertEquals(List.of("x", "conv", "pool", "gate", "proj", "output"), names(g));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("scale", new Ref("gate"));
        kwargs.put("mul", "onnx.Mul");
        assertEquals(new Node("proj", Opcode.CALL_FUNCTION, FusedConv.OP, List.of(new Ref("conv"), "proj"), kwargs),
                node(g, "proj"));
    }

    @Test
    void aMultiplyBeforeALargerKernelStays() {
        // ONNX's SiLU, x * Sigmoid(x), before a 3 x 3 convolution: not a channel scale
        GraphBuilder b = new GraphBuilder();
        Ref h = b.callModule("proj", b.input("x"));
        b.output(b.callModule("conv", b.call("onnx.Mul", h, b.call("onnx.Relu", h))));
        FrozenGraph before = new ConvEpilogueFusion().apply(new FrozenGraph(b.build(MODULES), Map.of(),
                PassFixtures.onnxLike()));
        assertSame(before, new ChannelScaleFusion().apply(before));
    }
}
