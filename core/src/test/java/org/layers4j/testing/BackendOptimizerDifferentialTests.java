package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.nn.linear.Linear;
import org.layers4j.optim.Adam;
import org.layers4j.optim.AdamW;
import org.layers4j.optim.Optimizer;
import org.layers4j.optim.SGD;
import org.layers4j.spi.Backend;

/**
 * SGD, Adam and AdamW over seeded random hyper-parameters and 1 to 4 steps on a Linear layer whose
 * gradients come from a backward, against a float64 transcription of PyTorch 1.13's
 * {@code _single_tensor_sgd}, {@code _single_tensor_adam} and {@code _single_tensor_adamw}: the
 * parameters after every step and the final optimizer state, max|err| <= 1e-5 * max(1, max|expected|).
 */
public abstract class BackendOptimizerDifferentialTests {
    static final int CASES = 220;
    static final double TOLERANCE = 1e-5;

    protected abstract Backend backend();

    /** One parameter's float64 reference state. */
    private static final class RefState {
        double[] p;
        double[] buf; // momentum_buffer (SGD), null until the first step
        double[] m;
        double[] v;
        double[] vmax;
        long step;
    }

    private record SgdConfig(double lr, double momentum, double dampening, double weightDecay, boolean nesterov,
                             boolean maximize) {
    }

    private record AdamConfig(boolean decoupled, double lr, double beta1, double beta2, double eps, double weightDecay,
                              boolean amsgrad, boolean maximize) {
    }

