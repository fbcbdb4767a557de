package org.layers4j.graph.ops;

import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;

/** Helpers for graph values: descriptions for messages, aliases, closing nested values. */
public final class Values {
    private Values() {
    }

    /** A value's Python type and, for tensors, its size: {@code Tensor of size [1, 3]}, {@code int 7}. */
    public static String describe(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof Tensor t) {
            return "Tensor of size " + t.shape().dimsString();
        }
        if (v instanceof Long l) {
            return "int " + l;
        }
        if (v instanceof Double d) {
            return "float " + d;
        }
        if (v instanceof Boolean b) {
            return "bool " + (b ? "True" : "False");
        }
        if (v instanceof String s) {
            return "str '" + s + "'";
        }
        if (v instanceof List<?> l) {
            return "tuple of " + l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return "dict " + m.keySet();
        }
        return v.getClass().getSimpleName();
    }

    /**
     * A new handle on x's memory, recorded on the tape as an identity (gradients pass through): what an op
     * returns when its result is its input (contiguous, an identity, an element of a list).
     */
    public static Tensor alias(Tensor x) {
        return Functional.reshape(x, x.shape());
    }

    /** Closes every tensor inside a value (lists and maps included). */
    public static void close(Object v) {
        if (v instanceof Tensor t) {
            t.close();
        } else if (v instanceof List<?> l) {
            l.forEach(Values::close);
        } else if (v instanceof Map<?, ?> m) {
            m.values().forEach(Values::close);
        }
    }
}
