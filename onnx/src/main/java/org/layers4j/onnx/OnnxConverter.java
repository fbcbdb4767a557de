package org.layers4j.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.graph.Graph;
import org.layers4j.graph.Node;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.io.HostTensor;

/**
 * A ModelProto as a layers4j {@link Graph} and its state: graph inputs become placeholders, initializers the
 * parameters (float) and buffers (integer) of the container {@code initializers} read by {@code get_attr}
 * (so they stay trainable), Constant nodes buffers of {@code constants}; a Conv whose weight and bias are
 * initializers becomes a {@code conv1d} / {@code conv2d} layer and a Gemm or MatMul with an initializer weight
 * a {@code linear} layer, so their weights are those layers' parameters; every other node calls the registry
 * op {@code onnx.<OpType>} ({@link OnnxOps}). Everything the graph alone shows is checked here.
 */
final class OnnxConverter {
    /** The converted model: its graph, its state_dict, the default domain's opset. */
    record Result(Graph graph, Map<String, HostTensor> state, int opset, List<OnnxProto.ValueInfo> inputs) {
    }

    static final int MIN_OPSET = 11;
    static final int MAX_OPSET = 21;

    private final OnnxProto.Model model;
    private final int opset;
    private final Map<String, OnnxProto.TensorProto> initializers = new HashMap<>();
    /** The declared element type of graph inputs and initializers (CastLike's target type). */
    private final Map<String, Integer> declaredTypes = new HashMap<>();
    private final Map<String, String> values = new HashMap<>();
    private final Set<String> names = new HashSet<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Map<String, Object>> leaves = new LinkedHashMap<>();
    private final Map<String, Object> params = new LinkedHashMap<>();
    private final Map<String, Object> buffers = new LinkedHashMap<>();
    private final Map<String, Object> constants = new LinkedHashMap<>();
    private final Map<String, HostTensor> state = new LinkedHashMap<>();
    private final Set<String> attrNames = new HashSet<>();
    private final Set<String> moduleNames = new HashSet<>();
    /** Values known at load: Constant outputs, integer initializers, what was folded from them. */
    private final Map<String, NdArray> known = new HashMap<>();
    private final ConstantFolder folder;

    private OnnxConverter(OnnxProto.Model model, int opset, org.layers4j.spi.Backend backend) {
        this.model = model;
        this.opset = opset;
        this.folder = new ConstantFolder(backend);
    }

    /** Converts a model; {@code backend} evaluates the nodes computed from constants alone (folded at load). */
    static Result convert(OnnxProto.Model model, org.layers4j.spi.Backend backend) throws IOException {
        return new OnnxConverter(model, defaultOpset(model), backend).run();
    }

