package org.layers4j.graph.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.layers4j.graph.passes.BatchNormFoldingTest.names;
import static org.layers4j.graph.passes.PassFixtures.conv2d;
import static org.layers4j.graph.passes.PassFixtures.random;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layers4j.graph.Graph;
import org.layers4j.graph.GraphBuilder;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.io.HostTensor;

class DeadCodeEliminationTest {
    private static final DeadCodeElimination PASS = new DeadCodeElimination();

    @Test
    void unreadGetAttrNodesContainerEntriesAndUncalledModulesGoWithTheirState() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        b.attr("init.unused");
        Ref kept = b.attr("init.kept");
        b.output(b.call("add", b.callModule("conv", x), kept));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", conv2d(2, 2, false));
        modules.put("spare", conv2d(2, 2, false));
        modules.put("init", Map.of("op", Graph.CONTAINER, "parameters", Map.of("unused", List.of(2L), "kept",
                List.of(2L))));
        SplittableRandom r = new SplittableRandom(1);
        Map<String, HostTensor> state = new LinkedHashMap<>();
        state.put("conv.weight", random(r, -1, 1, 2, 2, 3, 3));
        state.put("spare.weight", random(r, -1, 1, 2, 2, 3, 3));
        state.put("init.unused", random(r, -1, 1, 2));
        state.put("init.kept", random(r, -1, 1, 2));
        FrozenGraph f = PASS.apply(new FrozenGraph(b.build(modules), state, OpRegistry.standard()));
        assertEquals(List.of("x", "init_kept", "conv", "add", "output"), names(f.graph()));
        assertEquals(List.of("conv", "init"), List.copyOf(f.graph().modules().keySet()));
        assertEquals(Map.of("kept", List.of(2L)), f.graph().modules().get("init").get("parameters"));
        assertEquals(List.of("conv.weight", "init.kept"), List.copyOf(f.state().keySet()));
    }

    @Test
    void aFusedConvolutionsLayerAndAnUnusedComputationStay() {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        b.call("neg", x); // may raise: a computation, kept
        b.output(b.call(FusedConv.OP, x, "conv"));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        modules.put("conv", conv2d(2, 2, false));
        FrozenGraph g = new FrozenGraph(b.build(modules), Map.of("conv.weight", random(new SplittableRandom(2), -1, 1,
                2, 2, 3, 3)), OpRegistry.standard());
        assertSame(g, PASS.apply(g));
    }
}
