package org.layers4j.nn.loss;

import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.spi.Backend;

/**
 * A loss of PyTorch's {@code torch.nn} ({@link CrossEntropyLoss}, {@link NLLLoss}, {@link MSELoss},
 * {@link BCEWithLogitsLoss}): {@code forward(input, target)} gives the reduced loss (a scalar tensor,
 * or per element with {@link Reduction#NONE}) on the input's backend and records itself on the
 * current {@link Tape}, so {@code tape.backward(loss)} starts back-propagation there. Losses see
 * [N, C] logits or per-element predictions — small next to the layers — so they are evaluated once,
 * in double precision, from host copies of input and target (with one upload of the result and, in
 * backward, of the input gradient), the same way on every backend. Only the input gets a gradient.
 */
public abstract class Loss {
    private final Reduction reduction;

    protected Loss(Reduction reduction) {
        if (reduction == null) {
            throw new IllegalArgumentException("reduction must not be null");
        }
        this.reduction = reduction;
    }

    public Reduction reduction() {
        return reduction;
    }

    /** The loss's name for messages, e.g. {@code CrossEntropyLoss}. */
    protected String name() {
        return getClass().getSimpleName();
    }

    /** Checks shapes and dtypes; returns the shape of the unreduced loss. IllegalArgumentException otherwise. */
    protected abstract Shape check(Shape input, Tensor target);

    /**
     * Unreduced losses (one per element of the returned shape of {@link #check}) and the divisor of the
     * mean (the number of elements, or the summed class weights).
     */
    protected abstract double[] losses(float[] x, Shape input, Tensor target, double[] meanDivisor);

    /** dL/dx given the upstream gradient of each unreduced loss element ({@code upstream}). */
    protected abstract float[] gradient(float[] x, Shape input, Tensor target, double[] upstream);

    /** The loss of {@code input} against {@code target}. */
    public final Tensor forward(Tensor input, Tensor target) {
        if (input == null || target == null) {
            throw new IllegalArgumentException(name() + ": input and target must not be null");
        }
        Backend be = input.backend();
        if (input.isClosed() || target.isClosed()) {
            throw new IllegalArgumentException(name() + ": input and target must be open tensors");
        }
        if (target.backend() != be) {
            throw new IllegalArgumentException(name() + ": target is on backend " + target.backend().name()
                    + ", but the input is on " + be.name());
        }
        if (input.dtype() != DType.FLOAT32) {
            throw new IllegalArgumentException(name() + ": expected a float32 input, got " + input.dtype().torchName());
        }
        Shape in = input.shape();
        Shape lossShape = check(in, target);
        float[] x = input.toArray();
        double[] divisor = new double[1];
        double[] l = losses(x, in, target, divisor);
        Tensor out;
        if (reduction == Reduction.NONE) {
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) {
                f[i] = (float) l[i];
            }
            out = be.upload(f, lossShape);
        } else {
            double s = 0;
            for (double v : l) {
                s += v;
            }
            out = be.upload(new float[] {(float) (reduction == Reduction.SUM ? s : s / divisor[0])}, Shape.of());
        }
        int n = l.length;
        double div = divisor[0];
        return Tape.record(name(), out, new Tensor[] {input}, new Parameter[0], new Tensor[] {input, target},
                (dy, saved) -> {
                    float[] g = dy.toArray();
                    double[] up = new double[n];
                    for (int i = 0; i < n; i++) {
                        up[i] = reduction == Reduction.NONE ? g[i] : reduction == Reduction.SUM ? g[0] : g[0] / div;
                    }
                    return new Tensor[] {be.upload(gradient(saved[0].toArray(), in, saved[1], up), in)};
                });
    }

    /** For the classification losses: the class dimension's size and the positions per sample. */
    static int[] classLayout(Shape input) {
        int c = input.rank() == 1 ? input.dim(0) : input.dim(1);
        int n = input.rank() == 1 ? 1 : input.dim(0);
        int inner = 1;
        for (int i = 2; i < input.rank(); i++) {
            inner *= input.dim(i);
        }
        return new int[] {n, c, inner};
    }
}