    /** torch.optim.sgd._single_tensor_sgd for one parameter. */
    static void sgdReference(RefState s, float[] grad, SgdConfig c) {
        int n = s.p.length;
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            d[i] = c.maximize() ? -grad[i] : grad[i];
            if (c.weightDecay() != 0) {
                d[i] = d[i] + c.weightDecay() * s.p[i];
            }
        }
        if (c.momentum() != 0) {
            if (s.buf == null) {
                s.buf = d.clone();
            } else {
                for (int i = 0; i < n; i++) {
                    s.buf[i] = s.buf[i] * c.momentum() + (1 - c.dampening()) * d[i];
                }
            }
            for (int i = 0; i < n; i++) {
                d[i] = c.nesterov() ? d[i] + c.momentum() * s.buf[i] : s.buf[i];
            }
        }
        for (int i = 0; i < n; i++) {
            s.p[i] += -c.lr() * d[i];
        }
        s.step++;
    }

    /** torch.optim.adam._single_tensor_adam (and adamw._single_tensor_adamw when decoupled) for one parameter. */
    static void adamReference(RefState s, float[] grad, AdamConfig c) {
        int n = s.p.length;
        if (s.m == null) {
            s.m = new double[n];
            s.v = new double[n];
            s.vmax = new double[n];
        }
        s.step++;
        double bc1 = 1 - Math.pow(c.beta1(), s.step);
        double bc2 = 1 - Math.pow(c.beta2(), s.step);
        double stepSize = c.lr() / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        for (int i = 0; i < n; i++) {
            double g = c.maximize() ? -grad[i] : grad[i];
            if (c.decoupled()) {
                s.p[i] *= 1 - c.lr() * c.weightDecay();
            } else if (c.weightDecay() != 0) {
                g = g + c.weightDecay() * s.p[i];
            }
            s.m[i] = s.m[i] * c.beta1() + (1 - c.beta1()) * g;
            s.v[i] = s.v[i] * c.beta2() + (1 - c.beta2()) * g * g;
            double denom;
            if (c.amsgrad()) {
                s.vmax[i] = Math.max(s.vmax[i], s.v[i]);
                denom = Math.sqrt(s.vmax[i]) / bc2Sqrt + c.eps();
            } else {
                denom = Math.sqrt(s.v[i]) / bc2Sqrt + c.eps();
            }
            s.p[i] += -stepSize * (s.m[i] / denom);
        }
    }

    private static double lr(SplittableRandom rng) {
        return Math.pow(10, -4 + 4 * rng.nextDouble()); // 1e-4 .. 1
    }

    private static SgdConfig sgdConfig(SplittableRandom rng) {
        double momentum = rng.nextInt(4) == 0 ? 0 : rng.nextDouble() * 0.99;
        boolean nesterov = momentum > 0 && rng.nextBoolean();
        double dampening = nesterov || rng.nextBoolean() ? 0 : rng.nextDouble() * 0.9;
        double wd = rng.nextBoolean() ? 0 : rng.nextDouble() * 0.1;
        return new SgdConfig(lr(rng), momentum, dampening, wd, nesterov, rng.nextInt(4) == 0);
    }

    private static AdamConfig adamConfig(SplittableRandom rng, boolean decoupled) {
        double beta1 = rng.nextInt(5) == 0 ? 0 : rng.nextDouble() * 0.99;
        double beta2 = rng.nextInt(5) == 0 ? 0.999 : rng.nextDouble() * 0.9999;
        double[] epss = {1e-8, 1e-6, 1e-3, 0.1};
        double wd = rng.nextInt(3) == 0 ? 0 : rng.nextDouble() * 0.2;
        return new AdamConfig(decoupled, lr(rng) / 10, beta1, beta2, epss[rng.nextInt(epss.length)], wd, rng.nextBoolean(),
                rng.nextInt(4) == 0);
    }

    private static String mismatch(String what, float[] actual, double[] expected) {
        double maxAbs = 0;
        for (double e : expected) {
            maxAbs = Math.max(maxAbs, Math.abs(e));
        }
        double tol = TOLERANCE * Math.max(1, maxAbs);
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            if (!(err <= tol)) {
                return what + "[" + i + "] = " + actual[i] + ", expected " + expected[i] + " (tolerance " + tol + ")";
            }
        }
        return null;
    }

    /** Runs one configuration; null when parameters and state match the reference after every step. */
    private String check(String what, SplittableRandom rng, boolean sgd, SgdConfig sc, AdamConfig ac) {
        Backend be = backend();
        int in = 1 + rng.nextInt(5);
        int out = 1 + rng.nextInt(4);
        int batch = 1 + rng.nextInt(3);
        int steps = 1 + rng.nextInt(4);
        try (Linear lin = new Linear(in, out, true, be, rng.nextLong())) {
            Optimizer opt;
            if (sgd) {
                opt = new SGD(lin, sc.lr()).momentum(sc.momentum()).dampening(sc.dampening()).weightDecay(sc.weightDecay())
                        .nesterov(sc.nesterov()).maximize(sc.maximize());
            } else {
                Adam a = ac.decoupled() ? new AdamW(lin) : new Adam(lin);
                a.lr(ac.lr()).betas(ac.beta1(), ac.beta2()).eps(ac.eps()).weightDecay(ac.weightDecay()).amsgrad(ac.amsgrad())
                        .maximize(ac.maximize());
                opt = a;
            }
            try (Optimizer o = opt) {
                Map<String, Parameter> params = lin.namedParameterObjects();
                Map<String, RefState> ref = new LinkedHashMap<>();
                params.forEach((k, p) -> {
                    RefState s = new RefState();
                    s.p = TestData.toDouble(p.data().toArray());
                    ref.put(k, s);
                });
                for (int step = 0; step < steps; step++) {
                    o.zeroGrad();
                    float scale = (float) Math.pow(10, -2 + 3 * rng.nextDouble());
                    try (Tensor x = be.upload(TestData.randomFloats(rng, batch * in), Shape.of(batch, in));
                         Tensor dy = be.upload(scaledFloats(rng, batch * out, scale), Shape.of(batch, out));
                         Tape tape = Tape.start(); Tensor y = lin.forward(x)) {
                        tape.backward(y, dy).close();
                    }
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        assertNotNull(e.getValue().grad(), what + ": " + e.getKey() + " has no gradient");
                        float[] g = e.getValue().grad().toArray();
                        if (sgd) {
                            sgdReference(ref.get(e.getKey()), g, sc);
                        } else {
                            adamReference(ref.get(e.getKey()), g, ac);
                        }
                    }
                    o.step();
                    for (Map.Entry<String, Parameter> e : params.entrySet()) {
                        String m = mismatch(what + ", step " + (step + 1) + ", " + e.getKey(), e.getValue().data().toArray(),
                                ref.get(e.getKey()).p);
                        if (m != null) {
                            return m;
                        }
                    }
                }
                // the final state, by PyTorch's state_dict names
                Map<String, HostTensor> sd = o.stateDict();
                int i = 0;
                for (RefState s : ref.values()) {
                    String prefix = "state." + i + ".";
                    if (sgd && sc.momentum() == 0) { // no momentum_buffer: nothing to save (PyTorch holds None)
                        assertEquals(0, sd.keySet().stream().filter(k -> k.startsWith(prefix)).count(),
                                what + ": state without momentum " + sd.keySet());
                        i++;
                        continue;
                    }
                    HostTensor st = sd.get("state." + i + ".step");
                    assertNotNull(st, what + ": no state." + i + ".step");
                    assertEquals(steps, st.asLongs()[0], what + ": state." + i + ".step");
                    List<Object[]> expected = new ArrayList<>();
                    if (sgd && sc.momentum() != 0) {
                        expected.add(new Object[] {"momentum_buffer", s.buf});
                    } else if (!sgd) {
                        expected.add(new Object[] {"exp_avg", s.m});
                        expected.add(new Object[] {"exp_avg_sq", s.v});
                        if (ac.amsgrad()) {
                            expected.add(new Object[] {"max_exp_avg_sq", s.vmax});
                        }
                    }
                    assertEquals(1 + expected.size(), sd.keySet().stream().filter(k -> k.startsWith(prefix)).count(),
                            what + ": state tensors of parameter " + i + " in " + sd.keySet());
                    for (Object[] e : expected) {
                        String key = "state." + i + "." + e[0];
                        HostTensor t = sd.get(key);
                        assertNotNull(t, what + ": no " + key + " in " + sd.keySet());
                        String m = mismatch(what + ", " + key, t.data(), (double[]) e[1]);
                        if (m != null) {
                            return m;
                        }
                    }
                    i++;
                }
            }
        }
        return null;
    }

    private static float[] scaledFloats(SplittableRandom rng, int n, float scale) {
        float[] v = TestData.randomFloats(rng, n);
        for (int i = 0; i < n; i++) {
            v[i] *= scale;
        }
        return v;
    }

    private void runAll(String name, long seed, boolean sgd, boolean decoupled) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            SgdConfig sc = sgd ? sgdConfig(rng) : null;
            AdamConfig ac = sgd ? null : adamConfig(rng, decoupled);
            String what = name + " case " + i + " " + (sgd ? sc : ac);
            String m = check(what, rng, sgd, sc, ac);
            if (m != null) {
                failures.add(m);
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + CASES + " configurations differ from the reference; first: "
                    + String.join("\n", failures.subList(0, Math.min(5, failures.size()))));
        }
    }

    @Test
    void sgdMatchesPyTorchSingleTensorSgd() {
        runAll("SGD", 21, true, false);
    }

    @Test
    void adamMatchesPyTorchSingleTensorAdam() {
        runAll("Adam", 22, false, false);
    }

    @Test
    void adamWMatchesPyTorchSingleTensorAdamW() {
        runAll("AdamW", 23, false, true);
    }
}
