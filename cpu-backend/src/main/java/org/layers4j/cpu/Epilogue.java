package org.layers4j.cpu;

import org.layers4j.spi.UnaryOp;

/**
 * What a forward convolution does to a span of outputs as it stores them: add the bias of the output channel,
 * then (a {@link org.layers4j.spi.ConvEpilogue}) add the residual at the same index and apply the activation, each
 * step on the kernels the separate ops use ({@link PointwiseKernels#affine} for the bias, {@code add},
 * {@code relu}, {@link UnaryKernels} and {@link PointwiseKernels#silu}), so a fused result equals the unfused one bit for bit.
 * Every forward path writes its outputs through {@link #store}, {@link #finish} (spans already in y) or
 * {@link #element} (one output at a time).
 */
final class Epilogue {
    /** No bias, no epilogue: outputs are stored as computed. */
    static final Epilogue NONE = new Epilogue(null, null, null, false, null);

    private final PointwiseKernels pk;
    private final float[] bias;
    private final float[] residual;
    private final boolean relu;
    private final UnaryOp unary;

    private Epilogue(PointwiseKernels pk, float[] bias, float[] residual, boolean relu, UnaryOp unary) {
        this.pk = pk;
        this.bias = bias;
        this.residual = residual;
        this.relu = relu;
        this.unary = unary;
    }

    /** The bias alone (null: none). */
    static Epilogue bias(Kernels kn, float[] bias) {
        return bias == null ? NONE : new Epilogue(kn.pointwise(), bias, null, false, null);
    }

    /** Bias, residual (null: none) and activation (relu, or unary, or neither). */
    static Epilogue of(Kernels kn, float[] bias, float[] residual, boolean relu, UnaryOp unary) {
        return new Epilogue(kn.pointwise(), bias, residual, relu, unary);
    }

    float[] bias() {
        return bias;
    }

    /** Whether anything follows the bias (a residual or an activation). */
    boolean finishes() {
        return residual != null || relu || unary != null;
    }

    /** Whether outputs are stored exactly as computed (no bias, nothing after it). */
    boolean isCopy() {
        return bias == null && !finishes();
    }

    /** This epilogue's bias alone. */
    Epilogue biasOnly() {
        return bias == null ? NONE : new Epilogue(pk, bias, null, false, null);
    }

    /**
     * y[yOff + t] = the epilogue of src[srcOff + t] in output channel k, for t in [0, len); src may be y at the same
     * offset (in place).
     */
    void store(float[] src, int srcOff, int k, float[] y, int yOff, int len) {
        store(src, srcOff, k, y, yOff, len, true);
    }

    /**
     * {@link #store(float[], int, int, float[], int, int)}, or with {@code finish} false the bias alone: the caller
     * then runs {@link #finish} over a longer span of y that holds this one.
     */
    void store(float[] src, int srcOff, int k, float[] y, int yOff, int len, boolean finish) {
        if (finish && bias != null && unary == null && (residual != null || relu)) {
            pk.biasResidualRelu(len, src, srcOff, bias[k], residual, relu, y, yOff);
            return;
        }
        if (finish && bias != null && unary != null && residual == null && !relu) {
            pk.biasActivation(unary, len, src, srcOff, bias[k], y, yOff);
            return;
        }
        if (bias == null) {
            if (src != y || srcOff != yOff) {
                System.arraycopy(src, srcOff, y, yOff, len);
            }
        } else {
            pk.affine(len, src, srcOff, 0f, 1f, bias[k], y, yOff);
        }
        if (finish) {
            finish(y, yOff, yOff + len);
        }
    }

