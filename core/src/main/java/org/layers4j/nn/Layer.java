package org.layers4j.nn;

import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * A neural-network layer with PyTorch's semantics: {@link #forward} computes the output, and
 * {@link #backward} — given the same input and the gradient of a loss with respect to the output —
 * computes the gradient with respect to the input and to every parameter, which is all a training
 * loop needs. A layer's parameters live on one {@link Backend}; inputs must be on it too.
 * {@link #close()} frees the parameters.
 */
public interface Layer extends AutoCloseable {

    /** The output for {@code input}; a new tensor the caller owns. */
    Tensor forward(Tensor input);

    /** The gradients for loss L given {@code gradOutput} = dL/d(output of forward(input)). */
    Gradients backward(Tensor input, Tensor gradOutput);

    /** Parameters by PyTorch's state_dict names ({@code weight}, {@code bias}, {@code 0.weight}, ...). */
    Map<String, Tensor> parameters();

    /** Replaces a parameter's values by name (shape-checked), as loading a state_dict does. */
    void setParameter(String name, float[] values);

    /** The backend the parameters live on. */
    Backend backend();

    /** Moves the parameters to {@code backend} (in place, as PyTorch's Module.to) and returns this layer. */
    Layer to(Backend backend);

    /** Frees the parameters. */
    @Override
    void close();
}
