package org.layers4j.onnx;

import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;

/**
 * ONNX ops beyond the PyTorch-export core, computed on the host (no gradients): unary math, comparisons and
 * logic (bool results as int64 0 / 1), variadic Min / Max / Sum / Mean, Where, Size, Range, Tile, PRelu and
 * the ELU family.
 */
final class ExtraKernels {
    private ExtraKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        unary(k, "Log", Math::log);
        unary(k, "Sin", Math::sin);
        unary(k, "Cos", Math::cos);
        unary(k, "Tan", Math::tan);
        unary(k, "Asin", Math::asin);
        unary(k, "Acos", Math::acos);
        unary(k, "Atan", Math::atan);
        unary(k, "Sinh", Math::sinh);
        unary(k, "Cosh", Math::cosh);
        unary(k, "Floor", Math::floor);
        unary(k, "Ceil", Math::ceil);
        unary(k, "Round", Math::rint);
        unary(k, "Softplus", x -> x > 20 ? x : Math.log1p(Math.exp(x)));
        unary(k, "Softsign", x -> x / (1 + Math.abs(x)));
        k.put("Sign", c -> c.upload(c.host(0).map(Math::signum)));
        k.put("Elu", c -> {
            double a = (float) c.attrDouble("alpha", 1);
            return c.upload(c.host(0).map(x -> f(x < 0 ? a * (Math.exp(x) - 1) : x)));
        });
        k.put("Selu", c -> {
            double a = (float) c.attrDouble("alpha", 1.67326319217681884765625);
            double g = (float) c.attrDouble("gamma", 1.05070102214813232421875);
            return c.upload(c.host(0).map(x -> f(x <= 0 ? g * a * (Math.exp(x) - 1) : g * x)));
        });
        k.put("Celu", c -> {
            double a = (float) c.attrDouble("alpha", 1);
            return c.upload(c.host(0).map(x -> f(Math.max(0, x) + Math.min(0, a * (Math.exp(x / a) - 1)))));
        });
        k.put("ThresholdedRelu", c -> {
            double a = (float) c.attrDouble("alpha", 1);
            return c.upload(c.host(0).map(x -> x > a ? x : 0));
        });
        k.put("PRelu", c -> c.upload(NdArray.binary(c.host(0), c.host(1), (x, s) -> f(x < 0 ? x * s : x), false)));
        k.put("Not", c -> c.upload(c.host(0).map(x -> x == 0 ? 1 : 0)));
        compare(k, "Equal", (x, y) -> x == y);
        compare(k, "Less", (x, y) -> x < y);
        compare(k, "LessOrEqual", (x, y) -> x <= y);
        compare(k, "Greater", (x, y) -> x > y);
        compare(k, "GreaterOrEqual", (x, y) -> x >= y);
        compare(k, "And", (x, y) -> x != 0 && y != 0);
        compare(k, "Or", (x, y) -> x != 0 || y != 0);
        compare(k, "Xor", (x, y) -> (x != 0) != (y != 0));
        variadic(k, "Max", Math::max, false);
        variadic(k, "Min", Math::min, false);
        variadic(k, "Sum", Double::sum, false);
        variadic(k, "Mean", Double::sum, true);
        k.put("Where", ExtraKernels::where);
        k.put("Size", c -> c.upload(new NdArray(new int[0], new double[] {c.in(0).shape().size()}, true)));
        k.put("Range", ExtraKernels::range);
        k.put("Tile", ExtraKernels::tile);
    }

    private interface Predicate2 {
        boolean test(double x, double y);
    }

    private static double f(double v) {
        return (float) v;
    }

    private static void unary(Map<String, OnnxKernel> k, String name, DoubleUnaryOperator op) {
        k.put(name, c -> {
            if (c.isInt(0)) {
                throw new OnnxUnsupportedException(name + " of an integer tensor is not supported");
            }
            return c.upload(c.host(0).map(x -> f(op.applyAsDouble((float) x))));
        });
    }

    private static void compare(Map<String, OnnxKernel> k, String name, Predicate2 p) {
        k.put(name, c -> c.upload(NdArray.binary(c.host(0), c.host(1), (x, y) -> p.test(x, y) ? 1 : 0, true)));
    }

    private static void variadic(Map<String, OnnxKernel> k, String name, DoubleBinaryOperator op, boolean mean) {
        k.put(name, c -> {
            NdArray acc = c.host(0);
            boolean integer = acc.integer;
            for (int i = 1; i < c.count(); i++) {
                NdArray next = c.host(i);
                integer &= next.integer;
                acc = NdArray.binary(acc, next, (x, y) -> op.applyAsDouble(x, y), integer);
            }
            int n = c.count();
            NdArray r = mean ? acc.map(x -> x / n) : acc;
            boolean isInt = integer;
            return c.upload(new NdArray(r.shape, isInt ? r.data : r.map(x -> f(x)).data, isInt));
        });
    }

    private static Object where(OnnxCall c) {
        NdArray cond = c.host(0);
        NdArray x = c.host(1);
        NdArray y = c.host(2);
        int[] s = NdArray.broadcast(NdArray.broadcast(cond.shape, x.shape), y.shape);
        int[] ic = cond.broadcastIndex(s);
        int[] ix = x.broadcastIndex(s);
        int[] iy = y.broadcastIndex(s);
        double[] out = new double[ic.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = cond.data[ic[i]] != 0 ? x.data[ix[i]] : y.data[iy[i]];
        }
        return c.upload(new NdArray(s, out, x.integer && y.integer));
    }

    private static Object range(OnnxCall c) {
        NdArray start = c.host(0);
        double s = start.data[0];
        double limit = c.host(1).data[0];
        double delta = c.host(2).data[0];
        if (delta == 0) {
            throw new IllegalArgumentException("Range: delta is 0");
        }
        double n = Math.max(0, Math.ceil((limit - s) / delta));
        if (n > NdArray.MAX_ELEMENTS) {
            throw new IllegalArgumentException("Range: " + n + " elements are too many");
        }
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = start.integer ? s + i * delta : f(s + i * delta);
        }
        return c.upload(new NdArray(new int[] {v.length}, v, start.integer));
    }

    private static Object tile(OnnxCall c) {
        NdArray x = c.host(0);
        long[] reps = c.longs(1);
        if (reps.length != x.rank()) {
            throw new IllegalArgumentException("Tile: " + reps.length + " repeats for rank " + x.rank());
        }
        int[] s = new int[x.rank()];
        for (int i = 0; i < s.length; i++) {
            long v = reps[i] * x.shape[i];
            if (reps[i] < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Tile: repeat " + reps[i] + " is invalid");
            }
            s[i] = (int) v;
        }
        double[] out = new double[NdArray.checkedCount(s)];
        int[] st = NdArray.strides(x.shape);
        int[] pos = new int[s.length];
        for (int k = 0; k < out.length; k++) {
            int off = 0;
            for (int i = 0; i < s.length; i++) {
                off += (pos[i] % x.shape[i]) * st[i];
            }
            out[k] = x.data[off];
            for (int i = s.length - 1; i >= 0; i--) {
                if (++pos[i] < s[i]) {
                    break;
                }
                pos[i] = 0;
            }
        }
        return c.upload(new NdArray(s, out, x.integer));
    }
}
