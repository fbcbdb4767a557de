package org.layers4j.nn;

import java.lang.ref.Reference;
import java.util.function.Consumer;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/** Argument checks every layer shares, with messages that name the value and the rule. */
final class Layers {
    private Layers() {
    }

    /**
     * A new tensor of {@code shape} that {@code op} fills on the backend, freed again if op fails. The
     * inputs stay reachable until op returns: backends work on the memory, not on the Tensor objects,
     * and an unreachable tensor's memory may be released by its Cleaner.
     */
    static Tensor compute(Backend backend, Shape shape, Consumer<Tensor> op, Tensor... inputs) {
        Tensor out = backend.allocate(shape);
        try {
            op.accept(out);
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        } finally {
            Reference.reachabilityFence(inputs);
            Reference.reachabilityFence(out);
        }
    }

    static Backend requireBackend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        return backend;
    }

    /** The input's shape, after checking it is open and on the layer's backend. */
    static Shape requireInput(String op, Tensor input, Backend backend) {
        if (input == null) {
            throw new IllegalArgumentException(op + ": input must not be null");
        }
        requireOnBackend("input", input, backend);
        return input.shape();
    }

    static void requireGradOutput(Tensor gradOutput, Shape expected, Backend backend) {
        if (gradOutput == null) {
            throw new IllegalArgumentException("grad_output must not be null");
        }
        requireOnBackend("grad_output", gradOutput, backend);
        if (!gradOutput.shape().equals(expected)) {
            throw new IllegalArgumentException("grad_output must have the output's shape " + expected.dimsString()
                    + ", but got " + gradOutput.shape().dimsString());
        }
    }

    private static void requireOnBackend(String what, Tensor t, Backend backend) {
        if (t.isClosed()) {
            throw new IllegalArgumentException(what + " " + t.shape().dimsString() + " is closed");
        }
        if (t.backend() != backend) {
            throw new IllegalArgumentException(what + " is on backend " + t.backend().name()
                    + ", but the layer is on " + backend.name() + "; move one of them with to(backend) or upload()");
        }
    }

    static Tensor requireTensor(String name, Tensor values, Shape expected) {
        if (values == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!values.shape().equals(expected)) {
            throw new IllegalArgumentException(name + " must have shape " + expected.dimsString() + ", but got "
                    + values.shape().dimsString());
        }
        return values;
    }

    static void requireLength(String name, float[] values, Shape expected) {
        if (values.length != expected.size()) {
            throw new IllegalArgumentException(name + " must have shape " + expected.dimsString() + " ("
                    + expected.size() + " values), but got " + values.length + " values");
        }
    }
}
