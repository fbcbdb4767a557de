package org.layers4j.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;

/**
 * {@code torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
 * amsgrad=False, maximize=False)}, PyTorch 1.13's update with bias correction ({@code exp_avg},
 * {@code exp_avg_sq}, and {@code max_exp_avg_sq} with amsgrad); weight decay as an L2 term added to the
 * gradient. {@link AdamW} decouples it.
 */
public class Adam extends Optimizer {
    private double lr = 1e-3;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double weightDecay;
    private boolean amsgrad;
    private boolean maximize;

    public Adam(Module model) {
        super(model);
    }

    public Adam(Module model, double lr) {
        super(model);
        lr(lr);
    }

    /** Whether weight decay is decoupled from the gradient (AdamW). */
    boolean decoupled() {
        return false;
    }

    public Adam lr(double lr) {
        checkNonNegative("learning rate", lr);
        this.lr = lr;
        return this;
    }

    public Adam betas(double beta1, double beta2) {
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("Invalid beta parameter at index 0: " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Invalid beta parameter at index 1: " + beta2);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        return this;
    }

    public Adam eps(double eps) {
        checkNonNegative("epsilon value", eps);
        this.eps = eps;
        return this;
    }

    public Adam weightDecay(double weightDecay) {
        checkNonNegative("weight_decay value", weightDecay);
        this.weightDecay = weightDecay;
        return this;
    }

    public Adam amsgrad(boolean amsgrad) {
        this.amsgrad = amsgrad;
        return this;
    }

    public Adam maximize(boolean maximize) {
        this.maximize = maximize;
        return this;
    }

    @Override
    protected String kind() {
        return "adam";
    }

    @Override
    protected List<String> stateNames() {
        return amsgrad ? List.of("exp_avg", "exp_avg_sq", "max_exp_avg_sq") : List.of("exp_avg", "exp_avg_sq");
    }

    @Override
    protected void update(Parameter p, Map<String, Tensor> s, long step) {
        p.data().backend().optimizer().adam(p.data(), p.grad(), s.get("exp_avg"), s.get("exp_avg_sq"),
                s.get("max_exp_avg_sq"), step, lr, beta1, beta2, eps, weightDecay, decoupled(), amsgrad, maximize);
    }

    @Override
    public Map<String, Object> hyperParameters() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lr", lr);
        m.put("betas", new double[] {beta1, beta2});
        m.put("eps", eps);
        m.put("weight_decay", weightDecay);
        m.put("amsgrad", amsgrad);
        m.put("maximize", maximize);
        return m;
    }

    @Override
    protected void loadHyperParameters(String json) {
        HyperParameters h = new HyperParameters(json);
        lr(h.number("lr"));
        double[] b = h.pair("betas");
        betas(b[0], b[1]);
        eps(h.number("eps"));
        weightDecay(h.number("weight_decay"));
        amsgrad(h.bool("amsgrad"));
        maximize(h.bool("maximize"));
    }
}
