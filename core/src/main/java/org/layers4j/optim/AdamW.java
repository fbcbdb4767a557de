package org.layers4j.optim;

import org.layers4j.nn.Module;

/**
 * {@code torch.optim.AdamW(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
 * amsgrad=False, maximize=False)}: Adam with decoupled weight decay, {@code p *= 1 - lr * weight_decay}
 * before the Adam step.
 */
public final class AdamW extends Adam {
    public AdamW(Module model) {
        super(model);
        weightDecay(1e-2);
    }

    public AdamW(Module model, double lr) {
        super(model, lr);
        weightDecay(1e-2);
    }

    @Override
    boolean decoupled() {
        return true;
    }

    @Override
    protected String kind() {
        return "adamw";
    }
}
