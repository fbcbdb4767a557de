package org.layers4j.graph.ops;

/**
 * One op of the {@link OpRegistry}: a name, a {@link Signature} with PyTorch's argument names and defaults,
 * and the computation. {@link #apply} returns values it owns (new tensor handles, never an argument's
 * own tensor object: the graph closes each value after its last use) and records on the current tape.
 */
public interface FunctionalOp {
    /** The registry name ({@code add}, {@code cat}, ...). */
    String name();

    Signature signature();

    /** Computes the op on bound arguments. */
    Object apply(Args args, OpContext context);

    /**
     * Checks constant arguments when a graph is loaded (references are not known yet: {@link Args#isRef}).
     * The default checks nothing beyond the binding.
     */
    default void check(Args args) {
    }

    /** An op from a name, a signature and a computation. */
    static FunctionalOp of(String name, Signature signature, Computation fn) {
        return new FunctionalOp() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Signature signature() {
                return signature;
            }

            @Override
            public Object apply(Args args, OpContext context) {
                return fn.apply(args, context);
            }
        };
    }

    /** The computation part of an op. */
    @FunctionalInterface
    interface Computation {
        Object apply(Args args, OpContext context);
    }
}
