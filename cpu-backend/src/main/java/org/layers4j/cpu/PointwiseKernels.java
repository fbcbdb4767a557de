package org.layers4j.cpu;

import org.layers4j.spi.UnaryOp;

/**
 * The inner loops of the memory-bound operations (activations, element-wise arithmetic, pooling rows,
 * batch-norm planes, softmax rows), in a Vector API and a plain-Java implementation chosen with the GEMM
 * kernels ({@link Kernels#pointwise()}). Range methods ({@code from, to}) use the same index in every
 * array; the others take a length and an offset per array. Reductions return float32 lane sums; callers
 * combine them in double across planes.
 */
interface PointwiseKernels {
    /** y = x <= 0 ? 0 : x (NaN passes). */
    void relu(int from, int to, float[] x, float[] y);

    /** Outputs per call of {@link #winners3x3Stride2}; 0 where this family has no such kernel. */
    default int winnerLanes() {
        return 0;
    }

    /** {@link VectorWinners#find}, for {@link #winnerLanes} outputs. */
    default boolean winners3x3Stride2(float[] x, int row0, int row1, int row2, int col, float[] y, int yOff,
                                      float[] codes) {
        throw new UnsupportedOperationException("no vector winner kernel in " + getClass().getSimpleName());
    }

    /**
     * A convolution's epilogue in one pass: y[yOff + t] = x[xOff + t] + b, plus r[yOff + t] where r is not null (the
     * residual, read at y's index), then {@link #relu} where {@code relu}; each step rounded as {@link #affine} with
     * scale 1, {@link #add} and {@link #relu} round it. y may be x at the same offset.
     */
    default void biasResidualRelu(int len, float[] x, int xOff, float b, float[] r, boolean relu, float[] y, int yOff) {
        affine(len, x, xOff, 0f, 1f, b, y, yOff);
        if (r != null) {
            add(yOff, yOff + len, y, r, y);
        }
        if (relu) {
            relu(yOff, yOff + len, y, y);
        }
    }

    /**
     * A convolution's epilogue in one pass where an activation follows the bias: y[yOff + t] = op(x[xOff + t] + b),
     * rounded as {@link #affine} with scale 1 followed by {@link #activation}. y may be x at the same offset.
     */
    default void biasActivation(UnaryOp op, int len, float[] x, int xOff, float b, float[] y, int yOff) {
        affine(len, x, xOff, 0f, 1f, b, y, yOff);
        activation(op, yOff, yOff + len, y, y);
    }

    /** dx = x <= 0 ? 0 : dy (PyTorch's threshold_backward). */
    void reluBackward(int from, int to, float[] x, float[] dy, float[] dx);

    /** y = x > 0 ? x : x * slope. */
    void leakyRelu(int from, int to, float slope, float[] x, float[] y);

    /** dx = x > 0 ? dy : dy * slope. */
    void leakyReluBackward(int from, int to, float slope, float[] x, float[] dy, float[] dx);

    /** y = 1 / (1 + exp(-x)). */
    void sigmoid(int from, int to, float[] x, float[] y);

    /** y = x * sigmoid(x) (SiLU), the product of x and {@link #sigmoid}'s value, rounded once; y may be x. */
    void silu(int from, int to, float[] x, float[] y);

    /**
     * The activation {@code op} over [from, to) (y may be x): SiLU and the piecewise ones on this family's kernels,
     * GELU in {@link UnaryKernels}' double formulas.
     */
    default void activation(UnaryOp op, int from, int to, float[] x, float[] y) {
        switch (op.kind()) {
            case SILU -> silu(from, to, x, y);
            case HARDTANH -> hardtanh(from, to, (float) op.min(), (float) op.max(), x, y);
            case HARDSWISH -> hardswish(from, to, x, y);
            case HARDSIGMOID -> hardsigmoid(from, to, x, y);
            default -> UnaryKernels.forward(op, from, to, x, y);
        }
    }

    /** y = clamp(x, lo, hi) (Hardtanh, ReLU6) as {@link UnaryKernels} compares (a NaN stays NaN); y may be x. */
    void hardtanh(int from, int to, float lo, float hi, float[] x, float[] y);

    /** y = x * relu6(x + 3) / 6 (Hardswish) in PyTorch 1.13's float32 steps ({@link UnaryKernels}); y may be x. */
    void hardswish(int from, int to, float[] x, float[] y);

    /** y = relu6(x + 3) / 6 (Hardsigmoid) in PyTorch 1.13's float32 steps ({@link UnaryKernels}); y may be x. */
    void hardsigmoid(int from, int to, float[] x, float[] y);

    /** dx = dy * y * (1 - y). */
    void sigmoidBackward(int from, int to, float[] y, float[] dy, float[] dx);

