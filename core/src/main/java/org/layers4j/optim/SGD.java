package org.layers4j.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;

/**
 * {@code torch.optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False,
 * maximize=False)}, PyTorch 1.13's update: {@code d = grad (+ weight_decay * p)}; with momentum a
 * {@code momentum_buffer} (d at the first step, then {@code momentum * buf + (1 - dampening) * d}) and
 * Nesterov's look-ahead; {@code p -= lr * d}. Setters validate as PyTorch's constructor does.
 */
public final class SGD extends Optimizer {
    private double lr;
    private double momentum;
    private double dampening;
    private double weightDecay;
    private boolean nesterov;
    private boolean maximize;

    public SGD(Module model, double lr) {
        super(model);
        lr(lr);
    }

    public SGD lr(double lr) {
        checkNonNegative("learning rate", lr);
        this.lr = lr;
        return this;
    }

    public SGD momentum(double momentum) {
        checkNonNegative("momentum value", momentum);
        this.momentum = momentum;
        return this;
    }

    public SGD dampening(double dampening) {
        this.dampening = dampening;
        return this;
    }

    public SGD weightDecay(double weightDecay) {
        checkNonNegative("weight_decay value", weightDecay);
        this.weightDecay = weightDecay;
        return this;
    }

    public SGD nesterov(boolean nesterov) {
        this.nesterov = nesterov;
        return this;
    }

    public SGD maximize(boolean maximize) {
        this.maximize = maximize;
        return this;
    }

    @Override
    protected String kind() {
        return "sgd";
    }

    @Override
    protected List<String> stateNames() {
        return momentum != 0 ? List.of("momentum_buffer") : List.of();
    }

    @Override
    public void step() {
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        super.step();
    }

    @Override
    protected void update(Parameter p, Map<String, Tensor> state, long step) {
        Tensor buf = state.get("momentum_buffer");
        p.data().backend().optimizer().sgd(p.data(), p.grad(), buf, step == 1, lr, momentum, dampening, weightDecay,
                nesterov, maximize);
    }

    @Override
    public Map<String, Object> hyperParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("momentum", momentum);
        m.put("dampening", dampening);
        m.put("weight_decay", weightDecay);
        m.put("nesterov", nesterov);
        m.put("maximize", maximize);
        return m;
    }

    @Override
    protected void loadHyperParameters(String json) {
        HyperParameters h = new HyperParameters(json);
        lr(h.number("lr"));
        momentum(h.number("momentum"));
        dampening(h.number("dampening"));
        weightDecay(h.number("weight_decay"));
        nesterov(h.bool("nesterov"));
        maximize(h.bool("maximize"));
    }
}
