package org.layers4j.graph.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.graph.Node;

/**
 * An op's bound arguments by parameter name, with typed access whose errors name the op, the argument
 * and the value (Python's types: integers are {@link Long}, floats {@link Double}, tuples {@link List}).
 */
public final class Args {
    private final String op;
    private final Map<String, Object> values;

    public Args(String op, Map<String, Object> values) {
        this.op = op;
        this.values = values;
    }

    /** The op's name, for messages. */
    public String op() {
        return op;
    }

    /** The raw value. */
    public Object get(String name) {
        if (!values.containsKey(name)) {
            throw new IllegalStateException(op + " has no parameter '" + name + "'");
        }
        return values.get(name);
    }

    /** Whether the value is a reference not resolved yet (when a graph is checked at load). */
    public boolean isRef(String name) {
        return get(name) instanceof Node.Ref;
    }

    public boolean isNull(String name) {
        return get(name) == null;
    }

    private IllegalArgumentException wrong(String name, String expected) {
        Object v = get(name);
        return new IllegalArgumentException(op + "(): argument '" + name + "' must be " + expected + ", not "
                + Values.describe(v));
    }

    public Tensor tensor(String name) {
        if (get(name) instanceof Tensor t) {
            return t;
        }
        throw wrong(name, "a Tensor");
    }

    /** A tensor or null (None). */
    public Tensor optionalTensor(String name) {
        return isNull(name) ? null : tensor(name);
    }

    public long longValue(String name) {
        if (get(name) instanceof Long l) {
            return l;
        }
        if (get(name) instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw wrong(name, "an int");
    }

    public int integer(String name) {
        long v = longValue(name);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + "(): argument '" + name + "' = " + v + " is out of the 32-bit range");
        }
        return (int) v;
    }

    public Integer optionalInteger(String name) {
        return isNull(name) ? null : integer(name);
    }

    public double number(String name) {
        Object v = get(name);
        if (v instanceof Long || v instanceof Double) {
            return ((Number) v).doubleValue();
        }
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        throw wrong(name, "a number");
    }

    public boolean bool(String name) {
        if (get(name) instanceof Boolean b) {
            return b;
        }
        throw wrong(name, "a bool");
    }

    public String string(String name) {
        if (get(name) instanceof String s) {
            return s;
        }
        throw wrong(name, "a str");
    }

    public String optionalString(String name) {
        return isNull(name) ? null : string(name);
    }

    /** An int, or a list / tuple of ints (PyTorch's {@code _size} arguments). */
    public int[] ints(String name) {
        Object v = get(name);
        if (v instanceof Long) {
            return new int[] {integer(name)};
        }
        if (v instanceof List<?> l) {
            int[] out = new int[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Long x) || x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                    throw wrong(name, "an int or a tuple of ints");
                }
                out[i] = (int) (long) x;
            }
            return out;
        }
        throw wrong(name, "an int or a tuple of ints");
    }

    /** {@link #ints} or null (None). */
    public int[] optionalInts(String name) {
        return isNull(name) ? null : ints(name);
    }

    /** A number, or a list / tuple of numbers, as doubles. */
    public double[] numbers(String name) {
        Object v = get(name);
        if (v instanceof Long || v instanceof Double) {
            return new double[] {((Number) v).doubleValue()};
        }
        if (v instanceof List<?> l) {
            double[] out = new double[l.size()];
            for (int i = 0; i < out.length; i++) {
                if (!(l.get(i) instanceof Long || l.get(i) instanceof Double)) {
                    throw wrong(name, "a float or a tuple of floats");
                }
                out[i] = ((Number) l.get(i)).doubleValue();
            }
            return out;
        }
        throw wrong(name, "a float or a tuple of floats");
    }

    /** A list / tuple of tensors. */
    public List<Tensor> tensors(String name) {
        if (!(get(name) instanceof List<?> l)) {
            throw wrong(name, "a tuple of Tensors");
        }
        List<Tensor> out = new ArrayList<>(l.size());
        for (Object o : l) {
            if (!(o instanceof Tensor t)) {
                throw wrong(name, "a tuple of Tensors");
            }
            out.add(t);
        }
        return out;
    }
}
