package org.layers4j.graph;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.LayerSpecs;
import org.layers4j.nn.Module;
import org.layers4j.nn.Sequential;

/**
 * Turns a Java model into a {@link Graph}: the module tree into {@link Graph#modules()} (leaves as layer
 * specs, containers with their own parameters), and the forward into nodes, from the model's
 * {@link Traceable#trace} (a {@link Sequential} calls its children in order; a layer is one
 * {@code call_module}).
 */
public final class GraphTracer {
    private GraphTracer() {
    }

    /** Where a traced module writes its nodes: the graph being built and the module's qualified name. */
    public static final class Scope {
        private final GraphBuilder builder;
        private final String prefix;
        private final Module module;

        Scope(GraphBuilder builder, String prefix, Module module) {
            this.builder = builder;
            this.prefix = prefix;
            this.module = module;
        }

        /** The graph being written (for {@code call} nodes). */
        public GraphBuilder graph() {
            return builder;
        }

        /** Runs the child module {@code name} on {@code input}: a layer as one node, a composite traced. */
        public Ref child(String name, Ref input) {
            Module c = module.children().get(name);
            if (c == null) {
                throw new IllegalArgumentException(module.getClass().getSimpleName() + " has no child '" + name + "'");
            }
            return run(builder, qualified(name), c, input);
        }

        /** A parameter or buffer of this module by its local name ({@code get_attr}). */
        public Ref attr(String name) {
            return builder.attr(qualified(name));
        }

        /** The qualified name of a child or attribute. */
        public String qualified(String name) {
            return prefix.isEmpty() ? name : prefix + "." + name;
        }
    }

    /** The graph of {@code model} with one input named {@code x}. */
    public static Graph trace(Module model) {
        GraphBuilder b = new GraphBuilder();
        Ref x = b.input("x");
        b.output(run(b, "", model, x));
        return b.build(modules(model));
    }

    private static Ref run(GraphBuilder b, String name, Module m, Ref input) {
        if (m instanceof Traceable t) {
            return t.trace(new Scope(b, name, m), input);
        }
        if (m instanceof Sequential s) {
            Ref h = input;
            for (String child : s.children().keySet()) {
                h = new Scope(b, name, s).child(child, h);
            }
            return h;
        }
        if (!m.children().isEmpty() || name.isEmpty()) {
            throw new IllegalArgumentException("cannot trace a " + m.getClass().getName() + ": a composite module"
                    + " implements org.layers4j.graph.Traceable to be saved as a graph");
        }
        return b.callModule(name, input);
    }

    /** The module specs of a model in named_modules() order. */
    public static Map<String, Map<String, Object>> modules(Module model) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        collect("", model, out);
        return out;
    }

    private static void collect(String name, Module m, Map<String, Map<String, Object>> out) {
        boolean leaf = m.children().isEmpty() && !(m instanceof Traceable) && !(m instanceof GraphContainer)
                && !(m instanceof GraphModule);
        if (leaf && !name.isEmpty()) {
            out.put(name, LayerSpecs.describe(m));
            return;
        }
        Map<String, Object> params = new LinkedHashMap<>();
        Map<String, Object> buffers = new LinkedHashMap<>();
        Map<String, Tensor> own = ownState(m, true);
        own.forEach((k, t) -> params.put(k, shape(t)));
        ownState(m, false).forEach((k, t) -> buffers.put(k, t.dtype() == DType.INT64
                ? Map.of("shape", shape(t), "dtype", "int64") : shape(t)));
        if (!name.isEmpty() && (!params.isEmpty() || !buffers.isEmpty())) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("op", Graph.CONTAINER);
            spec.put("parameters", params);
            spec.put("buffers", buffers);
            out.put(name, spec);
        } else if (name.isEmpty() && (!params.isEmpty() || !buffers.isEmpty())) {
            throw new IllegalArgumentException("a graph model's root cannot hold parameters of its own; found "
                    + params.keySet() + buffers.keySet());
        }
        m.children().forEach((k, c) -> collect(name.isEmpty() ? k : name + "." + k, c, out));
    }

    /** The parameters (or buffers) a module holds itself, not through a child. */
    private static Map<String, Tensor> ownState(Module m, boolean parameters) {
        Map<String, Tensor> all = parameters ? m.parameters() : m.buffers();
        Map<String, Tensor> own = new LinkedHashMap<>();
        all.forEach((k, t) -> {
            if (!k.contains(".")) {
                own.put(k, t);
            }
        });
        return own;
    }

    private static List<Long> shape(Tensor t) {
        return java.util.Arrays.stream(t.shape().dims()).mapToObj(d -> (long) d).toList();
    }
}
