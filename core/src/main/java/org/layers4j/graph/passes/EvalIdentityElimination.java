package org.layers4j.graph.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;

/**
 * Drops the nodes that are the identity in eval mode, where a compiled model runs (ONNX Runtime's
 * {@code EliminateDropout}): {@code dropout} and {@code stochastic_depth} calls, and calls of {@code dropout},
 * {@code dropout2d} and {@code identity} modules, their users reading the node's input instead. A value passed on
 * unchanged is the same tensor either way, so the results are the same; what it changes is what the later passes see:
 * EfficientNet's residual {@code add} follows a {@code stochastic_depth} of the projection convolution, and only
 * without it does {@link ConvEpilogueFusion} fold the add into the convolution. A node whose input is not another
 * node's value (a constant) is kept. Runs first.
 */
public final class EvalIdentityElimination implements GraphPass {
    private static final Set<String> FUNCTIONS = Set.of("dropout", "stochastic_depth");
    private static final Set<String> MODULES = Set.of("dropout", "dropout2d", "identity");

    @Override
    public String name() {
        return "eval-identity-elimination";
    }

    @Override
    public FrozenGraph apply(FrozenGraph g) {
        Map<String, String> renames = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.graph().nodes()) {
            Object input = input(g, n);
            if (input instanceof Ref r) {
                // a chain of identities reads the first one's input
                renames.put(n.name(), renames.getOrDefault(r.name(), r.name()));
            } else {
                nodes.add(n);
            }
        }
        if (renames.isEmpty()) {
            return g;
        }
        List<Node> out = new ArrayList<>(nodes.size());
        nodes.forEach(n -> out.add(FrozenGraph.renamed(n, renames)));
        return g.with(new Graph(g.graph().modules(), out));
    }

    /** The input of an eval-mode identity node (its first argument), or null for any other node. */
    private static Object input(FrozenGraph g, Node n) {
        if (n.op() == Opcode.CALL_MODULE) {
            return MODULES.contains(g.moduleOp(n)) && n.args().size() == 1 && n.kwargs().isEmpty() ? n.args().get(0) : null;
        }
        if (n.op() != Opcode.CALL_FUNCTION || !FUNCTIONS.contains(n.target())) {
            return null;
        }
        Map<String, Object> a = g.arguments(n);
        return a == null ? null : a.get("input");
    }
}
