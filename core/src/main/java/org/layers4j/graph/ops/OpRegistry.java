package org.layers4j.graph.ops;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The functional ops a graph's {@code call_function} nodes may name, by PyTorch's names
 * ({@code docs/model-format.md} lists them). {@link #standard()} holds every op of this library, grouped
 * by family in {@link PythonOps}, {@link TensorMathOps}, {@link ShapeOps}, {@link ActivationFunctions},
 * {@link PoolingFunctions}, {@link NormalizationFunctions} and {@link ResampleFunctions}; a front end that
 * needs more registers them on a copy.
 */
public final class OpRegistry {
    private static final OpRegistry STANDARD = buildStandard();

    private final Map<String, FunctionalOp> ops = new TreeMap<>();

    /** An empty registry. */
    public OpRegistry() {
    }

    /** Every op of this library (shared; copy it with {@link #copy()} to add ops). */
    public static OpRegistry standard() {
        return STANDARD;
    }

    private static OpRegistry buildStandard() {
        OpRegistry r = new OpRegistry();
        PythonOps.register(r);
        TensorMathOps.register(r);
        ShapeOps.register(r);
        ActivationFunctions.register(r);
        PoolingFunctions.register(r);
        NormalizationFunctions.register(r);
        ResampleFunctions.register(r);
        return r;
    }

    /** A registry holding this one's ops, to register more on. */
    public OpRegistry copy() {
        OpRegistry r = new OpRegistry();
        r.ops.putAll(ops);
        return r;
    }

    /** Adds an op; IllegalArgumentException when the name is taken (this must not be the shared standard one). */
    public OpRegistry register(FunctionalOp op) {
        if (frozen) {
            throw new IllegalStateException("the standard registry is shared; register on OpRegistry.standard().copy()");
        }
        if (ops.putIfAbsent(op.name(), op) != null) {
            throw new IllegalArgumentException("op '" + op.name() + "' is registered twice");
        }
        return this;
    }

    private boolean frozen;

    static {
        STANDARD.frozen = true;
    }

    /** The op of that name; IllegalArgumentException listing the known ops when there is none. */
    public FunctionalOp get(String name) {
        FunctionalOp op = ops.get(name);
        if (op == null) {
            throw new IllegalArgumentException("unknown op '" + name + "'; the supported ops are " + names());
        }
        return op;
    }

    public boolean contains(String name) {
        return ops.containsKey(name);
    }

    /** The op names, sorted. */
    public List<String> names() {
        return List.copyOf(Collections.unmodifiableSet(ops.keySet()));
    }
}
