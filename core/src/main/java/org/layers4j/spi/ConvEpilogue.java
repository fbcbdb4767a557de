package org.layers4j.spi;

import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * What a convolution does to its outputs after its bias, as ONNX Runtime's {@code FusedConv} does: add a
 * residual (a float32 tensor with the output's elements, in the output's order), then apply an activation.
 * A backend that runs it while it stores the convolution's outputs saves the passes over memory that a
 * separate add and activation cost; {@link #applyUnfused} is those passes, which
 * {@link ConvolutionOps#forward(ConvGeometry, Tensor, Tensor, Tensor, ConvEpilogue, Tensor)} runs by default.
 * Either way each output is {@code act(conv + bias + residual)}, rounded to float32 after each step, exactly
 * as the separate ops compute it.
 *
 * @param residual the tensor added to the convolution's output (same number of elements), or null
 * @param relu     whether ReLU ({@link ActivationOps#relu}) follows
 * @param unary    the activation of {@link PointwiseOps#unary} that follows instead, or null
 */
public record ConvEpilogue(Tensor residual, boolean relu, UnaryOp unary) {
    /** Nothing after the bias. */
    public static final ConvEpilogue NONE = new ConvEpilogue(null, false, null);

    public ConvEpilogue {
        if (relu && unary != null) {
            throw new IllegalArgumentException("an epilogue has one activation: ReLU or " + unary + ", not both");
        }
    }

    /** Whether there is nothing to do after the bias. */
    public boolean isNone() {
        return residual == null && !relu && unary == null;
    }

    /** The same activation with another residual (null: none). */
    public ConvEpilogue withResidual(Tensor r) {
        return new ConvEpilogue(r, relu, unary);
    }

    /** Checks that the residual (if any) has the output's number of elements and is float32. */
    public void check(Shape output) {
        if (residual != null && (residual.shape().size() != output.size()
                || residual.dtype() != org.layers4j.DType.FLOAT32)) {
            throw new IllegalArgumentException("the epilogue's residual must be float32 with the output's " + output.size()
                    + " elements, but got " + residual.dtype().torchName() + " " + residual.shape().dimsString());
        }
    }

    /**
     * y = act(conv + residual) from the convolution's output {@code conv} (with its bias), as the separate ops of
     * {@code conv}'s backend: {@link ElementwiseOps#add}, then {@link ActivationOps#relu} or
     * {@link PointwiseOps#unary}. No tensor is both an input and the output of one call. {@code y} must not be
     * {@code conv}.
     */
    public void applyUnfused(Tensor conv, Tensor y) {
        check(y.shape());
        Backend be = y.backend();
        if (residual == null) {
            activate(be, conv, y);
            return;
        }
        if (!relu && unary == null) {
            be.elementwise().add(conv, residual, y);
            return;
        }
        Tensor sum = be.allocate(y.shape());
        try {
            be.elementwise().add(conv, residual, sum);
            activate(be, sum, y);
        } finally {
            sum.close();
        }
    }

    private void activate(Backend be, Tensor x, Tensor y) {
        if (relu) {
            be.activation().relu(x, y);
        } else if (unary != null) {
            be.pointwise().unary(unary, x, y);
        } else {
            be.elementwise().copy(x, y);
        }
    }
}