    /** y = tanh(x). */
    void tanh(int from, int to, float[] x, float[] y);

    /** dx = dy * (1 - y * y). */
    void tanhBackward(int from, int to, float[] y, float[] dy, float[] dx);

    /** out = a + b. */
    void add(int from, int to, float[] a, float[] b, float[] out);

    /** out = a * b. */
    void multiply(int from, int to, float[] a, float[] b, float[] out);

    /** y[yOff + t] = x[xOff + t] * s, one rounding (a broadcast product: the squeeze-excitation scale). */
    void scale(int len, float s, float[] x, int xOff, float[] y, int yOff);

    /**
     * y[yOff + r * len + t] = x[xOff + r * len + t] * s[sOff + r] for r in [0, rows), t in [0, len): consecutive rows,
     * each times its own value ({@link #scale} per row). Writes nothing outside y[yOff, yOff + rows * len).
     */
    default void scaleRows(int rows, int len, float[] s, int sOff, float[] x, int xOff, float[] y, int yOff) {
        for (int r = 0; r < rows; r++) {
            scale(len, s[sOff + r], x, xOff + r * len, y, yOff + r * len);
        }
    }

    /**
     * row[j] = the rows of an h x w plane at x[off] combined column by column in row order (their sum, or with
     * {@code max} their maximum as {@link #maxInto} takes it), for j in [0, w): the first rows' pass of a global
     * pooling. {@code row} has at least w rounded up to 16 floats; what lies past w there is junk.
     */
    default void columnReduce(int h, int w, float[] x, int off, boolean max, float[] row) {
        System.arraycopy(x, off, row, 0, w);
        int len = (w + 15) & ~15;
        for (int i = 1; i < h; i++) {
            int at = off + i * w;
            int n = at + len <= x.length ? len : w;
            if (max) {
                maxInto(n, x, at, row, 0);
            } else {
                addInto(n, x, at, row, 0);
            }
        }
    }

    /**
     * The means of {@code lanes} planes of h x w held channel-interleaved (v[off + (r*w + c)*lanes + l] is row r, column
     * c of plane l) into y[yOff + l]: each column summed over the rows in order, then the column sums added to 0 in
     * column order, then divided by h*w: the order and rounding of {@link #columnReduce} followed by a row sum from 0,
     * so each mean has the bits the plane-by-plane global average gives it.
     */
    default void interleavedMeans(int h, int w, int lanes, float[] v, int off, float[] y, int yOff) {
        for (int l = 0; l < lanes; l++) {
            float s = 0f;
            for (int c = 0; c < w; c++) {
                float col = v[off + c * lanes + l];
                for (int r = 1; r < h; r++) {
                    col = col + v[off + (r * w + c) * lanes + l];
                }
                s = s + col;
            }
            y[yOff + l] = s / (h * w);
        }
    }

    /** y[yOff + t] += x[xOff + t]. */
    void addInto(int len, float[] x, int xOff, float[] y, int yOff);

    /** y[yOff + t] /= x[xOff + t]. */
    void divideInto(int len, float[] x, int xOff, float[] y, int yOff);

    /** y[yOff + t] = max(y[yOff + t], x[xOff + t]), a NaN in either winning. */
    void maxInto(int len, float[] x, int xOff, float[] y, int yOff);

    /** The sum of x[xOff .. xOff + len), each value widened to double and accumulated in double. */
    double sumDouble(int len, float[] x, int xOff);

    /** The maximum of x[xOff .. xOff + len), NaN if any is NaN, -inf for len 0. */
    float max(int len, float[] x, int xOff);

    /** Sum of (x - center)^2 over the range, in float32 lanes. */
    float sumSquaredDeviation(int len, float[] x, int xOff, float center);

    /** Sum of a * (b - center) over the range, in float32 lanes. */
    float dotCentered(int len, float[] a, int aOff, float[] b, int bOff, float center);

    /** y = (x - center) * scale + shift. */
    void affine(int len, float[] x, int xOff, float center, float scale, float shift, float[] y, int yOff);

    /** out = alpha * a + beta * (b - center) + gamma. */
    void combine(int len, float alpha, float[] a, int aOff, float beta, float[] b, int bOff, float center, float gamma,
                 float[] out, int outOff);

    /** y = exp(x - shift); returns the sum of the y written. */
    float expShift(int len, float[] x, int xOff, float shift, float[] y, int yOff);

    /** out = a * (b - center) (softmax backward: y * (dy - sum(dy * y))). */
    void productCentered(int len, float[] a, int aOff, float[] b, int bOff, float center, float[] out, int outOff);

    /** dx = dy - exp(y) * s (log_softmax backward). */
    void logSoftmaxGrad(int len, float[] y, int yOff, float[] dy, int dyOff, float s, float[] dx, int dxOff);
}
