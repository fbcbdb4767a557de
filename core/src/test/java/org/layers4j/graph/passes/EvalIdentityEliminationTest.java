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

class EvalIdentityEliminationTest {
    private static final EvalIdentityElimination PASS = new EvalIdentityElimination();

    private static FrozenGraph frozen(GraphBuilder b, Map<String, Map<String, Object>> modules) {
        return new FrozenGraph(b.build(modules), Map.of(), OpRegistry.standard());
    }

    @Test
    void efficientNetsResidualAddFusesOnceStochasticDepthIsGone() {
        // MBConv's end: add(stochastic_depth(project(x)), x)
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref dropped = b.call("stochastic_depth", List.of(b.callModule("project", x)), Map.of("p", 0.2, "mode", "row"));
        b.output(b.call("add", dropped, x));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("project", conv2d(2, 2, true));
        FrozenGraph eliminated = PASS.apply(frozen(b, modules));
        assertEquals(List.of("x", "project", "add", "output"), names(eliminated.graph()));
        assertEquals(List.of(new Ref("project"), new Ref("x")), node(eliminated.graph(), "add").args());
        Graph fused = new ConvEpilogueFusion().apply(eliminated).graph();
        assertEquals(List.of("x", "project", "output"), names(fused));
        assertEquals(new Node("project", Opcode.CALL_FUNCTION, FusedConv.OP, List.of(new Ref("x"), "project"),
                Map.of("residual", new Ref("x"), "add", "add")), node(fused, "project"));
        // without the pass the stochastic depth stands between the convolution and the add
        Graph unfused = new ConvEpilogueFusion().apply(frozen(b, modules)).graph();
        assertEquals(List.of("x", "project", "stochastic_depth", "add", "output"), names(unfused));
    }

    @Test
    void chainsOfDropoutsAndIdentitiesReadTheFirstInput() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        Ref d1 = b.callModule("drop", x);
        Ref d2 = b.call("dropout", List.of(d1), Map.of("p", 0.5));
        Ref d3 = b.callModule("drop2d", d2);
        Ref relu = b.callModule("relu", b.callModule("same", d3));
        b.output(List.of(relu, b.call("dropout", relu)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("drop", op("dropout"));
        modules.put("drop2d", op("dropout2d"));
        modules.put("same", op("identity"));
        modules.put("relu", op("relu"));
        Graph g = PASS.apply(frozen(b, modules)).graph();
        assertEquals(List.of("x", "relu", "output"), names(g));
        assertEquals(List.of(new Ref("x")), node(g, "relu").args());
        assertEquals(List.of(List.of(new Ref("relu"), new Ref("relu"))), g.output().args());
    }

    @Test
    void aGraphWithoutIdentitiesIsReturnedAsItIsAndAConstantsDropoutStays() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        b.output(b.call("add", b.callModule("relu", x), b.call("dropout", 1.0)));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("relu", op("relu"));
        FrozenGraph g = frozen(b, modules);
        assertSame(g, PASS.apply(g));
        assertEquals(List.of("x", "relu", "dropout", "add", "output"), names(g.graph()));
    }
}
