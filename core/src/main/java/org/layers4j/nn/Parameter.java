package org.layers4j.nn;

import org.layers4j.Tensor;

/**
 * A learnable tensor of a {@link Module} (PyTorch's {@code nn.Parameter}) and its accumulated gradient.
 * {@link Tape#backward} adds each gradient into {@link #grad()} — gradients accumulate across
 * backward calls until {@link #zeroGrad()}, as in PyTorch. The module owns both tensors.
 */
public final class Parameter {
    private volatile Tensor data;
    private volatile Tensor grad;
    private volatile long version;

    Parameter(Tensor data) {
        this.data = data;
    }

    /** The current values. Replaced (not written in place) by loading or moving the module. */
    public Tensor data() {
        return data;
    }

    /**
     * How often the values changed: replaced (loading, moving the module) or written in place by code that says so
     * ({@link #markModified}: optimizers, BatchNorm's running statistics), as PyTorch's {@code tensor._version}. A copy
     * derived from the values (a compiled model's folded weights) is current while the version is unchanged.
     */
    public long version() {
        return version;
    }

    /**
     * Counts a change of the values written in place through the backend (an optimizer step), so that
     * {@link #version()} shows it. Code that writes a parameter's tensor in place must call it.
     */
    public synchronized void markModified() {
        version++;
    }

    /** The accumulated gradient, or null when none was computed since the last {@link #zeroGrad()}. */
    public Tensor grad() {
        return grad;
    }

    /** Drops the accumulated gradient (PyTorch's {@code zero_grad(set_to_none=True)}). */
    public synchronized void zeroGrad() {
        Tensor g = grad;
        grad = null;
        if (g != null) {
            g.close();
        }
    }

    /** Adds {@code g} into the gradient, taking ownership of {@code g}. */
    synchronized void accumulateGrad(Tensor g) {
        if (grad == null) {
            grad = g;
            return;
        }
        try {
            if (g.shape().size() > 0) {
                data.backend().elementwise().accumulate(grad, g);
            }
        } finally {
            g.close();
        }
    }

    /** Replaces the values (closing the old tensor) and drops the gradient. */
    synchronized void replace(Tensor newData) {
        Tensor old = data;
        data = newData;
        version++;
        zeroGrad();
        if (old != null && old != newData) {
            old.close();
        }
    }

    synchronized void close() {
        zeroGrad();
        data.close();
    }

    @Override
    public String toString() {
        return "Parameter" + data.shape().dimsString();
    }
}
