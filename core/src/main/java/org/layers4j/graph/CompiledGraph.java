package org.layers4j.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.graph.Node.Opcode;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.passes.BatchNormFolding;
import org.layers4j.graph.passes.ChannelScaleFusion;
import org.layers4j.graph.passes.ConvEpilogueFusion;
import org.layers4j.graph.passes.DeadCodeElimination;
import org.layers4j.graph.passes.EvalIdentityElimination;
import org.layers4j.graph.passes.FrozenGraph;
import org.layers4j.graph.passes.FrozenState;
import org.layers4j.graph.passes.FusedConv;
import org.layers4j.graph.passes.GraphPass;
import org.layers4j.io.HostTensor;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.conv.Convolution;
import org.layers4j.nn.conv.PreparedConvolution;
import org.layers4j.spi.Backend;

/**
 * The eval-mode compilation of a {@link GraphModule} ({@link GraphModule#compileForInference}): the model's graph
 * and its state run through the {@link #PASSES} (BatchNorm folding, convolution epilogue fusion, the
 * squeeze-excitation multiply folded into the convolution that reads it, dead-code elimination), built as a second
 * GraphModule whose convolutions run on weights prepared once ({@link PreparedConvolution}), sharing the source's
 * tensors that no pass changed. It is built at the first eval-mode forward, and built again when any parameter
 * or buffer of the model changed since ({@link Parameter#version()}: an optimizer step, a state_dict load, a
 * training forward's BatchNorm statistics, a move to another backend). If building fails, a WARN says why and the
 * model runs uncompiled.
 */
final class CompiledGraph implements AutoCloseable {
    /** The passes, in order. */
    static final List<GraphPass> PASSES = List.of(new EvalIdentityElimination(), new BatchNormFolding(), new ConvEpilogueFusion(),
            new ChannelScaleFusion(), new DeadCodeElimination());
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CompiledGraph.class);

    /** One build: the compiled module (it frees its prepared convolutions), and the source's state it was built from. */
    private record Built(GraphModule module, Backend backend, long version) {
        void close() {
            module.close();
        }
    }

    private final GraphModule source;
    private final List<Parameter> state;
    private final List<Module> modules;
    private volatile Built built;
    private volatile boolean failed;

    CompiledGraph(GraphModule source) {
        this.source = source;
        this.state = new ArrayList<>(source.namedStateObjects().values());
        this.modules = new ArrayList<>(leaves(source).values());
        this.modules.add(source);
    }

    /**
     * Whether the compiled graph computes what the source would now: every module of it in eval mode (a BatchNorm
     * set to train() on its own uses batch statistics, which folding cannot).
     */
    boolean applies() {
        for (Module m : modules) {
            if (m.isTraining()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The compiled module for the source's current state, built now if needed; null when building failed. Concurrent
     * eval forwards (Spark's task threads) take no lock unless the state changed.
     */
    GraphModule module() {
        Built b = built;
        if (b != null && b.version == version() && b.backend == source.backend()) {
            return b.module;
        }
        return rebuilt();
    }

    private synchronized GraphModule rebuilt() {
        if (failed) {
            return null;
        }
        long version = version();
        if (built != null && built.version == version && built.backend == source.backend()) {
            return built.module;
        }
        Built old = built;
        built = null;
        if (old != null) {
            old.close();
        }
        try {
            built = build(version);
            return built.module;
        } catch (RuntimeException e) {
            failed = true;
            LOG.warn("compiling the graph model for inference failed; it runs uncompiled (-Dlayers4j.optimize=false"
                    + " turns compilation off): {}", e.toString());
            return null;
        }
    }

    /** The compiled graph for the source's current state (built now if needed), or the source's graph if it failed. */
    Graph graph() {
        GraphModule m = module();
        return m == null ? source.graph() : m.graph();
    }

    private long version() {
        long v = 0;
        for (Parameter p : state) {
            v += p.version();
        }
        return v;
    }

    /**
     * Runs the passes over the source's graph and state (read to the host only where a pass reads it: BatchNorm
     * statistics, the weights they fold) and builds the result (see {@link #compile}).
     */
    private Built build(long version) {
        FrozenGraph g = new FrozenGraph(source.graph(), FrozenState.of(source.stateDict()), source.registry());
        return new Built(compile(g, source.backend()), source.backend(), version);
    }

    /**
     * The passes run over {@code g}, built as an {@linkplain GraphModule#isInferenceOnly inference-only} module on
     * {@code be} in eval mode whose convolutions run on prepared weights. Its tensors: a model tensor no pass
     * changed is shared (a new handle, not a copy); a value the state owns ({@link FrozenState#owning}, or a pass's
     * result) is adopted ({@link Backend#adopt}: no copy on the CPU), anything else is copied once.
     */
    static GraphModule compile(FrozenGraph g, Backend be) {
        int before = g.graph().nodes().size();
        for (GraphPass p : PASSES) {
            g = p.apply(g);
        }
        Map<String, PreparedConvolution> convs = new HashMap<>();
        OpRegistry registry = g.registry().copy().register(FusedConv.op(convs::get, g.registry()));
        Graph graph = g.graph();
        int after = graph.nodes().size();
        // each value is taken out of the state as it is built, so that no weight is held twice while building
        FrozenState state = FrozenState.copyOf(g.state());
        Set<String> names = new HashSet<>(state.keySet());
        g = null;
        GraphModule m;
        try (Init.Skip noInit = Init.skip()) {
            m = new GraphModule(graph, be, registry, name -> value(be, state, name));
        }
        try {
            if (!m.namedStateObjects().keySet().equals(names)) {
                throw new IllegalStateException("the compiled model's state " + m.namedStateObjects().keySet()
                        + " is not the passes' " + names);
            }
            m.eval();
            Map<String, Module> leaves = leaves(m);
            for (Node n : graph.nodes()) {
                if (n.op() == Opcode.CALL_FUNCTION && n.target().equals(FusedConv.OP)) {
                    String layer = (String) n.args().get(1);
                    if (!convs.containsKey(layer)) {
                        convs.put(layer, PreparedConvolution.owning((Convolution) leaves.get(layer)));
                    }
                }
            }
        } catch (RuntimeException e) {
            convs.values().forEach(PreparedConvolution::close);
            m.close();
            throw e;
        }
        m.inferenceOnly(() -> convs.values().forEach(PreparedConvolution::close));
        LOG.debug("compiled graph for inference: {} nodes -> {}, {} prepared convolutions", before, after,
                convs.size());
        return m;
    }

    /**
     * A new handle on the source's tensor {@code name} when no pass changed it, else the value taken from the state
     * and adopted by the backend; removed from {@code state} (a mutable copy) either way.
     */
    private static Tensor value(Backend be, FrozenState state, String name) {
        Tensor t = state.source(name);
        if (t != null) {
            state.remove(name);
            return t.share();
        }
        HostTensor h = state.take(name);
        if (h == null) {
            throw new IllegalStateException("the passes left no value for " + name);
        }
        return h.dtype() == DType.INT64 ? be.upload(h.longs(), h.shape()) : be.adopt(h.data(), h.shape());
    }

    /** Every module of m by qualified name. */
    private static Map<String, Module> leaves(Module m) {
        Map<String, Module> out = new HashMap<>();
        collect("", m, out);
        return out;
    }

    private static void collect(String prefix, Module m, Map<String, Module> out) {
        m.children().forEach((k, c) -> {
            out.put(prefix + k, c);
            collect(prefix + k + ".", c, out);
        });
    }

    @Override
    public synchronized void close() {
        if (built != null) {
            built.close();
            built = null;
        }
    }
}
