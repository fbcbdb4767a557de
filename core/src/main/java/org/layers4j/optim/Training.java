package org.layers4j.optim;

import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.nn.loss.Loss;

/**
 * The training loop's step, as PyTorch code writes it: {@code model.train(); optimizer.zero_grad();
 * loss = loss_fn(model(x), target); loss.backward(); optimizer.step()}.
 */
public final class Training {
    private Training() {
    }

    /** One step on a batch; returns the loss before the update. The caller keeps ownership of input and target. */
    public static float step(Module model, Loss loss, Optimizer optimizer, Tensor input, Tensor target) {
        if (model == null || loss == null || optimizer == null) {
            throw new IllegalArgumentException("model, loss and optimizer must not be null");
        }
        model.train();
        optimizer.zeroGrad();
        float value;
        // the parameters' gradients only: none of the input (PyTorch's, for an input that does not require grad)
        try (Tape tape = Tape.parametersOnly(); Tensor y = model.forward(input); Tensor l = loss.forward(y, target)) {
            value = l.toArray()[0];
            tape.backward(l).close();
        }
        optimizer.step();
        return value;
    }
}