    static int defaultOpset(OnnxProto.Model model) {
        Integer v = null;
        for (OnnxProto.OpsetId o : model.opsets()) {
            if (o.domain().isEmpty() || o.domain().equals("ai.onnx")) {
                v = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, o.version()));
            }
        }
        if (v == null) {
            throw new OnnxUnsupportedException("the model imports no opset of the default ONNX domain");
        }
        if (v < MIN_OPSET || v > MAX_OPSET) {
            throw new OnnxUnsupportedException("opset " + v + " of the default domain is not supported (" + MIN_OPSET
                    + " to " + MAX_OPSET + ")");
        }
        return v;
    }

    private Result run() throws IOException {
        OnnxProto.GraphProto g = model.graph();
        for (OnnxProto.TensorProto t : g.initializers()) {
            declaredTypes.put(t.name(), t.dataType());
            if (initializers.put(t.name(), t) != null) {
                throw new IllegalArgumentException("initializer '" + t.name() + "' is defined twice");
            }
        }
        List<OnnxProto.ValueInfo> inputs = new ArrayList<>();
        for (OnnxProto.ValueInfo in : g.inputs()) {
            if (initializers.containsKey(in.name())) {
                continue;
            }
            if (in.elemType() == 0) {
                throw new OnnxUnsupportedException("graph input '" + in.name() + "' is not a tensor (sequence, map and"
                        + " optional types are not supported)");
            }
            if (!OnnxTensors.isSupported(in.elemType())) {
                throw new OnnxUnsupportedException("graph input '" + in.name() + "' has data type "
                        + OnnxTensors.typeName(in.elemType()) + ", which is not supported");
            }
            if (values.containsKey(in.name())) {
                throw new IllegalArgumentException("graph input '" + in.name() + "' is declared twice");
            }
            declaredTypes.put(in.name(), in.elemType());
            String n = unique(in.name());
            nodes.add(new Node(n, Opcode.PLACEHOLDER, in.name(), List.of(), Map.of()));
            values.put(in.name(), n);
            inputs.add(in);
        }
        for (int i = 0; i < g.nodes().size(); i++) {
            node(i, g.nodes().get(i));
        }
        // one output: the tensor; several: a dict by their ONNX names (forwardNamed, the CLI print them so)
        Map<String, Object> outs = new LinkedHashMap<>();
        for (OnnxProto.ValueInfo o : g.outputs()) {
            if (outs.put(o.name(), new Ref(value(o.name(), "the graph's output"))) != null) {
                throw new IllegalArgumentException("the graph output '" + o.name() + "' is listed twice");
            }
        }
        if (outs.isEmpty()) {
            throw new IllegalArgumentException("the ONNX graph has no outputs");
        }
        nodes.add(new Node(unique("output"), Opcode.OUTPUT, "output", List.of(outs.size() == 1 ? outs.values().iterator()
                .next() : new Node.Dict(outs)), Map.of()));
        Map<String, Map<String, Object>> modules = new LinkedHashMap<>(leaves);
        if (!params.isEmpty() || !buffers.isEmpty()) {
            modules.put("initializers", Map.of("op", Graph.CONTAINER, "parameters", params, "buffers", buffers));
        }
        if (!constants.isEmpty()) {
            modules.put("constants", Map.of("op", Graph.CONTAINER, "buffers", constants));
        }
        return new Result(new Graph(modules, nodes), state, opset, inputs);
    }

    private String unique(String base) {
        String b = base.isEmpty() ? "_" : base;
        String n = b;
        for (int k = 1; !names.add(n); k++) {
            n = b + "_" + k;
        }
        return n;
    }

    private String attrName(String base) {
        String b = base.replaceAll("[^A-Za-z0-9_]", "_");
        if (b.isEmpty()) {
            b = "_";
        }
        String n = b;
        for (int k = 1; !attrNames.add(n); k++) {
            n = b + "_" + k;
        }
        return n;
    }

    /** The graph node holding an ONNX value; initializers are read (get_attr) at their first use. */
    private String value(String name, String user) throws IOException {
        String n = values.get(name);
        if (n != null) {
            return n;
        }
        OnnxProto.TensorProto t = initializers.get(name);
        if (t == null) {
            throw new IllegalArgumentException(user + " uses '" + name + "', which no graph input, initializer or"
                    + " earlier node defines (ONNX graphs are topologically sorted, so this is also how a cycle shows)");
        }
        NdArray a = OnnxTensors.toArray(t);
        String attr = attrName(name);
        List<Long> shape = new ArrayList<>();
        for (int d : a.shape) {
            shape.add((long) d);
        }
        if (a.integer) {
            buffers.put(attr, Map.of("shape", shape, "dtype", "int64"));
        } else {
            params.put(attr, shape);
        }
        state.put("initializers." + attr, OnnxTensors.toHost(a));
        n = unique(name);
        nodes.add(new Node(n, Opcode.GET_ATTR, "initializers." + attr, List.of(), Map.of()));
        values.put(name, n);
        return n;
    }

    private void node(int index, OnnxProto.NodeProto p) throws IOException {
        String where = "node " + index + " '" + p.name() + "' (op_type " + p.opType() + ", domain '" + p.domain()
                + "', opset " + opset + ")";
        try {
            convertNode(p);
        } catch (OnnxUnsupportedException e) {
            throw new OnnxUnsupportedException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
    }

    private void convertNode(OnnxProto.NodeProto p) throws IOException {
        if (!p.domain().isEmpty() && !p.domain().equals("ai.onnx")) {
            throw new OnnxUnsupportedException("the domain '" + p.domain() + "' is not supported (only the default"
                    + " domain); supported op types: " + OnnxOps.supported());
        }
        for (OnnxProto.Attribute a : p.attributes()) {
            if (a.hasGraph()) {
                throw new OnnxUnsupportedException("attribute '" + a.name() + "' holds a subgraph (If / Loop / Scan"
                        + " bodies are not supported)");
            }
        }
        if (!OnnxOps.isSupported(p.opType())) {
            throw new OnnxUnsupportedException("op type " + p.opType() + " is not supported; supported op types: "
                    + OnnxOps.supported());
        }
        Map<String, Object> attrs = attributes(p);
        int outputs = 0;
        for (int i = 0; i < p.outputs().size(); i++) {
            if (!p.outputs().get(i).isEmpty()) {
                outputs = i + 1;
            }
        }
        if (outputs == 0) {
            throw new IllegalArgumentException("the node has no outputs");
        }
        for (String o : p.outputs()) {
            if (!o.isEmpty() && (values.containsKey(o) || initializers.containsKey(o))) {
                throw new IllegalArgumentException("output '" + o + "' is defined twice");
            }
        }
        if (p.opType().equals("Constant")) {
            constant(p);
            return;
        }
        OnnxOps.check(p.opType(), attrs, outputs);
        if (p.opType().equals("Identity") && p.inputs().size() == 1 && isFreeInitializer(p.inputs().get(0))) {
            // PyTorch's exporter shares equal constants (the biases of folded BatchNorms with default statistics)
            // through Identity nodes: the output is that initializer under another name, so a Conv reading it
            // still becomes a layer (its own copy of the values) instead of a per-call convolution
            initializers.put(p.outputs().get(0), initializers.get(p.inputs().get(0)));
            return;
        }
        if (p.opType().equals("Conv") && ConvLeaves.conv(this, p, attrs)) {
            return;
        }
        if (p.opType().equals("Gemm") && ConvLeaves.gemm(this, p, attrs)) {
            return;
        }
        if (p.opType().equals("MatMul") && ConvLeaves.matmul(this, p)) {
            return;
        }
        if (fold(p, attrs, outputs)) {
            return;
        }
        if (p.opType().equals("CastLike") && p.inputs().size() > 1 && declaredTypes.containsKey(p.inputs().get(1))) {
            // tensors are float32 or int64 at run time: the declared type tells a 16-bit float target apart
            attrs = new LinkedHashMap<>(attrs);
            attrs.put("target_type", (long) declaredTypes.get(p.inputs().get(1)));
        }
        List<Object> args = new ArrayList<>();
        for (String in : p.inputs()) {
            args.add(in.isEmpty() ? null : new Ref(value(in, "the node")));
        }
        Map<String, Object> kwargs = new LinkedHashMap<>();
        kwargs.put("attrs", new Node.Dict(attrs));
        kwargs.put("opset", (long) opset);
        kwargs.put("outputs", (long) outputs);
        String target = OnnxOps.PREFIX + p.opType();
        if (outputs == 1) {
            define(p.outputs().get(0), new Node(unique(p.outputs().get(0)), Opcode.CALL_FUNCTION, target, args, kwargs));
            return;
        }
        String all = unique("%" + (p.name().isEmpty() ? p.opType() : p.name()));
        nodes.add(new Node(all, Opcode.CALL_FUNCTION, target, args, kwargs));
        for (int i = 0; i < outputs; i++) {
            String o = p.outputs().get(i);
            if (!o.isEmpty()) {
                define(o, new Node(unique(o), Opcode.CALL_FUNCTION, "getitem", List.of(new Ref(all), (long) i),
                        Map.of()));
            }
        }
    }

    /** Adds a node that defines no ONNX value (an intermediate of a mapping). */
    void addNode(Node n) {
        nodes.add(n);
    }

    /** Adds a node defining the ONNX value {@code name}. */
    void define(String name, Node n) {
        nodes.add(n);
        values.put(name, n.name());
    }

    /** Whether {@code name} is an initializer not yet read by get_attr (so a layer may own it). */
    boolean isFreeInitializer(String name) {
        return initializers.containsKey(name) && !values.containsKey(name);
    }

    NdArray initializer(String name) throws IOException {
        return OnnxTensors.toArray(initializers.get(name));
    }

    String ref(String name) throws IOException {
        return value(name, "the node");
    }

    /** Adds a layer (a leaf module) with its state; returns its name. */
    String leaf(String base, Map<String, Object> spec, Map<String, HostTensor> layerState) {
        String b = base.replace('.', '_').replaceAll("[^A-Za-z0-9_:]", "_");
        if (b.isEmpty() || b.equals("initializers") || b.equals("constants")) {
            b = "layer_" + b;
        }
        String n = b;
        for (int k = 1; !moduleNames.add(n); k++) {
            n = b + "_" + k;
        }
        leaves.put(n, spec);
        String name = n;
        layerState.forEach((k, v) -> state.put(name + "." + k, v));
        return n;
    }

    String uniqueNode(String base) {
        return unique(base);
    }

    private void constant(OnnxProto.NodeProto p) throws IOException {
        NdArray a = null;
        for (OnnxProto.Attribute at : p.attributes()) {
            a = switch (at.name()) {
                case "value" -> at.t() == null ? null : OnnxTensors.toArray(at.t());
                case "value_float" -> new NdArray(new int[0], new double[] {at.f()}, false);
                case "value_int" -> new NdArray(new int[0], new double[] {at.i()}, true);
                case "value_floats" -> new NdArray(new int[] {at.floats().size()}, at.floats().stream()
                        .mapToDouble(Float::doubleValue).toArray(), false);
                case "value_ints" -> new NdArray(new int[] {at.ints().size()}, at.ints().stream()
                        .mapToDouble(Long::doubleValue).toArray(), true);
                default -> throw new OnnxUnsupportedException("Constant: attribute " + at.name() + " is not supported");
            };
        }
        if (a == null) {
            throw new IllegalArgumentException("Constant: no value");
        }
        constantNode(p.outputs().get(0), a);
    }

    /** Defines {@code out} as a constant: a buffer of the container {@code constants}, read by get_attr. */
    private void constantNode(String out, NdArray a) {
        known.put(out, a);
        String attr = attrName(out);
        List<Long> shape = new ArrayList<>();
        for (int d : a.shape) {
            shape.add((long) d);
        }
        constants.put(attr, Map.of("shape", shape, "dtype", a.integer ? "int64" : "float32"));
        state.put("constants." + attr, OnnxTensors.toHost(a));
        define(out, new Node(unique(out), Opcode.GET_ATTR, "constants." + attr, List.of(), Map.of()));
    }

    /**
     * Folds a node whose inputs are all known at load (Constant outputs, integer initializers, folded values —
     * not float initializers, which stay trainable parameters): the shape arithmetic exporters emit. Its
     * outputs become constants; an error computing it is an error at load.
     */
    private boolean fold(OnnxProto.NodeProto p, Map<String, Object> attrs, int outputs) throws IOException {
        if (p.opType().equals("Dropout") || p.inputs().stream().allMatch(String::isEmpty)
                && !p.opType().equals("ConstantOfShape")) {
            return false;
        }
        List<NdArray> ins = new ArrayList<>();
        for (String in : p.inputs()) {
            if (in.isEmpty()) {
                ins.add(null);
                continue;
            }
            NdArray k = known.get(in);
            if (k == null && initializers.containsKey(in)) {
                OnnxProto.TensorProto t = initializers.get(in);
                if (OnnxTensors.isIntegerType(t.dataType())) {
                    k = OnnxTensors.toArray(t);
                    known.put(in, k);
                }
            }
            if (k == null || k.data.length > ConstantFolder.MAX_FOLD) {
                return false;
            }
            ins.add(k);
        }
        List<NdArray> outs = folder.run(p.opType(), ins, attrs, opset, outputs);
        for (int i = 0; i < outputs; i++) {
            String o = p.outputs().get(i);
            if (!o.isEmpty()) {
                constantNode(o, outs.get(i));
            }
        }
        return true;
    }

    /** The node's attributes as graph values: Long, Double, String, lists of them; a scalar tensor as a number. */
    private static Map<String, Object> attributes(OnnxProto.NodeProto p) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        for (OnnxProto.Attribute a : p.attributes()) {
            Object v = switch (a.type()) {
                case 1 -> (double) a.f();
                case 2 -> a.i();
                case 3 -> a.s();
                case 6 -> a.floats().stream().map(f -> (Object) (double) f).toList();
                case 7 -> new ArrayList<Object>(a.ints());
                case 8 -> new ArrayList<Object>(a.strings());
                case 4 -> {
                    if (p.opType().equals("Constant")) {
                        yield null;
                    }
                    NdArray t = OnnxTensors.toArray(a.t());
                    if (t.data.length != 1) {
                        throw new OnnxUnsupportedException("attribute " + a.name() + ": a tensor of "
                                + t.data.length + " values is not supported");
                    }
                    m.put(a.name() + "_is_int", t.integer);
                    yield t.data[0];
                }
                default -> {
                    if (p.opType().equals("Constant")) {
                        yield null;
                    }
                    throw new OnnxUnsupportedException("attribute " + a.name() + " of type " + a.type()
                            + " is not supported");
                }
            };
            if (v != null) {
                m.put(a.name(), v);
            }
        }
        return m;
    }
}
