package org.layers4j.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.graph.Node.Opcode;

/**
 * A model's architecture as data: the module tree ({@link #modules()}: every leaf module's layer spec by
 * qualified name, and containers with parameters of their own, in {@code named_modules()} order) and the
 * flat, ordered node list that runs it. The constructor checks what needs no op registry: unique names,
 * every reference to an earlier node (so there is no cycle), one {@code output} node and it last,
 * {@code call_module} targets that are leaf modules. Immutable; passes return new graphs.
 */
public final class Graph {
    /** The spec {@code op} of a container entry in {@link #modules()}. */
    public static final String CONTAINER = "module";

    private final Map<String, Map<String, Object>> modules;
    private final List<Node> nodes;

    public Graph(Map<String, Map<String, Object>> modules, List<Node> nodes) {
        if (modules == null || nodes == null) {
            throw new IllegalArgumentException("a graph needs modules and nodes (possibly empty modules)");
        }
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        modules.forEach((k, v) -> m.put(k, Collections.unmodifiableMap(new LinkedHashMap<>(v))));
        this.modules = Collections.unmodifiableMap(m);
        this.nodes = List.copyOf(nodes);
        check();
    }

    /** Module specs by qualified name, in the order the module tree is built. */
    public Map<String, Map<String, Object>> modules() {
        return modules;
    }

    /** The nodes in execution order; the last is the output. */
    public List<Node> nodes() {
        return nodes;
    }

    /** The {@code placeholder} nodes, in order: the model's inputs. */
    public List<Node> inputs() {
        return nodes.stream().filter(n -> n.op() == Opcode.PLACEHOLDER).toList();
    }

    /** The {@code output} node. */
    public Node output() {
        return nodes.get(nodes.size() - 1);
    }

    private void check() {
        for (String name : modules.keySet()) {
            if (name.isEmpty() || name.startsWith(".") || name.endsWith(".") || name.contains("..")) {
                throw new IllegalArgumentException("module name '" + name + "' is not a dotted qualified name");
            }
            Object op = modules.get(name).get("op");
            if (!(op instanceof String)) {
                throw new IllegalArgumentException("module '" + name + "': its spec needs a string \"op\"");
            }
        }
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a graph needs at least an output node");
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.name().isEmpty()) {
                throw new IllegalArgumentException("node " + i + " has an empty name");
            }
            if (index.putIfAbsent(n.name(), i) != null) {
                throw new IllegalArgumentException("node " + i + ": the name '" + n.name() + "' is defined twice (node "
                        + index.get(n.name()) + ")");
            }
            for (Node.Ref r : n.refs()) {
                Integer at = index.get(r.name());
                if (at == null || at >= i) {
                    throw new IllegalArgumentException("node '" + n.name() + "' uses '" + r.name() + "', which is not "
                            + "defined before it (" + (at != null ? "it uses itself: a cycle" : nodeLater(r.name(), i))
                            + ")");
                }
            }
            boolean last = i == nodes.size() - 1;
            if ((n.op() == Opcode.OUTPUT) != last) {
                throw new IllegalArgumentException(last ? "the last node '" + n.name() + "' must be the output node, but it"
                        + " is " + n.op().json() : "node '" + n.name() + "' is an output node before the end of the graph");
            }
            switch (n.op()) {
                case OUTPUT -> {
                    if (n.args().size() != 1 || !n.kwargs().isEmpty()) {
                        throw new IllegalArgumentException("output node '" + n.name() + "' needs exactly one argument (a value,"
                                + " a list or a dict), got " + n.args().size());
                    }
                }
                case CALL_MODULE -> {
                    Map<String, Object> spec = modules.get(n.target());
                    if (spec == null) {
                        throw new IllegalArgumentException("node '" + n.name() + "' calls module '" + n.target()
                                + "', which the graph's modules do not define");
                    }
                    if (CONTAINER.equals(spec.get("op"))) {
                        throw new IllegalArgumentException("node '" + n.name() + "' calls '" + n.target() + "', a container;"
                                + " call_module takes a leaf module (a layer)");
                    }
                    if (n.args().size() != 1 || !n.kwargs().isEmpty()) {
                        throw new IllegalArgumentException("node '" + n.name() + "' calls module '" + n.target()
                                + "' with " + n.args().size() + " positional and " + n.kwargs().size() + " keyword"
                                + " arguments; a module takes one input");
                    }
                }
                case PLACEHOLDER, GET_ATTR -> {
                    if (!n.args().isEmpty() || !n.kwargs().isEmpty()) {
                        throw new IllegalArgumentException(n.op().json() + " node '" + n.name() + "' takes no arguments");
                    }
                }
                default -> {
                }
            }
        }
    }

    private String nodeLater(String name, int i) {
        for (int j = i; j < nodes.size(); j++) {
            if (nodes.get(j).name().equals(name)) {
                return "it is node " + j + ", later: nodes must come after what they use, so a cycle cannot be written";
            }
        }
        return "no node has that name";
    }

    /** The graph with other nodes (a pass's result), the same modules. */
    public Graph withNodes(List<Node> newNodes) {
        return new Graph(modules, newNodes);
    }

    /** A readable listing, one node a line, as fx's {@code print(graph)}. */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        nodes.forEach(n -> lines.add("  " + n));
        return "graph(\n" + String.join("\n", lines) + "\n)";
    }
}
