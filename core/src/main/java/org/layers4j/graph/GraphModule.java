package org.layers4j.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.graph.Node.Dict;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.Node.Ref;
import org.layers4j.graph.ops.Args;
import org.layers4j.graph.ops.FunctionalOp;
import org.layers4j.graph.ops.OpContext;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.ops.Values;
import org.layers4j.graph.passes.FrozenGraph;
import org.layers4j.graph.passes.FrozenState;
import org.layers4j.io.HostTensor;
import org.layers4j.io.LayerSpecs;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * A {@link Graph} as a {@link Module}: the submodules are built from their specs under their qualified
 * names (so {@code stateDict()} is the PyTorch module's), and {@link #forward} runs the nodes in order, as
 * torch.fx's Interpreter does, freeing each intermediate value right after its last use. Every op records
 * on the current {@link Tape}, so training mode, BatchNorm statistics and parameter gradients (also of
 * parameters read by {@code get_attr}) work as for a hand-written model.
 *
 * <p>Everything that can be checked without running is checked when the module is built, before any
 * parameter is allocated: op names and their arguments against the {@link OpRegistry}, module specs,
 * {@code get_attr} targets. Eval-mode forward may run on many threads at once; training draws the
 * dropout / stochastic-depth masks from one seedable generator ({@link #seed}).
 *
 * <p>{@link #compileForInference} makes eval-mode forwards run a compiled graph ({@link CompiledGraph}: BatchNorm
 * folded, convolutions with prepared weights and fused epilogues, no tape); training mode and forwards under a
 * recording tape keep running this graph, as uncompiled.
 */
public final class GraphModule extends Module {
    private final Graph graph;
    private final OpRegistry registry;
    private final Step[] steps;
    private final int inputCount;
    private final Map<String, Parameter> parameterSlots;
    private volatile RandomGenerator random = new SplittableRandom(0);
    private volatile NodeObserver observer;

    /**
     * Sees each node's value right after the node ran, before the interpreter frees anything: a forward
     * hook on every node (PyTorch's {@code register_forward_hook}, for the nodes of a graph). The value
     * belongs to the graph and may be freed once the call returns: copy what you keep (e.g. {@code toArray()}).
     */
    @FunctionalInterface
    public interface NodeObserver {
        /**
         * @param node the node that ran
         * @param module the submodule it called ({@code call_module}), else null
         * @param value its value: a tensor, a tuple / dict of them, or a Python value
         */
        void onValue(Node node, Module module, Object value);
    }
    private volatile CompiledGraph compiled;
    /** Set once on a compiled model ({@link #inferenceOnly}): what it frees on close besides its state. */
    private volatile AutoCloseable inferenceResources;

    /** A resolved argument: the value of node {@code index}. */
    private record Slot(int index) {
    }

    /** A node ready to run: its arguments with references resolved to slots, the values it frees. */
    private record Step(Node node, FunctionalOp op, Module module, List<Object> args, Map<String, Object> kwargs,
                        int[] release) {
    }

    /** Builds a graph model on {@code backend} with the standard ops. */
    public GraphModule(Graph graph, Backend backend) {
        this(graph, backend, OpRegistry.standard());
    }

    /** Builds a graph model whose {@code call_function} nodes use {@code registry}. */
    public GraphModule(Graph graph, Backend backend, OpRegistry registry) {
        this(graph, backend, registry, null);
    }

    /**
     * As {@link #GraphModule(Graph, Backend, OpRegistry)}, each module's parameters and buffers replaced as soon as it
     * is built by {@code values}' tensor for their state_dict name (a tensor this module takes ownership of: a new
     * handle, {@link Tensor#share} of another model's tensor for one it shares; shape and dtype checked), so that
     * building a model from given tensors never holds a second full set of values. {@code values} gives a tensor for
     * every name, or throws.
     */
    GraphModule(Graph graph, Backend backend, OpRegistry registry, java.util.function.Function<String, Tensor> values) {
        super(backend);
        if (graph == null || registry == null) {
            throw new IllegalArgumentException("graph and registry must not be null");
        }
        this.graph = graph;
        this.registry = registry;
        List<Node> nodes = graph.nodes();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i).name(), i);
        }
        FunctionalOp[] ops = new FunctionalOp[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.op() == Opcode.CALL_FUNCTION) {
                ops[i] = checkCall(n);
            }
        }
        Map<String, Module> built = buildTree(graph.modules(), values);
        try {
            Map<String, Tensor> state = stateDict();
            for (Node n : nodes) {
                if (n.op() == Opcode.GET_ATTR && !state.containsKey(n.target())) {
                    throw new IllegalArgumentException("node '" + n.name() + "' reads '" + n.target() + "', which is no"
                            + " parameter or buffer of the model; its state_dict has " + abbreviate(state.keySet()));
                }
            }
            this.parameterSlots = namedParameterObjects();
            int[] lastUse = new int[nodes.size()];
            int inputs = 0;
            for (int i = 0; i < nodes.size(); i++) {
                lastUse[i] = i;
                for (Ref r : nodes.get(i).refs()) {
                    lastUse[index.get(r.name())] = i;
                }
                if (nodes.get(i).op() == Opcode.PLACEHOLDER) {
                    inputs++;
                }
            }
            this.inputCount = inputs;
            List<List<Integer>> release = new ArrayList<>();
            nodes.forEach(n -> release.add(new ArrayList<>()));
            int out = nodes.size() - 1;
            for (int i = 0; i < nodes.size(); i++) {
                // inputs belong to the caller; what the output uses is handed to the caller
                if (nodes.get(i).op() != Opcode.PLACEHOLDER && lastUse[i] != out) {
                    release.get(lastUse[i]).add(i);
                }
            }
            this.steps = new Step[nodes.size()];
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                List<Object> args = new ArrayList<>();
                n.args().forEach(a -> args.add(slots(a, index)));
                Map<String, Object> kwargs = new LinkedHashMap<>();
                n.kwargs().forEach((k, v) -> kwargs.put(k, slots(v, index)));
                steps[i] = new Step(n, ops[i], n.op() == Opcode.CALL_MODULE ? built.get(n.target()) : null, args, kwargs,
                        release.get(i).stream().mapToInt(Integer::intValue).toArray());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private FunctionalOp checkCall(Node n) {
        try {
            FunctionalOp op = registry.get(n.target());
            op.check(new Args(op.name(), op.signature().bind(op.name(), n.args(), n.kwargs())));
            return op;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node '" + n.name() + "' (call_function " + n.target() + "): "
                    + e.getMessage(), e);
        }
    }

    private static String abbreviate(java.util.Collection<String> names) {
        List<String> l = new ArrayList<>(names);
        return l.size() <= 12 ? l.toString() : l.subList(0, 12) + " ... (" + l.size() + " in all)";
    }

    // ---- the module tree ----------------------------------------------------------------------

    /** Builds containers and leaves in the listed order; returns every module by qualified name. */
    private Map<String, Module> buildTree(Map<String, Map<String, Object>> specs,
                                          java.util.function.Function<String, Tensor> state) {
        Map<String, Module> byName = new HashMap<>();
        try {
            for (Map.Entry<String, Map<String, Object>> e : specs.entrySet()) {
                String name = e.getKey();
                if (byName.containsKey(name)) {
                    throw new IllegalArgumentException("module '" + name + "' is defined after a module inside it; list"
                            + " modules in named_modules() order (a module before its children)");
                }
                int dot = name.lastIndexOf('.');
                Module parent = dot < 0 ? this : container(name.substring(0, dot), byName);
                String attr = name.substring(dot + 1);
                Module m;
                if (Graph.CONTAINER.equals(e.getValue().get("op"))) {
                    GraphContainer c = new GraphContainer(name, backend());
                    try {
                        addState(c, name, e.getValue());
                    } catch (RuntimeException ex) {
                        c.close();
                        throw ex;
                    }
                    m = c;
                } else {
                    try {
                        m = LayerSpecs.build(e.getValue(), backend());
                    } catch (IllegalArgumentException ex) {
                        throw new IllegalArgumentException("module '" + name + "': " + ex.getMessage(), ex);
                    }
                }
                attach(parent, attr, m);
                byName.put(name, m);
                if (state != null) {
                    adopt(name, m, state);
                }
            }
            return byName;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Replaces the state module {@code m} (just built, no children attached yet) holds by {@code state}'s. */
    private void adopt(String name, Module m, java.util.function.Function<String, Tensor> state) {
        for (Map.Entry<String, Parameter> e : m.namedStateObjects().entrySet()) {
            String key = name + "." + e.getKey();
            Tensor old = e.getValue().data();
            Tensor t = state.apply(key);
            if (t == null) {
                throw new IllegalArgumentException("no value for " + key);
            }
            if (!t.shape().equals(old.shape()) || t.dtype() != old.dtype()) {
                String got = t.dtype().torchName() + t.shape().dimsString();
                t.close();
                throw new IllegalArgumentException(key + " must be a " + old.dtype().torchName()
                        + old.shape().dimsString() + " tensor, but got " + got);
            }
            replace(e.getValue(), t);
        }
    }

    private Module container(String name, Map<String, Module> byName) {
        Module m = byName.get(name);
        if (m == null) {
            int dot = name.lastIndexOf('.');
            Module parent = dot < 0 ? this : container(name.substring(0, dot), byName);
            m = new GraphContainer(name, backend());
            attach(parent, name.substring(dot + 1), m);
            byName.put(name, m);
        } else if (!(m instanceof GraphContainer)) {
            throw new IllegalArgumentException("module '" + name + "' is a layer (" + m.getClass().getSimpleName()
                    + "), so it cannot hold other modules");
        }
        return m;
    }

    private void attach(Module parent, String attr, Module child) {
        try {
            if (parent == this) {
                registerModule(attr, child);
            } else {
                ((GraphContainer) parent).addModule(attr, child);
            }
        } catch (RuntimeException e) {
            child.close();
            throw e;
        }
    }

    /** A container's own parameters and buffers: {@code {"parameters": {name: shape}, "buffers": {...}}}. */
    private void addState(GraphContainer c, String name, Map<String, Object> spec) {
        for (String key : spec.keySet()) {
            if (!List.of("op", "parameters", "buffers").contains(key)) {
                throw new IllegalArgumentException("module '" + name + "': unknown key '" + key + "' in a container"
                        + " (known: op, parameters, buffers)");
            }
        }
        for (String kind : List.of("parameters", "buffers")) {
            Object v = spec.get(kind);
            if (v == null) {
                continue;
            }
            if (!(v instanceof Map<?, ?> entries)) {
                throw new IllegalArgumentException("module '" + name + "': '" + kind + "' must be a JSON object");
            }
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                String attr = (String) e.getKey();
                TensorSpec ts = TensorSpec.parse(name + "." + attr, e.getValue());
                Tensor t = backend().allocate(ts.shape(), ts.dtype());
                if (kind.equals("parameters")) {
                    if (ts.dtype() != DType.FLOAT32) {
                        t.close();
                        throw new IllegalArgumentException("parameter '" + name + "." + attr + "' must be float32");
                    }
                    c.addParameter(attr, t);
                } else {
                    c.addBuffer(attr, t);
                }
            }
        }
    }

    private static Object slots(Object v, Map<String, Integer> index) {
        if (v instanceof Ref r) {
            return new Slot(index.get(r.name()));
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(slots(x, index)));
            return Collections.unmodifiableList(out);
        }
        if (v instanceof Dict d) {
            Map<String, Object> out = new LinkedHashMap<>();
            d.entries().forEach((k, x) -> out.put(k, slots(x, index)));
            return new Dict(out);
        }
        return v;
    }

    // ---- running ------------------------------------------------------------------------------

    /** The registry of this graph's call_function nodes. */
    OpRegistry registry() {
        return registry;
    }

    /**
     * Makes eval-mode forwards without a recording {@link Tape} run this model compiled for inference: BatchNorm
     * folded into the layer before it, every convolution on weights prepared once with its residual add and
     * activation fused, no tape bookkeeping (see {@link org.layers4j.graph.passes}). The compiled model is built at
     * the first such forward and again whenever a parameter or buffer changed; its outputs equal this graph's up to
     * the rounding BatchNorm folding changes. Training mode (of the model or of any module in it), and any forward
     * while a tape records (gradients), run the uncompiled graph on this model's own parameters, so {@code train()}
     * needs no step of its own and {@code eval()} compiles again. Models.load calls this unless
     * {@code layers4j.optimize} is false. Returns this.
     */
    public GraphModule compileForInference() {
        requireOpen("GraphModule");
        if (compiled == null && !isInferenceOnly()) { // an inference-only model is compiled already
            compiled = new CompiledGraph(this);
        }
        return this;
    }

    /**
     * A new model of its own: this one compiled for inference from its current state, as {@link #compileForInference}
     * would run it, and {@linkplain #isInferenceOnly inference-only} (PyTorch's {@code torch.jit.freeze} of an eval
     * model, ONNX Runtime's optimized session). It holds its own handles on the tensors no pass changed and new
     * ones for the folded weights, so closing this model afterwards frees everything else: a service that only
     * scores keeps each weight once. The caller owns it (close it).
     */
    public GraphModule freeze() {
        requireOpen("GraphModule");
        return CompiledGraph.compile(new FrozenGraph(graph, FrozenState.of(stateDict()), registry), backend());
    }

    /**
     * {@code graph} with the standard ops compiled for inference over {@code state} (every parameter and buffer by
     * state_dict name, float32 or int64, shapes as the modules declare them), as {@link #freeze} makes it, without
     * building the uncompiled model: the caller gives the host tensors up (it must neither read nor write their
     * arrays afterwards), so BatchNorm folds into the weights' own arrays and a host-memory backend keeps them
     * without copying. What Models.loadForInference runs.
     */
    public static GraphModule frozen(Graph graph, Backend backend, Map<String, HostTensor> state) {
        if (graph == null || backend == null || state == null) {
            throw new IllegalArgumentException("graph, backend and state must not be null");
        }
        return CompiledGraph.compile(new FrozenGraph(graph, FrozenState.owning(state), OpRegistry.standard()), backend);
    }

    /** Marks this (compiled) model inference-only; {@code resources} are freed with it. */
    void inferenceOnly(AutoCloseable resources) {
        this.inferenceResources = java.util.Objects.requireNonNull(resources, "resources");
    }

    /**
     * Whether this is a model compiled for inference ({@link #freeze}, Models.loadForInference, or the compiled
     * model of {@link #compileForInference}): it runs eval-mode forwards only; {@code train()} and a forward while a
     * tape records throw, since its BatchNorms are folded away.
     */
    public boolean isInferenceOnly() {
        return inferenceResources != null;
    }

    /** Refuses training mode on an {@linkplain #isInferenceOnly inference-only} model. */
    @Override
    public Module train(boolean mode) {
        if (mode && isInferenceOnly()) {
            throw new IllegalStateException("this model was compiled for inference only (BatchNorm folded into the"
                    + " layers before it): it has no training mode; load or build the model itself to train it");
        }
        return super.train(mode);
    }

    /** Frees the parameters and buffers, and the compiled model's. */
    @Override
    public void close() {
        CompiledGraph c = compiled;
        if (c != null) {
            c.close();
        }
        AutoCloseable r = inferenceResources;
        try {
            if (r != null && !isClosed()) {
                r.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("freeing the compiled model's prepared weights failed", e);
        } finally {
            super.close();
        }
    }

    /** Whether {@link #compileForInference} was called. */
    public boolean isCompiledForInference() {
        return compiled != null;
    }

    /**
     * The graph eval-mode forwards run: the compiled graph (built now if needed) after {@link #compileForInference},
     * else {@link #graph()}.
     */
    public Graph inferenceGraph() {
        CompiledGraph c = compiled;
        return c == null ? graph : c.graph();
    }

    /**
     * The module eval-mode forwards run: the compiled module (built now if needed) after {@link #compileForInference},
     * else (or when compiling failed) this one. Its graph is {@link #inferenceGraph()}; observing it
     * ({@link #observe}) sees the nodes an inference forward runs, as a profiler wants.
     */
    public GraphModule inferenceModule() {
        CompiledGraph c = compiled;
        GraphModule m = c == null ? null : c.module();
        return m == null ? this : m;
    }

    /** The graph this module runs. */
    public Graph graph() {
        return graph;
    }

    /** The number of inputs ({@code placeholder} nodes). */
    public int inputCount() {
        return inputCount;
    }

    /** Seeds the generator of training-mode dropout and stochastic depth. */
    public GraphModule seed(long seed) {
        this.random = new SplittableRandom(seed);
        return this;
    }

    /**
     * Sets the observer every later forward calls for each node ({@code null}: none); returns this. One
     * observer per module: it sees the forwards of every thread, and while it is set forwards run this graph
     * uncompiled (its own nodes), also after {@link #compileForInference}.
     */
    public GraphModule observe(NodeObserver nodeObserver) {
        this.observer = nodeObserver;
        return this;
    }

    /**
     * The model's output for one input. When the graph returns several values (a tuple, a dict such as a
     * segmentation model's {@code {"out": ..., "aux": ...}}) this is the first tensor, the others are freed;
     * {@link #forwardNamed} returns them all.
     */
    @Override
    public Tensor forward(Tensor input) {
        Map<String, Tensor> all = forwardNamed(input);
        Tensor first = null;
        for (Tensor t : all.values()) {
            if (first == null) {
                first = t;
            } else {
                t.close();
            }
        }
        if (first == null) {
            throw new IllegalStateException("the graph's output holds no tensor");
        }
        return first;
    }

    /**
     * Every output tensor by name: {@code output} for a single tensor, the dict's keys for a dict (None
     * entries left out), {@code 0}, {@code 1}, ... for a tuple ({@code 0.1} nested). The caller owns them.
     */
    public Map<String, Tensor> forwardNamed(Tensor... inputs) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Object result = run(inputs);
        try {
            flatten("", result, out);
        } catch (RuntimeException e) {
            Values.close(result);
            throw e;
        }
        return out;
    }

    private static void flatten(String prefix, Object v, Map<String, Tensor> out) {
        if (v instanceof Tensor t) {
            out.put(prefix.isEmpty() ? "output" : prefix, t);
        } else if (v instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                flatten(prefix.isEmpty() ? Integer.toString(i) : prefix + "." + i, l.get(i), out);
            }
        } else if (v instanceof Map<?, ?> m) {
            m.forEach((k, x) -> flatten(prefix.isEmpty() ? (String) k : prefix + "." + k, x, out));
        } else if (v != null) {
            throw new IllegalArgumentException("the graph's output '" + (prefix.isEmpty() ? "output" : prefix) + "' is "
                    + Values.describe(v) + ", not a tensor (run(...) returns the output as the graph builds it)");
        }
    }

    /**
     * Runs the graph on its inputs and returns the output value as the graph builds it: a {@link Tensor},
     * a {@link List} (tuple) or a {@link Map} (dict), holding tensors the caller owns.
     */
    public Object run(Tensor... inputs) {
        requireOpen("GraphModule");
        if (isInferenceOnly()) {
            requireInference();
        }
        CompiledGraph c = compiled;
        if (c != null && observer == null && !Tape.isRecording() && c.applies()) { // an observer sees this graph's nodes
            GraphModule m = c.module();
            if (m != null) {
                try {
                    return m.run(inputs);
                } catch (IllegalArgumentException | UnsupportedOperationException e) {
                    // bad inputs: this model's own graph says what is wrong, naming its own nodes; if it runs, the
                    // compiled graph refused what the model accepts: no silent fallback to the uncompiled result
                    Values.close(runOwnGraph(inputs));
                    throw new IllegalStateException("the graph compiled for inference failed on an input this model's"
                            + " own graph accepts (a compilation bug; -Dlayers4j.optimize=false runs it uncompiled): "
                            + e.getMessage(), e);
                }
            }
        }
        return runOwnGraph(inputs);
    }

    /** Refuses a forward of an inference-only model that would need training mode or gradients. */
    private void requireInference() {
        if (Tape.isRecording()) {
            throw new IllegalStateException("this model was compiled for inference only: it records no gradients"
                    + " (run it outside Tape.record, or load the model itself to train it)");
        }
        requireEval("", this);
    }

    private static void requireEval(String prefix, Module parent) {
        parent.children().forEach((name, m) -> {
            if (m.isTraining()) {
                throw new IllegalStateException("module '" + prefix + name + "' of a model compiled for inference only"
                        + " is in training mode (train() on it): call eval() on it");
            }
            requireEval(prefix + name + ".", m);
        });
    }

    /** {@link #run} on this model's own (uncompiled) graph. */
    private Object runOwnGraph(Tensor... inputs) {
        if (inputs == null || inputs.length != inputCount) {
            throw new IllegalArgumentException("the graph takes " + inputCount + " input(s) "
                    + graph.inputs().stream().map(Node::target).toList() + ", but got "
                    + (inputs == null ? 0 : inputs.length));
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) {
                throw new IllegalArgumentException("GraphModule: input " + i + " must not be null");
            }
            requireOnBackend("GraphModule: input '" + graph.inputs().get(i).target() + "'", inputs[i], backend());
        }
        OpContext context = new OpContext(backend(), isTraining(), random);
        NodeObserver watch = observer;
        Object[] values = new Object[steps.length];
        boolean[] isInput = new boolean[steps.length];
        int nextInput = 0;
        int i = 0;
        try {
            for (; i < steps.length - 1; i++) {
                Step s = steps[i];
                Node n = s.node();
                values[i] = switch (n.op()) {
                    case PLACEHOLDER -> {
                        isInput[i] = true;
                        yield inputs[nextInput++];
                    }
                    case GET_ATTR -> attribute(n.target());
                    case CALL_MODULE -> callModule(s, values);
                    case CALL_FUNCTION -> callFunction(s, values, context);
                    case OUTPUT -> throw new IllegalStateException("output before the end");
                };
                if (watch != null) {
                    watch.onValue(n, s.module(), values[i]);
                }
                for (int r : s.release()) {
                    Values.close(values[r]);
                    values[r] = null;
                }
            }
            return output(resolve(steps[i].args().get(0), values), isInputTensors(values, isInput));
        } catch (RuntimeException e) {
            for (int k = 0; k < values.length; k++) {
                if (!isInput[k]) {
                    Values.close(values[k]);
                }
            }
            throw located(e, steps[Math.min(i, steps.length - 1)].node());
        }
    }

    private static Map<Tensor, Boolean> isInputTensors(Object[] values, boolean[] isInput) {
        Map<Tensor, Boolean> m = new IdentityHashMap<>();
        for (int k = 0; k < values.length; k++) {
            if (isInput[k] && values[k] instanceof Tensor t) {
                m.put(t, Boolean.TRUE);
            }
        }
        return m;
    }

    /** The output value with each tensor a handle of its own (an input or a repeated tensor gets an alias). */
    private static Object output(Object v, Map<Tensor, Boolean> seen) {
        if (v instanceof Tensor t) {
            if (seen.put(t, Boolean.TRUE) != null) {
                return Values.alias(t);
            }
            return t;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(output(x, seen)));
            return out;
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put((String) k, output(x, seen)));
            return out;
        }
        return v;
    }

    private static RuntimeException located(RuntimeException e, Node n) {
        String where = "node '" + n.name() + "' (" + n.op().json() + " " + n.target() + "): ";
        if (e.getMessage() != null && e.getMessage().startsWith("node '")) {
            return e;
        }
        if (e instanceof IllegalArgumentException) {
            return new IllegalArgumentException(where + e.getMessage(), e);
        }
        if (e instanceof UnsupportedOperationException) {
            return new UnsupportedOperationException(where + e.getMessage(), e);
        }
        return e;
    }

    private Object attribute(String target) {
        Parameter p = parameterSlots.get(target);
        if (p == null) {
            return get(target).share(); // a buffer: no gradient
        }
        Tensor view = p.data().share();
        return Tape.record("get_attr", view, new Tensor[0], new Parameter[] {p}, new Tensor[0],
                (dy, saved) -> new Tensor[] {dy.share()});
    }

    private Tensor callModule(Step s, Object[] values) {
        Object in = resolve(s.args().get(0), values);
        if (!(in instanceof Tensor t)) {
            throw new IllegalArgumentException("module '" + s.node().target() + "' takes a tensor, got "
                    + Values.describe(in));
        }
        Tensor y = s.module().forward(t);
        return y == t ? Values.alias(t) : y;
    }

    private Object callFunction(Step s, Object[] values, OpContext context) {
        List<Object> args = new ArrayList<>(s.args().size());
        s.args().forEach(a -> args.add(resolve(a, values)));
        Map<String, Object> kwargs = new LinkedHashMap<>();
        s.kwargs().forEach((k, v) -> kwargs.put(k, resolve(v, values)));
        FunctionalOp op = s.op();
        Object result = op.apply(new Args(op.name(), op.signature().bind(op.name(), args, kwargs)), context);
        Map<Tensor, Boolean> argTensors = new IdentityHashMap<>();
        collectTensors(args, argTensors);
        collectTensors(kwargs.values(), argTensors);
        return owned(result, argTensors);
    }

    /** Replaces any tensor of the result that is an argument's own object by an alias (the graph frees both). */
    private static Object owned(Object v, Map<Tensor, Boolean> argTensors) {
        if (v instanceof Tensor t) {
            return argTensors.containsKey(t) ? Values.alias(t) : t;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(owned(x, argTensors)));
            return out;
        }
        return v;
    }

    private static void collectTensors(Iterable<?> vs, Map<Tensor, Boolean> out) {
        for (Object v : vs) {
            if (v instanceof Tensor t) {
                out.put(t, Boolean.TRUE);
            } else if (v instanceof List<?> l) {
                collectTensors(l, out);
            }
        }
    }

    private static Object resolve(Object v, Object[] values) {
        if (v instanceof Slot s) {
            return values[s.index()];
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            l.forEach(x -> out.add(resolve(x, values)));
            return out;
        }
        if (v instanceof Dict d) {
            Map<String, Object> out = new LinkedHashMap<>();
            d.entries().forEach((k, x) -> out.put(k, resolve(x, values)));
            return out;
        }
        return v;
    }

    /** A container parameter's declared shape and dtype. */
    record TensorSpec(Shape shape, DType dtype) {
        static TensorSpec parse(String name, Object v) {
            Object dims = v;
            DType dtype = DType.FLOAT32;
            if (v instanceof Map<?, ?> m) {
                dims = m.get("shape");
                Object dt = m.get("dtype");
                if (dt != null) {
                    if ("int64".equals(dt)) {
                        dtype = DType.INT64;
                    } else if (!"float32".equals(dt)) {
                        throw new IllegalArgumentException("'" + name + "': dtype must be float32 or int64, got " + dt);
                    }
                }
            }
            if (!(dims instanceof List<?> l)) {
                throw new IllegalArgumentException("'" + name + "': the shape must be a list of sizes, got " + dims);
            }
            int[] d = new int[l.size()];
            for (int i = 0; i < d.length; i++) {
                if (!(l.get(i) instanceof Long x) || x < 0 || x > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("'" + name + "': sizes must be integers in [0, 2^31-1], got " + l);
                }
                d[i] = (int) (long) x;
            }
            long count = Shape.elementCount(d);
            if (count > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("'" + name + "': " + l + " holds " + count + " elements, more than"
                        + " a tensor can (2^31-1)");
            }
            return new TensorSpec(Shape.of(d), dtype);
        }
    }
}
