package org.layers4j.graph;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;

/**
 * Writes a {@link Graph} node by node from Java, as torch.fx's {@code Graph.create_node} does: each call
 * appends a node and returns a {@link Ref} to its value, named after the op or module ({@code conv1},
 * {@code add}, {@code add_1}, as fx names them). Arguments are refs, numbers ({@code int} becomes a
 * Python int, {@code double} a float), booleans, strings, null, and lists of those.
 *
 * <pre>{@code
 * GraphBuilder g = new GraphBuilder();
 * Ref x = g.input("x");
 * Ref y = g.callModule("conv1", x);
 * g.output(g.call("relu", y));
 * Graph graph = g.build(modules);
 * }</pre>
 */
public final class GraphBuilder {
    private final List<Node> nodes = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    /** The next suffix to try per base name (fx's {@code add}, {@code add_1}, ...), so naming stays linear. */
    private final Map<String, Integer> nextSuffix = new java.util.HashMap<>();
    private boolean done;

    /** A new input ({@code placeholder}). */
    public Ref input(String name) {
        return add(name, Opcode.PLACEHOLDER, name, List.of(), Map.of());
    }

    /** Reads a parameter or buffer by qualified name ({@code get_attr}). */
    public Ref attr(String qualifiedName) {
        return add(qualifiedName.replace('.', '_'), Opcode.GET_ATTR, qualifiedName, List.of(), Map.of());
    }

    /** Calls a leaf module by qualified name on {@code input}. */
    public Ref callModule(String qualifiedName, Ref input) {
        return add(qualifiedName.replace('.', '_'), Opcode.CALL_MODULE, qualifiedName, List.of(input), Map.of());
    }

    /** Calls a registry op with positional arguments. */
    public Ref call(String op, Object... args) {
        return call(op, List.of(args), Map.of());
    }

    /** Calls a registry op with positional and keyword arguments. */
    public Ref call(String op, List<Object> args, Map<String, Object> kwargs) {
        List<Object> a = new ArrayList<>();
        args.forEach(v -> a.add(value(v)));
        Map<String, Object> kw = new LinkedHashMap<>();
        kwargs.forEach((k, v) -> kw.put(k, value(v)));
        return add(op, Opcode.CALL_FUNCTION, op, a, kw);
    }

    /** Ends the graph with its output: a ref, a list (tuple) or a {@link Node.Dict}. */
    public void output(Object value) {
        add("output", Opcode.OUTPUT, "output", List.of(value(value)), Map.of());
        done = true;
    }

    /** The graph over {@code modules} (see {@link Graph#modules()}), checked. */
    public Graph build(Map<String, Map<String, Object>> modules) {
        if (!done) {
            throw new IllegalStateException("call output(...) before build()");
        }
        return new Graph(modules, nodes);
    }

    private Ref add(String base, Opcode op, String target, List<Object> args, Map<String, Object> kwargs) {
        if (done) {
            throw new IllegalStateException("the graph already has its output");
        }
        String name = base;
        int i = nextSuffix.getOrDefault(base, 1);
        while (!names.add(name)) {
            name = base + "_" + i++;
        }
        nextSuffix.put(base, i);
        nodes.add(new Node(name, op, target, args, kwargs));
        return new Ref(name);
    }

    private static Object value(Object v) {
        if (v instanceof Integer i) {
            return i.longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof int[] a) {
            List<Object> l = new ArrayList<>();
            for (int x : a) {
                l.add((long) x);
            }
            return l;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(value(x)));
            return out;
        }
        if (v == null || v instanceof Long || v instanceof Double || v instanceof Boolean || v instanceof String
                || v instanceof Ref || v instanceof Node.Dict || v instanceof Node.Slice) {
            return v;
        }
        throw new IllegalArgumentException("a graph argument must be a ref, a number, a bool, a string, null or a list,"
                + " got " + v.getClass().getName());
    }
}
