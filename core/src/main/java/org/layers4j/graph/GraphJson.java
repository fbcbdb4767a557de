package org.layers4j.graph;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.graph.Node.Dict;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.Node.Slice;
import org.layers4j.internal.Json;

/**
 * A {@link Graph} as the JSON text of a model file's {@code graph} metadata ({@code docs/model-format.md})
 * and back. Reading is strict: unknown keys, a wrong type or an argument object other than
 * {@code {"node": ...}}, {@code {"dict": ...}}, {@code {"slice": [...]}} are errors naming the node.
 */
public final class GraphJson {
    /** The format version this reader and writer speak. */
    public static final long VERSION = 1;

    private GraphJson() {
    }

    /** Parses a graph; IllegalArgumentException naming the node and the rule when the text is not one. */
    public static Graph parse(String text) {
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("metadata 'graph' is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new IllegalArgumentException("metadata 'graph' must be a JSON object");
        }
        for (Object k : top.keySet()) {
            if (!List.of("version", "modules", "nodes").contains(k)) {
                throw new IllegalArgumentException("graph: unknown key '" + k + "' (known: version, modules, nodes)");
            }
        }
        if (!(top.get("version") instanceof Long v) || v != VERSION) {
            throw new IllegalArgumentException("graph: 'version' must be " + VERSION + ", got " + Json.write(top.get("version"))
                    + " (a file written by a newer layers4j?)");
        }
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>();
        Object ms = top.get("modules");
        if (ms != null) {
            if (!(ms instanceof Map<?, ?> mm)) {
                throw new IllegalArgumentException("graph: 'modules' must be a JSON object");
            }
            for (Map.Entry<?, ?> e : mm.entrySet()) {
                if (!(e.getValue() instanceof Map<?, ?> spec)) {
                    throw new IllegalArgumentException("graph: module '" + e.getKey() + "' must be a JSON object (a layer spec)");
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> s = (Map<String, Object>) spec;
                modules.put((String) e.getKey(), s);
            }
        }
        if (!(top.get("nodes") instanceof List<?> list)) {
            throw new IllegalArgumentException("graph: 'nodes' must be a JSON list");
        }
        List<Node> nodes = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            nodes.add(node(i, list.get(i)));
        }
        return new Graph(modules, nodes);
    }

    private static Node node(int i, Object o) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("node " + i + " must be a JSON object, got " + Json.write(o));
        }
        String where = m.get("name") instanceof String s ? "node '" + s + "'" : "node " + i;
        for (Object k : m.keySet()) {
            if (!List.of("name", "op", "target", "args", "kwargs").contains(k)) {
                throw new IllegalArgumentException(where + ": unknown key '" + k + "' (known: name, op, target, args, kwargs)");
            }
        }
        String name = string(where, m, "name");
        Opcode op;
        try {
            op = Opcode.of(string(where, m, "op"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
        String target = m.containsKey("target") || op != Opcode.OUTPUT ? string(where, m, "target") : "output";
        List<Object> args = new ArrayList<>();
        if (m.get("args") != null) {
            if (!(m.get("args") instanceof List<?> a)) {
                throw new IllegalArgumentException(where + ": 'args' must be a JSON list");
            }
            for (Object v : a) {
                args.add(value(where, v));
            }
        }
        Map<String, Object> kwargs = new LinkedHashMap<>();
        if (m.get("kwargs") != null) {
            if (!(m.get("kwargs") instanceof Map<?, ?> kw)) {
                throw new IllegalArgumentException(where + ": 'kwargs' must be a JSON object");
            }
            kw.forEach((k, v) -> kwargs.put((String) k, value(where, v)));
        }
        return new Node(name, op, target, args, kwargs);
    }

    private static String string(String where, Map<?, ?> m, String key) {
        if (!(m.get(key) instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException(where + ": '" + key + "' must be a non-empty string, got "
                    + Json.write(m.get(key)));
        }
        return s;
    }

    private static Object value(String where, Object v) {
        if (v == null || v instanceof Boolean || v instanceof Long || v instanceof Double || v instanceof String) {
            return v;
        }
        if (v instanceof BigInteger b) {
            throw new IllegalArgumentException(where + ": the integer " + b + " does not fit 64 bits");
        }
        if (v instanceof BigDecimal d) {
            return d.doubleValue();
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object e : l) {
                out.add(value(where, e));
            }
            return out;
        }
        Map<?, ?> m = (Map<?, ?>) v;
        if (m.size() == 1 && m.get("node") instanceof String ref) {
            return new Ref(ref);
        }
        if (m.size() == 1 && m.get("dict") instanceof Map<?, ?> d) {
            Map<String, Object> entries = new LinkedHashMap<>();
            d.forEach((k, e) -> entries.put((String) k, value(where, e)));
            return new Dict(entries);
        }
        if (m.size() == 1 && m.get("slice") instanceof List<?> s && s.size() == 3) {
            return new Slice(sliceBound(where, s.get(0)), sliceBound(where, s.get(1)), sliceBound(where, s.get(2)));
        }
        throw new IllegalArgumentException(where + ": an argument object must be {\"node\": NAME}, {\"dict\": {...}} or"
                + " {\"slice\": [START, STOP, STEP]}, got " + Json.write(v));
    }

    private static Long sliceBound(String where, Object o) {
        if (o == null || o instanceof Long) {
            return (Long) o;
        }
        throw new IllegalArgumentException(where + ": a slice bound must be an integer or null, got " + Json.write(o));
    }

    /** The JSON text of a graph, as {@link #parse} reads it. */
    public static String write(Graph g) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("version", VERSION);
        top.put("modules", g.modules());
        List<Object> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", n.name());
            o.put("op", n.op().json());
            o.put("target", n.target());
            if (!n.args().isEmpty()) {
                o.put("args", json(n.args()));
            }
            if (!n.kwargs().isEmpty()) {
                Map<String, Object> kw = new LinkedHashMap<>();
                n.kwargs().forEach((k, v) -> kw.put(k, json(v)));
                o.put("kwargs", kw);
            }
            nodes.add(o);
        }
        top.put("nodes", nodes);
        return Json.write(top);
    }

    private static Object json(Object v) {
        if (v instanceof Ref r) {
            return Map.of("node", r.name());
        }
        if (v instanceof Dict d) {
            Map<String, Object> e = new LinkedHashMap<>();
            d.entries().forEach((k, x) -> e.put(k, json(x)));
            return Map.of("dict", e);
        }
        if (v instanceof Slice s) {
            List<Object> b = new ArrayList<>();
            b.add(s.start());
            b.add(s.stop());
            b.add(s.step());
            return Map.of("slice", b);
        }
        if (v instanceof List<?> l) {
            return l.stream().map(GraphJson::json).toList();
        }
        return v;
    }
}
