package org.layers4j.graph.ops;

import java.util.ArrayList;
import java.util.List;
import org.layers4j.Tensor;
import org.layers4j.graph.Node;

/**
 * Python's part of a traced graph: shape arithmetic on integers ({@code x.shape}, {@code x.size(1)},
 * indexing a tuple, {@code //}, {@code ==}) and indexing the list an op such as {@code chunk} returned.
 * Arithmetic between numbers ({@code c // groups}, {@code b * 2}) is in {@link TensorMathOps}' binary ops,
 * which compute on Python numbers as Python does.
 */
final class PythonOps {
    private PythonOps() {
    }

    static void register(OpRegistry r) {
        r.register(FunctionalOp.of("getattr", Signature.of("input", "name"), (a, c) -> {
            String name = a.string("name");
            if (!name.equals("shape")) {
                throw new IllegalArgumentException("getattr(): only the attribute 'shape' is supported, got '" + name + "'");
            }
            return shape(a.tensor("input"));
        }));
        r.register(FunctionalOp.of("size", Signature.of("input", "dim=None"), (a, c) -> {
            Tensor x = a.tensor("input");
            if (a.isNull("dim")) {
                return shape(x);
            }
            int rank = x.shape().rank();
            return (long) x.shape().dim(org.layers4j.nn.Functional.checkDim("size", a.integer("dim"), rank));
        }));
        r.register(FunctionalOp.of("dim", Signature.of("input"), (a, c) -> (long) a.tensor("input").shape().rank()));
        r.register(FunctionalOp.of("getitem", Signature.of("input", "index"), PythonOps::getitem));
        r.register(FunctionalOp.of("floordiv", Signature.of("input", "other"), (a, c) -> {
            Object x = a.get("input");
            Object y = a.get("other");
            if (x instanceof Long l && y instanceof Long m) {
                if (m == 0) {
                    throw new IllegalArgumentException("floordiv(): integer division or modulo by zero");
                }
                return Math.floorDiv(l, m);
            }
            if (x instanceof Number && y instanceof Number) {
                return Math.floor(a.number("input") / a.number("other"));
            }
            throw new IllegalArgumentException("floordiv(): supported on numbers only, got " + Values.describe(x) + " // "
                    + Values.describe(y));
        }));
        r.register(FunctionalOp.of("eq", Signature.of("input", "other"), (a, c) -> {
            Object x = a.get("input");
            Object y = a.get("other");
            if (x instanceof Tensor || y instanceof Tensor) {
                throw new IllegalArgumentException("eq(): element-wise comparison of tensors is not supported");
            }
            if (x instanceof Number && y instanceof Number) {
                return a.number("input") == a.number("other");
            }
            return java.util.Objects.equals(x, y);
        }));
    }

    /** x.shape as a tuple of Python ints. */
    static List<Object> shape(Tensor x) {
        List<Object> s = new ArrayList<>();
        for (int d : x.shape().dims()) {
            s.add((long) d);
        }
        return s;
    }

    private static Object getitem(Args a, OpContext c) {
        Object seq = a.get("input");
        Object index = a.get("index");
        if (seq instanceof Tensor t) {
            return ShapeOps.index(t, index);
        }
        if (!(seq instanceof List<?> list)) {
            throw new IllegalArgumentException("getitem(): cannot index " + Values.describe(seq));
        }
        if (index instanceof Long i) {
            long k = i < 0 ? i + list.size() : i;
            if (k < 0 || k >= list.size()) {
                throw new IllegalArgumentException("getitem(): tuple index " + i + " out of range for a tuple of "
                        + list.size());
            }
            return copyOf(list.get((int) k));
        }
        if (index instanceof Node.Slice s) {
            int[] r = sliceRange(s, list.size());
            List<Object> out = new ArrayList<>();
            for (int k = r[0]; r[2] > 0 ? k < r[1] : k > r[1]; k += r[2]) {
                out.add(copyOf(list.get(k)));
            }
            return out;
        }
        throw new IllegalArgumentException("getitem(): a tuple index must be an int or a slice, not "
                + Values.describe(index));
    }

    /** An element taken out of a list as a value of its own (tensors get a new, recorded handle). */
    private static Object copyOf(Object v) {
        if (v instanceof Tensor t) {
            return Values.alias(t);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(e -> out.add(copyOf(e)));
            return out;
        }
        return v;
    }

    /** Python's slice.indices(length): start, stop, step. */
    static int[] sliceRange(Node.Slice s, int length) {
        long step = s.step() == null ? 1 : s.step();
        if (step == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        long start;
        long stop;
        if (step > 0) {
            start = s.start() == null ? 0 : clamp(s.start(), length, 0, length);
            stop = s.stop() == null ? length : clamp(s.stop(), length, 0, length);
        } else {
            start = s.start() == null ? length - 1 : clamp(s.start(), length, -1, length - 1);
            stop = s.stop() == null ? -1 : clamp(s.stop(), length, -1, length - 1);
        }
        return new int[] {(int) start, (int) stop, (int) step};
    }

    private static long clamp(long v, int length, long lo, long hi) {
        long x = v < 0 ? v + length : v;
        return Math.max(lo, Math.min(hi, x));
    }
}
