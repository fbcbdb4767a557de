package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Tape;
import org.layers4j.nn.loss.BCEWithLogitsLoss;
import org.layers4j.nn.loss.CrossEntropyLoss;
import org.layers4j.nn.loss.Loss;
import org.layers4j.nn.loss.MSELoss;
import org.layers4j.nn.loss.NLLLoss;
import org.layers4j.nn.loss.Reduction;
import org.layers4j.spi.Backend;

/**
 * The losses against {@link LossReference} (float64, PyTorch 1.13's formulas) over seeded random
 * configurations: the loss value and the input gradient from {@code tape.backward(loss)} (with a
 * random grad_output for reduction none), by the fixtures' rule max|err| <= 1e-4 * max(1, max|expected|).
 */
public abstract class BackendLossDifferentialTests {
    /** Configurations per loss. */
    static final int CASES = 240;
    private static final String[] REDUCTIONS = {"none", "mean", "sum"};
    private static final double[] SMOOTHING = {0, 0.1, 0.5, 1};

    protected abstract Backend backend();

    /** A loss configuration: its description and how to run it. */
    private record Run(String what, Loss loss, float[] x, int[] dims, Tensor target, double[] dy,
                       Function<double[], double[]> reference) {
    }

    private static int[] classDims(SplittableRandom rng, int c) {
        switch (rng.nextInt(3)) {
            case 0:
                return new int[] {c};
            case 1:
                return new int[] {1 + rng.nextInt(5), c};
            default:
                return new int[] {1 + rng.nextInt(3), c, 1 + rng.nextInt(3), 1 + rng.nextInt(3)};
        }
    }

    private static int[] targetDims(int[] dims) {
        if (dims.length == 1) {
            return new int[0];
        }
        int[] t = new int[dims.length - 1];
        t[0] = dims[0];
        for (int i = 2; i < dims.length; i++) {
            t[i - 1] = dims[i];
        }
        return t;
    }

    private static int size(int[] dims) {
        int s = 1;
        for (int d : dims) {
            s *= d;
        }
        return s;
    }

