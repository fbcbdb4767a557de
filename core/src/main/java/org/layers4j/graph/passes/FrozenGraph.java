package org.layers4j.graph.passes;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Dict;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.io.HostTensor;

/**
 * A graph with the values of its state_dict, frozen for eval-mode inference (as {@code torch.jit.freeze}
 * inlines parameters as constants): what the passes that use parameter values rewrite. {@code state} holds every
 * parameter and buffer by state_dict name, read to the host when a pass asks for a value ({@link FrozenState}: a
 * pass never touches a model's tensors, and a compilation copies only what its passes read); {@code registry} is
 * the op registry of the graph's {@code call_function} nodes, so that a pass reads their arguments by PyTorch's
 * names. Immutable; a pass returns a new one.
 */
public record FrozenGraph(Graph graph, FrozenState state, OpRegistry registry) {
    public FrozenGraph {
        if (graph == null || state == null || registry == null) {
            throw new IllegalArgumentException("a frozen graph needs a graph, its state and its op registry");
        }
        state = state.frozen();
    }

    /** A frozen graph of host values (copied). */
    public FrozenGraph(Graph graph, Map<String, HostTensor> state, OpRegistry registry) {
        this(graph, state == null ? null : FrozenState.copyOf(state), registry);
    }

    /** The same state and registry with another graph. */
    public FrozenGraph with(Graph g) {
        return new FrozenGraph(g, state, registry);
    }

    /** The nodes that use each node's value, by node name, in graph order (the output node included). */
    public Map<String, List<Node>> users() {
        Map<String, List<Node>> users = new HashMap<>();
        for (Node n : graph.nodes()) {
            users.put(n.name(), new ArrayList<>());
        }
        for (Node n : graph.nodes()) {
            for (Ref r : n.refs()) {
                List<Node> l = users.get(r.name());
                if (l.isEmpty() || l.get(l.size() - 1) != n) {
                    l.add(n);
                }
            }
        }
        return users;
    }

    /** The nodes by name. */
    public Map<String, Node> byName() {
        Map<String, Node> m = new HashMap<>();
        graph.nodes().forEach(n -> m.put(n.name(), n));
        return m;
    }

    /** How many {@code call_module} nodes call each module. */
    public Map<String, Integer> moduleCalls() {
        Map<String, Integer> calls = new HashMap<>();
        for (Node n : graph.nodes()) {
            if (n.op() == Opcode.CALL_MODULE) {
                calls.merge(n.target(), 1, Integer::sum);
            }
        }
        return calls;
    }

    /** Whether a {@code get_attr} node reads a parameter or buffer of module {@code name} (weight tying). */
    public boolean isRead(String name) {
        return graph.nodes().stream().anyMatch(n -> n.op() == Opcode.GET_ATTR && n.target().startsWith(name + "."));
    }

    /** The spec op of a {@code call_module} node's module ({@code conv2d}), or null for any other node. */
    public String moduleOp(Node n) {
        return n.op() == Opcode.CALL_MODULE ? (String) graph.modules().get(n.target()).get("op") : null;
    }

    /**
     * A {@code call_function} node's arguments by parameter name, defaults filled ({@code Signature.bind}), or null
     * for another node or an op its registry does not know.
     */
    public Map<String, Object> arguments(Node n) {
        if (n.op() != Opcode.CALL_FUNCTION || !registry.contains(n.target())) {
            return null;
        }
        try {
            return registry.get(n.target()).signature().bind(n.target(), n.args(), n.kwargs());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** {@code n} with every reference to a renamed node replaced by a reference to its new name. */
    public static Node renamed(Node n, Map<String, String> renames) {
        List<Object> args = new ArrayList<>();
        n.args().forEach(a -> args.add(renamed(a, renames)));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        n.kwargs().forEach((k, v) -> kwargs.put(k, renamed(v, renames)));
        return new Node(n.name(), n.op(), n.target(), args, kwargs);
    }

    private static Object renamed(Object v, Map<String, String> renames) {
        if (v instanceof Ref r) {
            String to = renames.get(r.name());
            return to == null ? r : new Ref(to);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(renamed(x, renames)));
            return out;
        }
        if (v instanceof Dict d) {
            Map<String, Object> out = new LinkedHashMap<>();
            d.entries().forEach((k, x) -> out.put(k, renamed(x, renames)));
            return new Dict(out);
        }
        return v;
    }
}
