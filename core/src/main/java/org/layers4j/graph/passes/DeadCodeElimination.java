package org.layers4j.graph.passes;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.io.HostTensor;

/**
 * Drops what no computation uses any more after the other passes: {@code get_attr} nodes without users (ONNX's
 * BatchNormalization inputs once folded), container parameters and buffers that no {@code get_attr} reads, and leaf
 * modules that no node calls or names (a fused convolution names its layer), with their state. Only reads and
 * state are dropped, never a computation: a {@code call_function} without users may still raise.
 */
public final class DeadCodeElimination implements GraphPass {
    @Override
    public String name() {
        return "dead-code-elimination";
    }

    @Override
    public FrozenGraph apply(FrozenGraph g) {
        Map<String, List<Node>> users = g.users();
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.graph().nodes()) {
            if (n.op() != Opcode.GET_ATTR || !users.get(n.name()).isEmpty()) {
                nodes.add(n);
            }
        }
        Set<String> read = new HashSet<>();
        Set<String> called = new HashSet<>();
        for (Node n : nodes) {
            if (n.op() == Opcode.GET_ATTR) {
                read.add(n.target());
            } else if (n.op() == Opcode.CALL_MODULE) {
                called.add(n.target());
            } else if (n.op() == Opcode.CALL_FUNCTION && n.target().equals(FusedConv.OP)
                    && n.args().size() > 1 && n.args().get(1) instanceof String layer) {
                called.add(layer);
            }
        }
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        FrozenState state = FrozenState.copyOf(g.state());
        g.graph().modules().forEach((name, spec) -> {
            if (Graph.CONTAINER.equals(spec.get("op"))) {
                modules.put(name, container(name, spec, read, state));
            } else if (called.contains(name) || readsUnder(read, name)) {
                modules.put(name, spec);
            } else {
                state.keySet().removeIf(k -> k.startsWith(name + ".") && !k.substring(name.length() + 1).contains("."));
            }
        });
        if (nodes.size() == g.graph().nodes().size() && modules.equals(g.graph().modules())
                && state.size() == g.state().size()) {
            return g;
        }
        return new FrozenGraph(new Graph(modules, nodes), state, g.registry());
    }

    private static boolean readsUnder(Set<String> read, String module) {
        return read.stream().anyMatch(t -> t.startsWith(module + "."));
    }

    /** A container's spec without the parameters and buffers no get_attr reads (dropped from state too). */
    private static Map<String, Object> container(String name, Map<String, Object> spec, Set<String> read,
                                                 Map<String, HostTensor> state) {
        Map<String, Object> out = new LinkedHashMap<>(spec);
        for (String kind : List.of("parameters", "buffers")) {
            if (spec.get(kind) instanceof Map<?, ?> entries) {
                Map<String, Object> kept = new LinkedHashMap<>();
                entries.forEach((attr, shape) -> {
                    String full = name + "." + attr;
                    if (read.contains(full)) {
                        kept.put((String) attr, shape);
                    } else {
                        state.remove(full);
                    }
                });
                out.put(kind, kept);
            }
        }
        return out;
    }
}
