package org.layers4j.onnx;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleBinaryOperator;
import org.layers4j.Tensor;
import org.layers4j.graph.ops.Args;
import org.layers4j.graph.ops.FunctionalOp;
import org.layers4j.graph.ops.OpContext;
import org.layers4j.graph.ops.OpRegistry;
import org.layers4j.graph.ops.Values;
import org.layers4j.nn.Module;
import org.layers4j.nn.activation.LeakyReLU;
import org.layers4j.nn.functional.Activations;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.nn.functional.Regularization;

/**
 * Element-wise ONNX ops: the arithmetic with numpy broadcasting, activations, Softmax / LogSoftmax. Float
 * tensors go through this library's functional ops (PyTorch's numbers, with gradients) where the op is
 * PyTorch's; integer tensors and the ops PyTorch has no kernel for here (Pow, Erf) are computed on the host.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        k.put("Add", c -> binary(c, Arithmetic::add, Double::sum));
        k.put("Sub", c -> binary(c, Arithmetic::sub, (x, y) -> x - y));
        k.put("Mul", c -> binary(c, Arithmetic::mul, (x, y) -> x * y));
        k.put("Div", c -> binary(c, Arithmetic::div, null));
        k.put("Pow", c -> c.upload(NdArray.binary(c.host(0), c.host(1), (x, y) -> c.isInt(0) ? (double) (long) Math.pow(
                x, y) : (float) Math.pow((float) x, (float) y), c.isInt(0))));
        k.put("Relu", c -> c.isInt(0) ? c.upload(c.host(0).map(x -> Math.max(x, 0))) : Activations.relu(c.in(0)));
        k.put("Sigmoid", c -> Activations.sigmoid(c.in(0)));
        k.put("Tanh", c -> Activations.tanh(c.in(0)));
        k.put("HardSwish", c -> Activations.hardswish(c.in(0)));
        k.put("HardSigmoid", ElementwiseKernels::hardSigmoid);
        k.put("LeakyRelu", c -> {
            try (Module m = new LeakyReLU(c.attrDouble("alpha", 0.01), c.backend())) {
                return m.forward(c.in(0));
            }
        });
        k.put("Clip", ElementwiseKernels::clip);
        k.put("Erf", c -> c.upload(c.host(0).map(ElementwiseKernels::erf)));
        k.put("Neg", c -> c.isInt(0) ? c.upload(c.host(0).map(x -> -x)) : Arithmetic.neg(c.in(0)));
        k.put("Exp", c -> c.upload(c.host(0).map(x -> (float) Math.exp((float) x))));
        k.put("Sqrt", c -> c.upload(c.host(0).map(x -> (float) Math.sqrt((float) x))));
        k.put("Reciprocal", c -> c.upload(c.host(0).map(x -> (float) (1.0 / (float) x))));
        k.put("Abs", c -> c.upload(c.host(0).map(Math::abs)));
        k.put("Identity", c -> Values.alias(c.in(0)));
        k.put("Dropout", ElementwiseKernels::dropout);
        k.put("Softmax", c -> softmax(c, "softmax"));
        k.put("LogSoftmax", c -> softmax(c, "log_softmax"));
    }

    private interface TensorBinary {
        Tensor apply(Tensor a, Tensor b);
    }

    private static Object binary(OnnxCall c, TensorBinary floats, DoubleBinaryOperator ints) {
        if (!c.isInt(0) && !c.isInt(1)) {
            return floats.apply(c.in(0), c.in(1));
        }
        boolean integer = c.isInt(0) && c.isInt(1);
        DoubleBinaryOperator f = ints != null ? ints : integer ? (x, y) -> {
            if (y == 0) {
                throw new IllegalArgumentException("Div: integer division by zero");
            }
            return (double) ((long) x / (long) y);
        } : (x, y) -> (float) x / (float) y;
        return c.upload(NdArray.binary(c.host(0), c.host(1), f, integer));
    }

    private static Object hardSigmoid(OnnxCall c) {
        double alpha = c.attrDouble("alpha", 0.2);
        double beta = c.attrDouble("beta", 0.5);
        if (Math.abs(alpha - 1.0 / 6) < 1e-7 && beta == 0.5) {
            return Activations.hardsigmoid(c.in(0)); // PyTorch's hardsigmoid, as its exporter writes it
        }
        return c.upload(c.host(0).map(x -> Math.max(0, Math.min(1, (float) ((float) alpha * (float) x + (float) beta)))));
    }

    private static Object clip(OnnxCall c) {
        double lo = Double.NEGATIVE_INFINITY;
        double hi = Double.POSITIVE_INFINITY;
        if (c.opset() < 11) {
            lo = c.attrDouble("min", lo);
            hi = c.attrDouble("max", hi);
        } else {
            if (c.has(1)) {
                lo = c.host(1).data[0];
            }
            if (c.has(2)) {
                hi = c.host(2).data[0];
            }
        }
        if (c.isInt(0) || lo > hi || Double.isNaN(lo) || Double.isNaN(hi)) {
            double l = lo;
            double h = hi;
            return c.upload(c.host(0).map(x -> Double.isNaN(x) ? x : Math.min(h, Math.max(l, x))));
        }
        return Activations.hardtanh(c.in(0), lo, hi);
    }

    private static Object dropout(OnnxCall c) {
        double ratio = c.has(1) ? c.host(1).data[0] : c.attrDouble("ratio", 0.5);
        boolean training = c.has(2) && c.host(2).data[0] != 0;
        if (training) {
            throw new OnnxUnsupportedException("Dropout with training_mode true (its random mask cannot match"
                    + " another implementation's) is not supported; the graph module's train() mode does not apply");
        }
        Tensor y = training ? Regularization.dropout(c.in(0), ratio, true, c.context().random()) : Values.alias(c.in(0));
        if (c.outputs() < 2) {
            return y;
        }
        if (training) {
            y.close();
            throw new UnsupportedOperationException("Dropout: the mask output in training mode is not supported");
        }
        NdArray mask = NdArray.zeros(c.in(0).shape().dims(), true).map(x -> 1);
        return List.of(y, c.upload(mask));
    }

    private static Object softmax(OnnxCall c, String op) {
        Tensor x = c.in(0);
        int rank = x.shape().rank();
        int axis = NdArray.axis(c.attrInt("axis", c.opset() < 13 ? 1 : -1), rank, c.opType());
        Map<String, Object> kw = new LinkedHashMap<>();
        if (c.opset() >= 13 || axis == rank - 1) {
            kw.put("input", x);
            kw.put("dim", (long) axis);
            return standard(op, kw, c.context());
        }
        // opset < 13: the input is coerced to 2-D at axis, normalized over the flattened trailing dimensions
        int[] d = x.shape().dims();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= d[i];
        }
        int inner = x.shape().size() / Math.max(outer, 1);
        try (Tensor flat = org.layers4j.nn.Functional.reshape(x, org.layers4j.Shape.of(outer, inner))) {
            kw.put("input", flat);
            kw.put("dim", 1L);
            try (Tensor y = (Tensor) standard(op, kw, c.context())) {
                return org.layers4j.nn.Functional.reshape(y, x.shape());
            }
        }
    }

    /** Calls an op of the standard registry with keyword arguments. */
    static Object standard(String op, Map<String, Object> kwargs, OpContext context) {
        FunctionalOp f = OpRegistry.standard().get(op);
        return f.apply(new Args(op, f.signature().bind(op, List.of(), kwargs)), context);
    }

    /** erf in double precision: its Maclaurin series below 3, the asymptotic expansion of erfc above. */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double a = Math.abs(x);
        double r;
        if (a < 3) {
            double term = a;
            double sum = a;
            double x2 = a * a;
            for (int n = 1; n < 200; n++) {
                term *= -x2 / n;
                double t = term / (2 * n + 1);
                sum += t;
                if (Math.abs(t) < 1e-17 * Math.abs(sum)) {
                    break;
                }
            }
            r = sum * 2 / Math.sqrt(Math.PI);
        } else if (a < 10) {
            double z = 1 / (2 * a * a);
            double series = 1 - z + 3 * z * z - 15 * z * z * z + 105 * z * z * z * z;
            r = 1 - Math.exp(-a * a) / (a * Math.sqrt(Math.PI)) * series;
        } else {
            r = 1;
        }
        return x < 0 ? -r : r;
    }
}