    private static float[] positiveWeights(SplittableRandom rng, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = (float) (0.1 + 2 * rng.nextDouble());
        }
        return w;
    }

    private static float[] scaled(SplittableRandom rng, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        }
        return v;
    }

    /** Class targets in [0, C), about a third of them set to ignore_index when it is a class or -100. */
    private static long[] targets(SplittableRandom rng, int count, int c, long ignoreIndex, boolean mean) {
        long[] t = new long[count];
        do {
            for (int i = 0; i < count; i++) {
                t[i] = rng.nextInt(3) == 0 ? ignoreIndex : rng.nextInt(c);
            }
        } while (mean && allIgnored(t, ignoreIndex)); // PyTorch: 0/0 = nan for an all-ignored mean
        return t;
    }

    private static boolean allIgnored(long[] t, long ignoreIndex) {
        for (long v : t) {
            if (v != ignoreIndex) {
                return false;
            }
        }
        return true;
    }

    private double[] upstream(SplittableRandom rng, String reduction, int[] lossDims) {
        return reduction.equals("none") ? TestData.toDouble(scaled(rng, size(lossDims), 1)) : new double[] {1};
    }

    private Run classification(SplittableRandom rng, boolean crossEntropy, int i) {
        int c = 1 + rng.nextInt(6);
        int[] dims = classDims(rng, c);
        int[] tdims = targetDims(dims);
        String red = REDUCTIONS[rng.nextInt(3)];
        float[] w = rng.nextBoolean() ? positiveWeights(rng, c) : null;
        long ii = rng.nextBoolean() || c == 1 ? -100 : rng.nextInt(c); // one class as ignore_index leaves none
        double ls = crossEntropy ? SMOOTHING[rng.nextInt(SMOOTHING.length)] : 0;
        long[] t = targets(rng, size(tdims), c, ii, red.equals("mean"));
        float[] x = scaled(rng, size(dims), crossEntropy ? 1 + 9 * rng.nextDouble() : 1);
        if (!crossEntropy) { // log-probabilities: log_softmax of the random logits, over the classes
            double[] lp = new double[x.length];
            int[] l = LossReference.classLayout(dims);
            for (int a = 0; a < l[0]; a++) {
                for (int j = 0; j < l[2]; j++) {
                    double s = 0;
                    for (int q = 0; q < c; q++) {
                        s += Math.exp(x[(a * c + q) * l[2] + j]);
                    }
                    for (int q = 0; q < c; q++) {
                        lp[(a * c + q) * l[2] + j] = x[(a * c + q) * l[2] + j] - Math.log(s);
                    }
                }
            }
            for (int q = 0; q < x.length; q++) {
                x[q] = (float) lp[q];
            }
        }
        Reduction r = Reduction.fromTorchName(red);
        Loss loss = crossEntropy ? new CrossEntropyLoss(w, ii, r, ls) : new NLLLoss(w, ii, r);
        String what = (crossEntropy ? "CrossEntropyLoss" : "NLLLoss") + " case " + i + ": input " + Shape.of(dims)
                + ", weight " + (w != null) + ", ignore_index " + ii + ", reduction " + red + ", label_smoothing " + ls;
        Function<double[], double[]> ref = crossEntropy ? v -> LossReference.crossEntropy(v, dims, t, w, ii, red, ls)
                : v -> LossReference.nll(v, dims, t, w, ii, red);
        return new Run(what, loss, x, dims, backend().upload(t, Shape.of(tdims)), upstream(rng, red, tdims), ref);
    }

    private Run mse(SplittableRandom rng, int i) {
        int[] dims = classDims(rng, 1 + rng.nextInt(6));
        String red = REDUCTIONS[rng.nextInt(3)];
        float[] x = scaled(rng, size(dims), 5);
        float[] y = scaled(rng, size(dims), 5);
        return new Run("MSELoss case " + i + ": input " + Shape.of(dims) + ", reduction " + red,
                new MSELoss(Reduction.fromTorchName(red)), x, dims, backend().upload(y, Shape.of(dims)),
                upstream(rng, red, dims), v -> LossReference.mse(v, y, red));
    }

    private Run bce(SplittableRandom rng, int i) {
        int[] dims = classDims(rng, 1 + rng.nextInt(6));
        String red = REDUCTIONS[rng.nextInt(3)];
        int last = dims[dims.length - 1];
        double scale = rng.nextInt(3) == 0 ? 50 : 1 + 4 * rng.nextDouble();
        float[] x = scaled(rng, size(dims), scale);
        float[] y = new float[x.length];
        for (int k = 0; k < y.length; k++) {
            y[k] = switch (rng.nextInt(3)) {
                case 0 -> 0f;
                case 1 -> 1f;
                default -> (float) rng.nextDouble();
            };
        }
        float[] w = switch (rng.nextInt(3)) {
            case 0 -> null;
            case 1 -> positiveWeights(rng, last);
            default -> positiveWeights(rng, x.length);
        };
        float[] pw = rng.nextBoolean() ? positiveWeights(rng, last) : null;
        return new Run("BCEWithLogitsLoss case " + i + ": input " + Shape.of(dims) + ", scale " + scale + ", weight "
                + (w == null ? "none" : w.length) + ", pos_weight " + (pw != null) + ", reduction " + red,
                new BCEWithLogitsLoss(w, Reduction.fromTorchName(red), pw), x, dims, backend().upload(y, Shape.of(dims)),
                upstream(rng, red, dims), v -> LossReference.bceWithLogits(v, dims, y, w, pw, red));
    }

    /** Runs one configuration; null when it matches, else what differs. */
    private String check(Run run) {
        Backend be = backend();
        double[] x64 = TestData.toDouble(run.x());
        double[] expected = run.reference().apply(x64);
        double[] expectedGrad = LossReference.gradient(x64, run.dy(), run.reference());
        try (Tensor target = run.target(); Tensor x = be.upload(run.x(), Shape.of(run.dims())); Tape tape = Tape.start();
             Tensor loss = run.loss().forward(x, target)) {
            String m = TestData.mismatch(loss.toArray(), expected);
            if (m != null) {
                return run.what() + ": loss " + m;
            }
            Gradients g;
            if (run.loss().reduction() == Reduction.NONE) {
                float[] dy = new float[run.dy().length];
                for (int k = 0; k < dy.length; k++) {
                    dy[k] = (float) run.dy()[k];
                }
                try (Tensor dyt = be.upload(dy, loss.shape())) {
                    g = tape.backward(loss, dyt);
                }
            } else {
                assertEquals(0, loss.shape().rank(), run.what() + ": a reduced loss is a scalar");
                g = tape.backward(loss);
            }
            try (Gradients gg = g) {
                Tensor dx = gg.of(x);
                assertNotNull(dx, run.what() + ": no input gradient");
                m = TestData.mismatch(dx.toArray(), expectedGrad);
                return m == null ? null : run.what() + ": input gradient " + m;
            }
        }
    }

    private void runAll(long seed, Function<SplittableRandom, Function<Integer, Run>> maker) {
        SplittableRandom rng = new SplittableRandom(seed);
        Function<Integer, Run> make = maker.apply(rng);
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            String m = check(make.apply(i));
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
    void crossEntropyMatchesReference() {
        runAll(11, rng -> i -> classification(rng, true, i));
    }

    @Test
    void nllMatchesReference() {
        runAll(12, rng -> i -> classification(rng, false, i));
    }

    @Test
    void mseMatchesReference() {
        runAll(13, rng -> i -> mse(rng, i));
    }

    @Test
    void bceWithLogitsMatchesReference() {
        runAll(14, rng -> i -> bce(rng, i));
    }
}
