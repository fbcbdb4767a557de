package org.layers4j.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.graph.ops.OpContext;
import org.layers4j.spi.Backend;

/**
 * One ONNX node's call at run time: its input values (tensors, null for an omitted optional input), its
 * attributes (Long, Double, String, List), the model's opset, how many outputs it has, the op context.
 */
record OnnxCall(String opType, List<Object> inputs, Map<String, Object> attrs, int opset, int outputs,
                OpContext context) {

    Backend backend() {
        return context.backend();
    }

    int count() {
        return inputs.size();
    }

    boolean has(int i) {
        return i < inputs.size() && inputs.get(i) != null;
    }

    Tensor in(int i) {
        if (!has(i)) {
            throw new IllegalArgumentException(opType + ": input " + i + " is required");
        }
        if (!(inputs.get(i) instanceof Tensor t)) {
            throw new IllegalArgumentException(opType + ": input " + i + " is not a tensor");
        }
        return t;
    }

    boolean isInt(int i) {
        return in(i).dtype() == DType.INT64;
    }

    NdArray host(int i) {
        return NdArray.of(in(i));
    }

    /** An integer input's values (a shape, axes, ...). */
    long[] longs(int i) {
        return host(i).longs();
    }

    List<Tensor> tensors() {
        List<Tensor> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            out.add(in(i));
        }
        return out;
    }

    boolean hasAttr(String name) {
        return attrs.containsKey(name);
    }

    long attrLong(String name, long dflt) {
        Object v = attrs.get(name);
        return v instanceof Number n ? n.longValue() : dflt;
    }

    int attrInt(String name, int dflt) {
        long v = attrLong(name, dflt);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(opType + ": attribute " + name + " = " + v + " is out of range");
        }
        return (int) v;
    }

    double attrDouble(String name, double dflt) {
        Object v = attrs.get(name);
        return v instanceof Number n ? n.doubleValue() : dflt;
    }

    String attrString(String name, String dflt) {
        Object v = attrs.get(name);
        return v instanceof String s ? s : dflt;
    }

    /** An ints attribute, or null when absent. */
    int[] attrInts(String name) {
        return ints(opType, name, attrs.get(name));
    }

    static int[] ints(String op, String name, Object v) {
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(op + ": attribute " + name + " must be a list of ints");
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            long x = ((Number) l.get(i)).longValue();
            if (x < Integer.MIN_VALUE || x > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": attribute " + name + " holds " + x + ", out of range");
            }
            out[i] = (int) x;
        }
        return out;
    }

    static int[] toInts(String op, long[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(op + ": value " + v[i] + " is out of the 32-bit range");
            }
            out[i] = (int) v[i];
        }
        return out;
    }

    /** The result of a host computation, on the call's backend. */
    Tensor upload(NdArray a) {
        return a.upload(backend());
    }
}
