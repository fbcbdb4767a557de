package org.layers4j.spi;

/**
 * An element-wise activation of {@link PointwiseOps#unary} with its arguments, PyTorch's formulas (the
 * forward and the gradient at the kinks exactly as PyTorch 1.13 computes them on the CPU).
 *
 * @param kind which activation
 * @param min {@link Kind#HARDTANH}'s min_val (unused by the others)
 * @param max {@link Kind#HARDTANH}'s max_val (unused by the others)
 */
public record UnaryOp(Kind kind, double min, double max) {
    /** The activations. */
    public enum Kind {
        /**
         * y = clamp(x, min, max), NaN passing; dx = dy where min &lt; x &lt; max or x is NaN, else 0 (the
         * gradient is 0 at both kinks). ReLU6 is HARDTANH(0, 6).
         */
        HARDTANH,
        /** y = x / (1 + exp(-x)); dx = dy * s * (1 + x * (1 - s)) with s = sigmoid(x). */
        SILU,
        /**
         * y = x * min(max(x + 3, 0), 6) / 6; dx = 0 for x &lt; -3, dy * (x / 3 + 0.5) for -3 &lt;= x &lt;= 3,
         * else dy (NaN: dy).
         */
        HARDSWISH,
        /** y = min(max(x + 3, 0), 6) / 6; dx = dy / 6 for -3 &lt; x &lt; 3, else 0 (NaN: 0). */
        HARDSIGMOID,
        /**
         * y = 0.5 * x * (1 + erf(x / sqrt(2))) = x * Phi(x); dx = dy * (Phi(x) + x * phi(x)) with
         * phi(x) = exp(-x^2 / 2) / sqrt(2 pi).
         */
        GELU,
        /**
         * y = 0.5 * x * (1 + tanh(k * (x + 0.044715 x^3))), k = sqrt(2 / pi); dx = dy * (0.5 * (1 + t)
         * + 0.5 * x * (1 - t^2) * k * (1 + 3 * 0.044715 x^2)) with t the tanh.
         */
        GELU_TANH
    }

    public UnaryOp {
        if (kind == null) {
            throw new IllegalArgumentException("kind must not be null");
        }
        if (Double.isNaN(min) || Double.isNaN(max)) {
            throw new IllegalArgumentException("min and max must not be NaN, got " + min + ", " + max);
        }
    }

    /** hardtanh(x, min, max). */
    public static UnaryOp hardtanh(double min, double max) {
        return new UnaryOp(Kind.HARDTANH, min, max);
    }

    /** relu6(x) = hardtanh(x, 0, 6). */
    public static UnaryOp relu6() {
        return hardtanh(0, 6);
    }

    /** An activation without arguments. */
    public static UnaryOp of(Kind kind) {
        return new UnaryOp(kind, 0, 0);
    }
}
