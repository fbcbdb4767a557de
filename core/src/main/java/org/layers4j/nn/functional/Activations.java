package org.layers4j.nn.functional;

import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;
import org.layers4j.spi.UnaryOp;

/**
 * PyTorch's element-wise activations as functions ({@code torch.nn.functional.relu}, ...) on float32
 * tensors of any shape, with PyTorch 1.13's formulas and gradients at the kinks (see
 * {@link UnaryOp.Kind}). Each returns a new tensor the caller owns and records itself on the current
 * {@link Tape}. relu, sigmoid and tanh run on the backend's {@link org.layers4j.spi.ActivationOps}, the
 * others on its {@link org.layers4j.spi.PointwiseOps}.
 */
public final class Activations {
    private static final Parameter[] NO_PARAMS = new Parameter[0];

    private Activations() {
    }

    /** max(x, 0), NaN passing; gradient dy where x &gt; 0 (or NaN), 0 at exactly 0. */
    public static Tensor relu(Tensor x) {
        Backend be = Ops.requireFloat("relu", x);
        Shape s = x.shape();
        Tensor y = Module.compute(be, s, o -> be.activation().relu(x, o), x);
        return Tape.record("relu", y, new Tensor[] {x}, NO_PARAMS, new Tensor[] {x}, (dy, k) -> new Tensor[] {
            Module.compute(be, s, dx -> be.activation().reluBackward(k[0], dy, dx), k[0], dy)});
    }

    /** 1 / (1 + exp(-x)); gradient dy * y * (1 - y) from the output. */
    public static Tensor sigmoid(Tensor x) {
        Backend be = Ops.requireFloat("sigmoid", x);
        Shape s = x.shape();
        Tensor y = Module.compute(be, s, o -> be.activation().sigmoid(x, o), x);
        return Tape.record("sigmoid", y, new Tensor[] {x}, NO_PARAMS, new Tensor[] {y}, (dy, k) -> new Tensor[] {
            Module.compute(be, s, dx -> be.activation().sigmoidBackward(k[0], dy, dx), k[0], dy)});
    }

    /** tanh(x); gradient dy * (1 - y^2) from the output. */
    public static Tensor tanh(Tensor x) {
        Backend be = Ops.requireFloat("tanh", x);
        Shape s = x.shape();
        Tensor y = Module.compute(be, s, o -> be.activation().tanh(x, o), x);
        return Tape.record("tanh", y, new Tensor[] {x}, NO_PARAMS, new Tensor[] {y}, (dy, k) -> new Tensor[] {
            Module.compute(be, s, dx -> be.activation().tanhBackward(k[0], dy, dx), k[0], dy)});
    }

    /** min(max(x, 0), 6) = hardtanh(x, 0, 6); gradient dy on 0 &lt; x &lt; 6 (and NaN), else 0. */
    public static Tensor relu6(Tensor x) {
        return apply("relu6", UnaryOp.relu6(), x);
    }

    /**
     * clamp(x, minVal, maxVal), NaN passing; gradient dy on minVal &lt; x &lt; maxVal (and NaN), else 0.
     * The bounds may be infinite, not NaN.
     */
    public static Tensor hardtanh(Tensor x, double minVal, double maxVal) {
        if (Double.isNaN(minVal) || Double.isNaN(maxVal)) {
            throw new IllegalArgumentException("hardtanh: min_val and max_val must not be NaN, but got min_val=" + minVal
                    + ", max_val=" + maxVal);
        }
        return apply("hardtanh", UnaryOp.hardtanh(minVal, maxVal), x);
    }

    /** x * sigmoid(x); gradient dy * s * (1 + x * (1 - s)). */
    public static Tensor silu(Tensor x) {
        return apply("silu", UnaryOp.of(UnaryOp.Kind.SILU), x);
    }

    /** x * relu6(x + 3) / 6; gradient 0 for x &lt; -3, dy * (x / 3 + 0.5) up to x = 3 inclusive, dy above. */
    public static Tensor hardswish(Tensor x) {
        return apply("hardswish", UnaryOp.of(UnaryOp.Kind.HARDSWISH), x);
    }

    /** relu6(x + 3) / 6; gradient dy / 6 on -3 &lt; x &lt; 3, else 0. */
    public static Tensor hardsigmoid(Tensor x) {
        return apply("hardsigmoid", UnaryOp.of(UnaryOp.Kind.HARDSIGMOID), x);
    }

    /**
     * GELU: {@code approximate} "none" is 0.5 x (1 + erf(x / sqrt 2)), "tanh" 0.5 x (1 + tanh(sqrt(2/pi)
     * (x + 0.044715 x^3))); an IllegalArgumentException with PyTorch's message for any other.
     */
    public static Tensor gelu(Tensor x, String approximate) {
        return apply("gelu", geluOp(approximate), x);
    }

    /** The UnaryOp of GELU's {@code approximate} argument, PyTorch's message for an unknown one. */
    public static UnaryOp geluOp(String approximate) {
        if ("none".equals(approximate)) {
            return UnaryOp.of(UnaryOp.Kind.GELU);
        }
        if ("tanh".equals(approximate)) {
            return UnaryOp.of(UnaryOp.Kind.GELU_TANH);
        }
        throw new IllegalArgumentException("approximate argument must be either none or tanh.");
    }

    /**
     * f(x) for an activation of {@link org.layers4j.spi.PointwiseOps#unary}, recorded as {@code name} with the
     * input saved for the gradient; for activation modules.
     */
    public static Tensor apply(String name, UnaryOp op, Tensor x) {
        Backend be = Ops.requireFloat(name, x);
        Shape s = x.shape();
        Tensor y = Module.compute(be, s, o -> be.pointwise().unary(op, x, o), x);
        return Tape.record(name, y, new Tensor[] {x}, NO_PARAMS, new Tensor[] {x}, (dy, k) -> new Tensor[] {
            Module.compute(be, s, dx -> be.pointwise().unaryBackward(op, k[0], dy, dx), k[0], dy)});
    }
}
