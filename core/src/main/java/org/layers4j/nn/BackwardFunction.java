package org.layers4j.nn;

import org.layers4j.Tensor;

/**
 * The backward of one recorded operation (see {@link Tape#record}): given dL/d(output) and the tensors
 * the forward saved, the gradients with respect to the operation's inputs, then its parameters, in the
 * order they were recorded; null where there is none. The returned tensors are new handles the tape
 * takes ownership of (a pass-through gradient is {@code gradOutput.share()}).
 */
@FunctionalInterface
public interface BackwardFunction {
    Tensor[] apply(Tensor gradOutput, Tensor[] saved);

    /**
     * As {@link #apply(Tensor, Tensor[])}, told which inputs' gradients are wanted ({@code inputsWanted[k]} false: the
     * tape discards that gradient, so it may be left null and not computed). The default computes them all.
     */
    default Tensor[] apply(Tensor gradOutput, Tensor[] saved, boolean[] inputsWanted) {
        return apply(gradOutput, saved);
    }
}
