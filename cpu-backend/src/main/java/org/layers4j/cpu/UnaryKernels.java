package org.layers4j.cpu;

import org.layers4j.spi.UnaryOp;

/**
 * The activations of {@link org.layers4j.spi.PointwiseOps#unary} over a range [from, to) of elements, in
 * PyTorch 1.13's CPU formulas: the piecewise ones (hardtanh, hardswish, hardsigmoid) in float32 with
 * PyTorch's comparisons (so NaN and the kinks behave as there), the transcendental ones (SiLU, GELU)
 * evaluated in double and rounded once. ({@link CpuPointwiseOps} runs SiLU on the vector sigmoid kernel
 * instead; the double loops here are its scalar reference.)
 */
final class UnaryKernels {
    private static final double SQRT1_2 = 0.7071067811865476;
    /** 1 / sqrt(2 pi). */
    private static final double INV_SQRT_2PI = 0.3989422804014327;
    /** sqrt(2 / pi). */
    private static final double K_BETA = 0.7978845608028654;
    private static final double K_KAPPA = 0.044715;

    private UnaryKernels() {
    }

    static void forward(UnaryOp op, int from, int to, float[] x, float[] y) {
        switch (op.kind()) {
            case HARDTANH -> {
                float lo = (float) op.min();
                float hi = (float) op.max();
                for (int i = from; i < to; i++) {
                    y[i] = hardtanh(x[i], lo, hi);
                }
            }
            case SILU -> {
                for (int i = from; i < to; i++) {
                    y[i] = silu(x[i]);
                }
            }
            case HARDSWISH -> {
                for (int i = from; i < to; i++) {
                    y[i] = hardswish(x[i]);
                }
            }
            case HARDSIGMOID -> {
                for (int i = from; i < to; i++) {
                    y[i] = hardsigmoid(x[i]);
                }
            }
            case GELU -> {
                for (int i = from; i < to; i++) {
                    y[i] = gelu(x[i]);
                }
            }
            case GELU_TANH -> {
                for (int i = from; i < to; i++) {
                    y[i] = geluTanh(x[i]);
                }
            }
            default -> throw new IllegalArgumentException("unknown activation " + op);
        }
    }

    /** The activation of one value, as {@link #forward(UnaryOp, int, int, float[], float[])} computes it. */
    static float forward(UnaryOp op, float v) {
        return switch (op.kind()) {
            case HARDTANH -> hardtanh(v, (float) op.min(), (float) op.max());
            case SILU -> silu(v);
            case HARDSWISH -> hardswish(v);
            case HARDSIGMOID -> hardsigmoid(v);
            case GELU -> gelu(v);
            case GELU_TANH -> geluTanh(v);
        };
    }

    static float hardtanh(float v, float lo, float hi) {
        float c = v < lo ? lo : v;
        return c > hi ? hi : c;
    }

    private static float silu(float x) {
        double v = x;
        return (float) (v / (1.0 + Math.exp(-v)));
    }

    static float hardswish(float v) {
        return v * relu6(v + 3f) / 6f;
    }

    static float hardsigmoid(float v) {
        return relu6(v + 3f) / 6f;
    }

    private static float gelu(float x) {
        double v = x;
        return (float) (v * 0.5 * Erf.erfc(-v * SQRT1_2));
    }

    private static float geluTanh(float x) {
        double v = x;
        double inner = K_BETA * (v + K_KAPPA * v * v * v);
        return (float) (0.5 * v * (1 + Math.tanh(inner)));
    }

    static void backward(UnaryOp op, int from, int to, float[] x, float[] dy, float[] dx) {
        switch (op.kind()) {
            case HARDTANH -> {
                float lo = (float) op.min();
                float hi = (float) op.max();
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    dx[i] = v <= lo || v >= hi ? 0f : dy[i];
                }
            }
            case SILU -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double s = 1.0 / (1.0 + Math.exp(-v));
                    dx[i] = (float) (dy[i] * s * (1 + v * (1 - s)));
                }
            }
            case HARDSWISH -> {
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    dx[i] = v < -3f ? 0f : v <= 3f ? dy[i] * (v / 3f + 0.5f) : dy[i];
                }
            }
            case HARDSIGMOID -> {
                for (int i = from; i < to; i++) {
                    float v = x[i];
                    dx[i] = v > -3f && v < 3f ? dy[i] * (1f / 6f) : 0f;
                }
            }
            case GELU -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double cdf = 0.5 * Erf.erfc(-v * SQRT1_2);
                    double pdf = Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
                    dx[i] = (float) (dy[i] * (cdf + v * pdf));
                }
            }
            case GELU_TANH -> {
                for (int i = from; i < to; i++) {
                    double v = x[i];
                    double sq = v * v;
                    double t = Math.tanh(K_BETA * (v + K_KAPPA * sq * v));
                    double left = 0.5 * v;
                    double right = 1 + t;
                    double leftDerivative = 0.5 * right;
                    double rightDerivative = left * (1 - t * t) * K_BETA * (1 + 3 * K_KAPPA * sq);
                    dx[i] = (float) (dy[i] * (leftDerivative + rightDerivative));
                }
            }
            default -> throw new IllegalArgumentException("unknown activation " + op);
        }
    }

    /** min(max(v, 0), 6) with PyTorch's comparisons: NaN stays NaN. */
    private static float relu6(float v) {
        float c = v < 0f ? 0f : v;
        return c > 6f ? 6f : c;
    }
}