    /**
     * The epilogue of {@code rows} rows of {@code cols} outputs of channel k, held in a scratch run {@code src} with
     * rows {@code srcStride} apart (junk columns between them), stored as one contiguous block of y. Without a
     * residual, the bias and the activation run in place over the whole run (src is modified, junk included, up to
     * the next multiple of 16 floats where src has them) and the rows are copied out; with one, the bias runs over the
     * run, the rows are copied out, and the residual and activation run over the block. Bit for bit what {@link #store} per row gives (x + b
     * is one rounding either way), without a short call per row where rows are narrower than a vector.
     */
    void storeRows(Kernels kn, float[] src, int srcOff, int srcStride, int k, float[] y, int yOff, int rows, int cols) {
        if (rows <= 0) {
            return;
        }
        int len = (rows - 1) * srcStride + cols;
        // without a residual the whole epilogue runs in the scratch run, over whole vectors where it has the room
        // (the lanes past len are junk that is never copied out): no scalar tail per plane
        applyInPlace(src, srcOff, completesInPlace() ? Math.min(src.length - srcOff, (len + 15) & ~15) : len, k);
        kn.packRows(src, srcOff, srcStride, rows, cols, y, yOff);
        if (!completesInPlace()) {
            finish(y, yOff, yOff + rows * cols);
        }
    }

    /**
     * The bias and, without a residual, the activation over src[off, off + len) of channel k, in place: values
     * computed in a scratch tile, finished before they are copied out ({@link #completesInPlace}: nothing is left to
     * do on y then). Bit for bit {@link #store} followed by {@link #finish}: x + b is one rounding either way.
     */
    void applyInPlace(float[] src, int off, int len, int k) {
        store(src, off, k, src, off, len, completesInPlace());
    }

    /** Whether {@link #applyInPlace} gives the finished outputs (no residual, which is read at y's index). */
    boolean completesInPlace() {
        return residual == null;
    }

    /**
     * The epilogue of y[at, at + count) in place, outputs of the consecutive channels k0, k0 + 1, ... (a 1 x 1 plane
     * each): the bias element by element (x + b, one rounding, as {@link #store} gives it), then the residual and the
     * activation over the run in one call each, where a {@link #store} per output was a call per element.
     */
    void storeChannels(float[] y, int at, int k0, int count) {
        if (bias != null) {
            for (int i = 0; i < count; i++) {
                y[at + i] += bias[k0 + i];
            }
        }
        finish(y, at, at + count);
    }

    /** The residual and the activation on y[from, to), in place (the bias is already there). */
    void finish(float[] y, int from, int to) {
        if (residual != null) {
            pk.add(from, to, y, residual, y);
        }
        if (relu) {
            pk.relu(from, to, y, y);
        } else if (unary != null) {
            pk.activation(unary, from, to, y, y);
        }
    }

    /**
     * The residual and activation over a task's outputs, rows x cols of each of kg channels from yBase (planes
     * {@code plane} apart, rows {@code ow} apart; the bias is there already): one call per channel over whole rows (a
     * single run of y and of the residual), else per row. Finished per stored span instead, they would be many short
     * runs a plane apart, which costs more than a pass of its own (measured: 3 x 3, 64 channels of 56 x 56).
     */
    void finishTile(float[] y, int yBase, int kg, int plane, int rows, int ow, int cols) {
        if (!finishes()) {
            return;
        }
        for (int k = 0; k < kg; k++) {
            int at = yBase + k * plane;
            if (cols == ow) {
                finish(y, at, at + rows * ow);
            } else {
                for (int r = 0; r < rows; r++) {
                    finish(y, at + r * ow, at + r * ow + cols);
                }
            }
        }
    }

    /** The epilogue of one output v of channel k stored at y index {@code at}. */
    float element(float v, int k, int at) {
        float r = bias == null ? v : v + bias[k];
        if (residual != null) {
            r += residual[at];
        }
        if (relu) {
            return r <= 0f ? 0f : r;
        }
        if (unary == null) {
            return r;
        }
        return unary.kind() == UnaryOp.Kind.SILU ? r * DetMath.sigmoid(r) : UnaryKernels.forward(unary, r);
    }
}
