package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Tape;
import org.layers4j.nn.activation.GELU;
import org.layers4j.nn.activation.Hardsigmoid;
import org.layers4j.nn.activation.Hardswish;
import org.layers4j.nn.activation.Hardtanh;
import org.layers4j.nn.activation.ReLU6;
import org.layers4j.nn.activation.SiLU;
import org.layers4j.nn.functional.Activations;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.spi.Backend;

/**
 * Randomized differential tests of broadcasting and scalar arithmetic, sum / mean and the pointwise
 * activations ({@link Arithmetic}, {@link Activations} and the activation modules) on one backend, against
 * float64 references computed here: seeded random configurations (broadcast shapes of rank 0 to 5 with
 * size-1 and missing leading dimensions, scalar tensors, per-channel operands as CNNs use them, NaN and
 * infinities, activations exactly at and next to their kinks), each op's output and its gradients to every
 * operand recorded on a {@link Tape}, by the fixtures' rule max|err| &lt;= 1e-4 * max(1, max|expected|)
 * (NaN and infinities must match exactly). Plus PyTorch 1.13's values at the kinks, reprs, and the error
 * messages.
 */
public abstract class BackendPointwiseDifferentialTests {
    static final int CONFIGS = 200;
    private static final double TOL = 1e-4;

    protected abstract Backend backend();

    // ---- harness --------------------------------------------------------------------------------

    private interface Case {
        String check();
    }

    private static Case named(String description, Case check) {
        return new Case() {
            @Override
            public String check() {
                return check.check();
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    private void runConfigs(String what, long seed, int configs, Function<SplittableRandom, Case> draw) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> failures = new ArrayList<>();
        for (int done = 0; done < configs; done++) {
            Case c = draw.apply(rng);
            String problem;
            try {
                problem = c.check();
            } catch (RuntimeException | AssertionError e) {
                problem = "threw " + e;
            }
            if (problem != null) {
                failures.add(c + ": " + problem);
            }
        }
        assertTrue(failures.isEmpty(), () -> what + ": " + failures.size() + " of " + configs + " configurations failed:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static String mismatch(String what, float[] actual, double[] expected) {
        return BackendLayerDifferentialTests.mismatch(what, actual, expected, TOL);
    }

    private static String first(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    static int size(int[] dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        return n;
    }

    /** For each row-major index of {@code out}, the offset of the broadcast element of an operand of {@code dims}. */
    static int[] offsets(int[] out, int[] dims) {
        int n = size(out);
        int[] off = new int[n];
        int lead = out.length - dims.length;
        for (int i = 0; i < n; i++) {
            int rem = i;
            int o = 0;
            int stride = 1;
            for (int d = out.length - 1; d >= 0; d--) {
                int idx = rem % out[d];
                rem /= out[d];
                if (d >= lead) {
                    int od = dims[d - lead];
                    o += (od == 1 ? 0 : idx) * stride;
                    stride *= od;
                }
            }
            off[i] = o;
        }
        return off;
    }

    /** Uniform [-1, 1], or (kind 1) small integers, or (kind 2) with NaN / ±inf / 0 sprinkled in. */
    static float[] values(SplittableRandom r, int n, int kind) {
        float[] v = BackendLayerDifferentialTests.values(r, n, kind == 2 ? 0 : kind);
        if (kind == 2) {
            for (int i = 0; i < n; i++) {
                if (r.nextInt(6) == 0) {
                    v[i] = switch (r.nextInt(4)) {
                        case 0 -> Float.NaN;
                        case 1 -> Float.POSITIVE_INFINITY;
                        case 2 -> Float.NEGATIVE_INFINITY;
                        default -> 0f;
                    };
                }
            }
        }
        return v;
    }

    /** Values for a divisor: |b| in [0.5, 2] (or, kind 2, also NaN / ±inf / 0). */
    static float[] divisors(SplittableRandom r, int n, int kind) {
        float[] v = values(r, n, kind);
        for (int i = 0; i < n; i++) {
            if (Float.isFinite(v[i]) && (kind != 2 || v[i] != 0f)) {
                v[i] = (float) ((0.5 + 1.5 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
            }
        }
        return v;
    }

    private static int[] randomDims(SplittableRandom r, int rank) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = r.nextInt(4) == 0 ? 1 : 2 + r.nextInt(3);
        }
        return d;
    }

    /** An operand shape that broadcasts to {@code out}: some leading dims dropped, some others 1. */
    private static int[] operand(SplittableRandom r, int[] out) {
        int drop = r.nextInt(3) == 0 ? r.nextInt(out.length + 1) : 0;
        int[] d = Arrays.copyOfRange(out, drop, out.length);
        double p = r.nextInt(3) == 0 ? 0 : 0.35;
        for (int i = 0; i < d.length; i++) {
            if (r.nextDouble() < p) {
                d[i] = 1;
            }
        }
        return d;
    }

    // ---- broadcasting arithmetic ------------------------------------------------------------------

    enum BinOp { ADD, ADD_ALPHA, SUB, SUB_ALPHA, MUL, DIV }

    static double apply(BinOp op, double alpha, double a, double b) {
        return switch (op) {
            case ADD, ADD_ALPHA -> a + alpha * b;
            case SUB, SUB_ALPHA -> a - alpha * b;
            case MUL -> a * b;
            case DIV -> a / b;
        };
    }

    static double gradA(BinOp op, double a, double b, double dy) {
        return switch (op) {
            case ADD, ADD_ALPHA, SUB, SUB_ALPHA -> dy;
            case MUL -> dy * b;
            case DIV -> dy / b;
        };
    }

    static double gradB(BinOp op, double alpha, double a, double b, double dy) {
        return switch (op) {
            case ADD, ADD_ALPHA -> alpha * dy;
            case SUB, SUB_ALPHA -> -alpha * dy;
            case MUL -> dy * a;
            case DIV -> -(dy * ((a / b) / b));
        };
    }

    private Tensor callBinary(BinOp op, double alpha, Tensor a, Tensor b) {
        return switch (op) {
            case ADD -> Arithmetic.add(a, b);
            case ADD_ALPHA -> Arithmetic.add(a, b, alpha);
            case SUB -> Arithmetic.sub(a, b);
            case SUB_ALPHA -> Arithmetic.sub(a, b, alpha);
            case MUL -> Arithmetic.mul(a, b);
            case DIV -> Arithmetic.div(a, b);
        };
    }

    /** One broadcasting op forward and backward on the backend against the reference; null when it matches. */
    private String checkBinary(BinOp op, double alpha, int[] ad, int[] bd, float[] av, float[] bv, SplittableRandom r) {
        Backend be = backend();
        int[] out = broadcastDims(ad, bd);
        int n = size(out);
        float[] dy = values(r, n, 0);
        int[] oa = offsets(out, ad);
        int[] ob = offsets(out, bd);
        double[] y = new double[n];
        double[] ga = new double[av.length];
        double[] gb = new double[bv.length];
        for (int i = 0; i < n; i++) {
            double a = av[oa[i]];
            double b = bv[ob[i]];
            y[i] = apply(op, alpha, a, b);
            ga[oa[i]] += gradA(op, a, b, dy[i]);
            gb[ob[i]] += gradB(op, alpha, a, b, dy[i]);
        }
        try (Tensor a = be.upload(av, Shape.of(ad)); Tensor b = be.upload(bv, Shape.of(bd)); Tape t = Tape.start()) {
            try (Tensor res = callBinary(op, alpha, a, b)) {
                if (!Arrays.equals(res.shape().dims(), out)) {
                    return "output shape " + res.shape().dimsString() + ", expected " + Arrays.toString(out);
                }
                try (Tensor dyt = be.upload(dy, res.shape()); Gradients g = t.backward(res, dyt)) {
                    Tensor gat = g.of(a);
                    Tensor gbt = g.of(b);
                    if (gat == null || gbt == null) {
                        return "no gradient reached " + (gat == null ? "a" : "b");
                    }
                    if (!gat.shape().equals(a.shape()) || !gbt.shape().equals(b.shape())) {
                        return "gradient shapes " + gat.shape().dimsString() + " / " + gbt.shape().dimsString();
                    }
                    return first(mismatch("output", res.toArray(), y), mismatch("grad_a", gat.toArray(), ga),
                            mismatch("grad_b", gbt.toArray(), gb));
                }
            }
        }
    }

    static int[] broadcastDims(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i - (rank - a.length) >= 0 ? a[i - (rank - a.length)] : 1;
            int db = i - (rank - b.length) >= 0 ? b[i - (rank - b.length)] : 1;
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    private static final double[] ALPHAS = {0.5, -2, 1.5, 0.25, -1, 3};

    private Case binaryCase(SplittableRandom r, BinOp op, int[] ad, int[] bd, int kind) {
        double alpha = op == BinOp.ADD_ALPHA || op == BinOp.SUB_ALPHA ? ALPHAS[r.nextInt(ALPHAS.length)] : 1;
        float[] av = values(r, size(ad), kind);
        float[] bv = op == BinOp.DIV ? divisors(r, size(bd), kind) : values(r, size(bd), kind);
        String desc = op + " alpha=" + alpha + " a" + Arrays.toString(ad) + " b" + Arrays.toString(bd) + " kind " + kind;
        return named(desc, () -> checkBinary(op, alpha, ad, bd, av, bv, r));
    }

    private Case randomBinary(SplittableRandom r, BinOp op) {
        int[] out = randomDims(r, r.nextInt(6));
        int[] ad = operand(r, out);
        int[] bd = operand(r, out);
        if (r.nextInt(6) == 0) {
            bd = r.nextBoolean() ? new int[0] : new int[] {1};
        }
        if (r.nextBoolean()) {
            int[] t = ad;
            ad = bd;
            bd = t;
        }
        return binaryCase(r, op, ad, bd, r.nextInt(4) == 0 ? 2 : r.nextInt(2));
    }

    @Test
    void addBroadcastsLikePyTorch() {
        runConfigs("add", 9101, CONFIGS, r -> randomBinary(r, BinOp.ADD));
    }

    @Test
    void addWithAlphaBroadcastsLikePyTorch() {
        runConfigs("add(alpha)", 9102, CONFIGS, r -> randomBinary(r, BinOp.ADD_ALPHA));
    }

    @Test
    void subBroadcastsLikePyTorch() {
        runConfigs("sub", 9103, CONFIGS, r -> randomBinary(r, r.nextBoolean() ? BinOp.SUB : BinOp.SUB_ALPHA));
    }

    @Test
    void mulBroadcastsLikePyTorch() {
        runConfigs("mul", 9104, CONFIGS, r -> randomBinary(r, BinOp.MUL));
    }

    @Test
    void divBroadcastsLikePyTorch() {
        runConfigs("div", 9105, CONFIGS, r -> randomBinary(r, BinOp.DIV));
    }

    /**
     * The shapes CNNs use, large enough that work is split in chunks mid-row: same shapes, a scalar, a
     * per-channel [N, C, 1, 1] / [1, C, 1, 1] / [C, 1, 1] operand (squeeze-excitation, layer scale), a
     * row vector [W], on either side.
     */
    @Test
    void cnnBroadcastShapesMatchReference() {
        runConfigs("cnn shapes", 9106, 48, r -> {
            int n = 1 + r.nextInt(3);
            int c = 1 + r.nextInt(12);
            int h = 20 + r.nextInt(60);
            int w = 20 + r.nextInt(60);
            int[] full = {n, c, h, w};
            int[] other = switch (r.nextInt(7)) {
                case 0 -> full.clone();
                case 1 -> new int[0];
                case 2 -> new int[] {n, c, 1, 1};
                case 3 -> new int[] {1, c, 1, 1};
                case 4 -> new int[] {c, 1, 1};
                case 5 -> new int[] {w};
                default -> new int[] {1, 1, h, 1};
            };
            BinOp op = BinOp.values()[r.nextInt(BinOp.values().length)];
            boolean swap = r.nextBoolean();
            return binaryCase(r, op, swap ? other : full, swap ? full : other, r.nextInt(5) == 0 ? 2 : 0);
        });
    }

    // ---- scalar arithmetic ----------------------------------------------------------------------

    enum ScalarOp { ADD, SUB, RSUB, MUL, DIV, RDIV, NEG }

    @Test
    void scalarArithmeticMatchesReference() {
        Backend be = backend();
        double[] scalars = {0, 1, -1, 2.5, -0.375, 1e-3, 7, Double.POSITIVE_INFINITY, Double.NaN};
        runConfigs("scalar ops", 9201, CONFIGS, r -> {
            ScalarOp op = ScalarOp.values()[r.nextInt(ScalarOp.values().length)];
            int[] dims = randomDims(r, r.nextInt(5));
            int kind = r.nextInt(4) == 0 ? 2 : r.nextInt(2);
            double s0 = r.nextInt(4) == 0 ? scalars[r.nextInt(scalars.length)] : r.nextDouble() * 6 - 3;
            double s = (op == ScalarOp.DIV) && s0 == 0 && kind != 2 ? 0.5 : s0;
            float[] xv = op == ScalarOp.RDIV ? divisors(r, size(dims), kind) : values(r, size(dims), kind);
            float[] dy = values(r, xv.length, 0);
            return named(op + " s=" + s + " " + Arrays.toString(dims) + " kind " + kind, () -> {
                double sf = (float) s;
                double[] y = new double[xv.length];
                double[] g = new double[xv.length];
                for (int i = 0; i < xv.length; i++) {
                    double x = xv[i];
                    y[i] = switch (op) {
                        case ADD -> x + sf;
                        case SUB -> x - sf;
                        case RSUB -> sf - x;
                        case MUL -> x * sf;
                        case DIV -> x / sf;
                        case RDIV -> sf / x;
                        case NEG -> -x;
                    };
                    g[i] = switch (op) {
                        case ADD, SUB -> dy[i];
                        case RSUB, NEG -> -dy[i];
                        case MUL -> dy[i] * sf;
                        case DIV -> dy[i] / sf;
                        case RDIV -> -(dy[i] * ((sf / x) / x));
                    };
                }
                try (Tensor x = be.upload(xv, Shape.of(dims)); Tape t = Tape.start()) {
                    try (Tensor out = switch (op) {
                        case ADD -> Arithmetic.add(x, s);
                        case SUB -> Arithmetic.sub(x, s);
                        case RSUB -> Arithmetic.rsub(s, x);
                        case MUL -> Arithmetic.mul(x, s);
                        case DIV -> Arithmetic.div(x, s);
                        case RDIV -> Arithmetic.rdiv(s, x);
                        case NEG -> Arithmetic.neg(x);
                    }; Tensor dyt = be.upload(dy, out.shape()); Gradients gr = t.backward(out, dyt)) {
                        if (!out.shape().equals(x.shape())) {
                            return "output shape " + out.shape().dimsString();
                        }
                        return first(mismatch("output", out.toArray(), y), mismatch("grad", gr.of(x).toArray(), g));
                    }
                }
            });
        });
    }

    // ---- reductions -----------------------------------------------------------------------------

    @Test
    void sumAndMeanOverAnyDimsMatchReference() {
        Backend be = backend();
        runConfigs("sum / mean", 9301, CONFIGS, r -> {
            int rank = r.nextInt(6);
            int[] dims = randomDims(r, rank);
            if (rank > 0 && r.nextInt(10) == 0) {
                dims[r.nextInt(rank)] = 0; // an empty tensor
            }
            if (rank > 0 && r.nextInt(8) == 0) {
                dims[rank - 1] = 300 + r.nextInt(3000); // long rows
            }
            boolean mean = r.nextBoolean();
            boolean keepdim = r.nextBoolean();
            int[] red;
            if (r.nextInt(6) == 0) {
                red = r.nextBoolean() ? null : new int[0];
            } else {
                List<Integer> pick = new ArrayList<>();
                for (int d = 0; d < Math.max(rank, 1); d++) {
                    if (r.nextInt(2) == 0) {
                        pick.add(r.nextBoolean() || rank == 0 ? d - Math.max(rank, 1) : d);
                    }
                }
                java.util.Collections.shuffle(pick, new java.util.Random(r.nextLong()));
                red = pick.stream().mapToInt(Integer::intValue).toArray();
                if (red.length == 0) {
                    red = new int[] {rank == 0 ? 0 : r.nextInt(rank)};
                }
            }
            int kind = r.nextInt(5) == 0 ? 2 : r.nextInt(2);
            float[] xv = values(r, size(dims), kind);
            int[] reduce = red;
            return named((mean ? "mean" : "sum") + " " + Arrays.toString(dims) + " dims=" + Arrays.toString(reduce)
                    + " keepdim=" + keepdim + " kind " + kind, () -> checkReduction(be, dims, reduce, keepdim, mean, xv, r));
        });
    }

    private String checkReduction(Backend be, int[] dims, int[] red, boolean keepdim, boolean mean, float[] xv,
                                  SplittableRandom r) {
        int rank = dims.length;
        boolean[] flag = new boolean[rank];
        if (red == null || red.length == 0) {
            Arrays.fill(flag, true);
        } else {
            for (int d : red) {
                int k = d < 0 ? d + Math.max(rank, 1) : d;
                if (k < rank) {
                    flag[k] = true;
                }
            }
        }
        int[] keep = dims.clone();
        List<Integer> outList = new ArrayList<>();
        int count = 1;
        for (int d = 0; d < rank; d++) {
            if (flag[d]) {
                count *= dims[d];
                keep[d] = 1;
                if (keepdim) {
                    outList.add(1);
                }
            } else {
                outList.add(dims[d]);
            }
        }
        int[] out = outList.stream().mapToInt(Integer::intValue).toArray();
        int[] off = offsets(dims, keep);
        double[] y = new double[size(keep)];
        for (int i = 0; i < xv.length; i++) {
            y[off[i]] += xv[i];
        }
        if (mean) {
            for (int i = 0; i < y.length; i++) {
                y[i] /= count;
            }
        }
        float[] dy = values(r, y.length, 0);
        double[] g = new double[xv.length];
        for (int i = 0; i < xv.length; i++) {
            g[i] = mean ? dy[off[i]] / (double) (float) count : dy[off[i]];
        }
        try (Tensor x = be.upload(xv, Shape.of(dims)); Tape t = Tape.start()) {
            try (Tensor res = mean ? Arithmetic.mean(x, red, keepdim) : Arithmetic.sum(x, red, keepdim)) {
                if (!Arrays.equals(res.shape().dims(), out)) {
                    return "output shape " + res.shape().dimsString() + ", expected " + Arrays.toString(out);
                }
                try (Tensor dyt = be.upload(dy, res.shape()); Gradients gr = t.backward(res, dyt)) {
                    Tensor gx = gr.of(x);
                    if (gx == null || !gx.shape().equals(x.shape())) {
                        return "gradient " + gx;
                    }
                    return first(mismatch("output", res.toArray(), y), mismatch("grad", gx.toArray(), g));
                }
            }
        }
    }

    // ---- activations ----------------------------------------------------------------------------

    enum Act { RELU, RELU6, HARDTANH, SILU, HARDSWISH, HARDSIGMOID, GELU, GELU_TANH, SIGMOID, TANH }

    /** Java has no erf: the all-positive series 2/sqrt(pi) e^(-x^2) sum (2x^2)^n x / (2n+1)!!, ±1 beyond |x| 6. */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        if (Math.abs(x) > 6) {
            return Math.signum(x);
        }
        double term = x;
        double sum = x;
        for (int n = 1; n < 400; n++) {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (Math.abs(term) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * Math.exp(-x * x) * sum;
    }

    private static final double K_BETA = Math.sqrt(2 / Math.PI);
    private static final double K_KAPPA = 0.044715;

    /** {y, dx} for one element, PyTorch 1.13's formulas in double; lo / hi are hardtanh's float32 bounds. */
    static double[] activation(Act a, double lo, double hi, double x, double dy) {
        switch (a) {
            case RELU -> {
                return new double[] {x <= 0 ? 0 : x, x <= 0 ? 0 : dy};
            }
            case RELU6, HARDTANH -> {
                double l = a == Act.RELU6 ? 0 : lo;
                double h = a == Act.RELU6 ? 6 : hi;
                double v = x < l ? l : x;
                return new double[] {v > h ? h : v, x <= l || x >= h ? 0 : dy};
            }
            case SILU -> {
                double s = 1 / (1 + Math.exp(-x));
                return new double[] {x / (1 + Math.exp(-x)), dy * s * (1 + x * (1 - s))};
            }
            case HARDSWISH -> {
                double c = x + 3 < 0 ? 0 : x + 3;
                c = c > 6 ? 6 : c;
                return new double[] {x * c / 6, x < -3 ? 0 : x <= 3 ? dy * (x / 3 + 0.5) : dy};
            }
            case HARDSIGMOID -> {
                double c = x + 3 < 0 ? 0 : x + 3;
                c = c > 6 ? 6 : c;
                return new double[] {c / 6, x > -3 && x < 3 ? dy / 6 : 0};
            }
            case GELU -> {
                double cdf = 0.5 * (1 + erf(x / Math.sqrt(2)));
                double pdf = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
                return new double[] {x * cdf, dy * (cdf + x * pdf)};
            }
            case GELU_TANH -> {
                double t = Math.tanh(K_BETA * (x + K_KAPPA * x * x * x));
                double dl = 0.5 * (1 + t);
                double dr = 0.5 * x * (1 - t * t) * K_BETA * (1 + 3 * K_KAPPA * x * x);
                return new double[] {0.5 * x * (1 + t), dy * (dl + dr)};
            }
            case SIGMOID -> {
                double y = 1 / (1 + Math.exp(-x));
                return new double[] {y, dy * y * (1 - y)};
            }
            default -> {
                double y = Math.tanh(x);
                return new double[] {y, dy * (1 - y * y)};
            }
        }
    }

    private static final float[][] BOUNDS = {{-1, 1}, {0, 6}, {-0.5f, 2.25f}, {-3, 0}, {Float.NEGATIVE_INFINITY, 1}};

    /** Values around the activations' kinks: exactly at them, one float32 ulp either side, wide and non-finite ones. */
    static float[] activationInputs(SplittableRandom r, int n, float lo, float hi) {
        float[] kinks = {-3, 3, 0, 6, -1, 1, lo, hi};
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            int k = r.nextInt(10);
            if (k < 3) {
                float p = kinks[r.nextInt(kinks.length)];
                v[i] = switch (r.nextInt(3)) {
                    case 0 -> Math.nextUp(p);
                    case 1 -> Math.nextDown(p);
                    default -> p;
                };
                v[i] = Float.isNaN(v[i]) ? 0 : v[i];
            } else if (k < 7) {
                v[i] = (float) (r.nextDouble() * 16 - 8);
            } else if (k < 9) {
                v[i] = (float) (r.nextDouble() * 160 - 80);
            } else {
                v[i] = switch (r.nextInt(3)) {
                    case 0 -> Float.NaN;
                    case 1 -> Float.POSITIVE_INFINITY;
                    default -> Float.NEGATIVE_INFINITY;
                };
            }
        }
        return v;
    }

    private static Tensor callActivation(Act a, float lo, float hi, Tensor x) {
        return switch (a) {
            case RELU -> Activations.relu(x);
            case RELU6 -> Activations.relu6(x);
            case HARDTANH -> Activations.hardtanh(x, lo, hi);
            case SILU -> Activations.silu(x);
            case HARDSWISH -> Activations.hardswish(x);
            case HARDSIGMOID -> Activations.hardsigmoid(x);
            case GELU -> Activations.gelu(x, "none");
            case GELU_TANH -> Activations.gelu(x, "tanh");
            case SIGMOID -> Activations.sigmoid(x);
            case TANH -> Activations.tanh(x);
        };
    }

    /** The module form of an activation (null for those without a new module here). */
    private Module module(Act a, float lo, float hi) {
        Backend be = backend();
        return switch (a) {
            case RELU6 -> new ReLU6(be);
            case HARDTANH -> new Hardtanh(lo, hi, be);
            case SILU -> new SiLU(be);
            case HARDSWISH -> new Hardswish(be);
            case HARDSIGMOID -> new Hardsigmoid(be);
            case GELU -> new GELU("none", be);
            case GELU_TANH -> new GELU("tanh", be);
            default -> null;
        };
    }

    @Test
    void activationsAtAndAroundTheirKinksMatchReference() {
        Backend be = backend();
        runConfigs("activations", 9401, 3 * CONFIGS, r -> {
            Act a = Act.values()[r.nextInt(Act.values().length)];
            float[] bound = BOUNDS[r.nextInt(BOUNDS.length)];
            float lo = bound[0];
            float hi = bound[1];
            int[] dims = randomDims(r, r.nextInt(5));
            if (r.nextInt(8) == 0) {
                dims = new int[] {2, 3, 40, 300}; // several chunks
            }
            float[] xv = activationInputs(r, size(dims), lo, hi);
            float[] dy = values(r, xv.length, 0);
            boolean asModule = r.nextBoolean() && module(a, lo, hi) != null;
            int[] shape = dims;
            return named(a + (a == Act.HARDTANH ? "(" + lo + ", " + hi + ")" : "") + (asModule ? " module " : " ")
                    + Arrays.toString(shape), () -> {
                        double[] y = new double[xv.length];
                        double[] g = new double[xv.length];
                        for (int i = 0; i < xv.length; i++) {
                            double[] e = activation(a, lo, hi, xv[i], dy[i]);
                            y[i] = e[0];
                            g[i] = e[1];
                        }
                        try (Tensor x = be.upload(xv, Shape.of(shape)); Tensor dyt = be.upload(dy, Shape.of(shape))) {
                            if (asModule) {
                                try (Module m = module(a, lo, hi); Tensor out = m.forward(x);
                                     Gradients gr = m.backward(x, dyt)) {
                                    return first(mismatch("output", out.toArray(), y),
                                            mismatch("grad", gr.input().toArray(), g));
                                }
                            }
                            try (Tape t = Tape.start(); Tensor out = callActivation(a, lo, hi, x);
                                 Gradients gr = t.backward(out, dyt)) {
                                return first(mismatch("output", out.toArray(), y), mismatch("grad", gr.of(x).toArray(), g));
                            }
                        }
                    });
        });
    }

    /** x at the kinks and beyond, and PyTorch 1.13's outputs and gradients (of sum) there, as torch printed them. */
    private static final float[] EDGE_X = {Float.NEGATIVE_INFINITY, -3.0000002f, -3f, -1f, 0f, 1e-5f, 3f, 3.0000002f, 6f,
        6.0000005f, Float.POSITIVE_INFINITY, Float.NaN};
    private static final float NAN = Float.NaN;
    private static final float INF = Float.POSITIVE_INFINITY;

    private static final Object[][] TORCH_EDGES = {
        {Act.HARDSWISH, new float[] {NAN, -0.0f, -0.0f, -0.3333333432674408f, 0.0f, 5.000016699341359e-06f, 3.0f,
            3.000000238418579f, 6.0f, 6.000000476837158f, INF, NAN},
            new float[] {0.0f, 0.0f, -0.5f, 0.1666666567325592f, 0.5f, 0.5000033378601074f, 1.5f, 1.0f, 1.0f, 1.0f, 1.0f,
                1.0f}},
        {Act.HARDSIGMOID, new float[] {0.0f, 0.0f, 0.0f, 0.3333333432674408f, 0.5f, 0.5000016689300537f, 1.0f, 1.0f, 1.0f,
            1.0f, 1.0f, NAN},
            new float[] {0.0f, 0.0f, 0.0f, 0.1666666716337204f, 0.1666666716337204f, 0.1666666716337204f, 0.0f, 0.0f, 0.0f,
                0.0f, 0.0f, 0.0f}},
        {Act.RELU6, new float[] {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 9.999999747378752e-06f, 3.0f, 3.000000238418579f, 6.0f,
            6.0f, 6.0f, NAN},
            new float[] {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 1.0f}},
        {Act.SILU, new float[] {NAN, -0.14227759838104248f, -0.14227761328220367f, -0.2689414322376251f, 0.0f,
            5.0000248847936746e-06f, 2.857722520828247f, 2.857722759246826f, 5.985164642333984f, 5.985165119171143f, INF,
            NAN},
            new float[] {NAN, -0.08810410648584366f, -0.08810410648584366f, 0.07232948392629623f, 0.5f,
                0.5000050067901611f, 1.0881041288375854f, 1.0881041288375854f, 1.0123262405395508f, 1.0123262405395508f,
                NAN, NAN}},
        {Act.GELU, new float[] {NAN, -0.004049867857247591f, -0.004049867391586304f, -0.1586552858352661f, 0.0f,
            5.000038981961552e-06f, 2.995950222015381f, 2.99595046043396f, 6.0f, 6.000000476837158f, INF, NAN},
            new float[] {NAN, -0.011945575475692749f, -0.011945605278015137f, -0.08331543207168579f, 0.5f,
                0.5000078678131104f, 1.0119456052780151f, 1.0119456052780151f, 1.0f, 1.0f, NAN, NAN}},
        {Act.GELU_TANH, new float[] {NAN, -0.003637433284893632f, -0.0036374330520629883f, -0.15880799293518066f, 0.0f,
            5.000039891456254e-06f, 2.9963626861572266f, 2.9963626861572266f, 6.0f, 6.000000476837158f, INF, NAN},
            new float[] {NAN, -0.011584299616515636f, -0.011584296822547913f, -0.08296409249305725f, 0.5f,
                0.5000079870223999f, 1.0115842819213867f, 1.0115842819213867f, 1.0f, 1.0f, NAN, NAN}},
        {Act.HARDTANH, new float[] {-1.0f, -1.0f, -1.0f, -1.0f, 0.0f, 9.999999747378752e-06f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,
            NAN},
            new float[] {0.0f, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 1.0f}},
    };

    @Test
    void kinksAndNonFiniteInputsGiveWhatPyTorchGives() {
        Backend be = backend();
        float[] ones = new float[EDGE_X.length];
        Arrays.fill(ones, 1f);
        List<String> problems = new ArrayList<>();
        for (Object[] row : TORCH_EDGES) {
            Act a = (Act) row[0];
            try (Tensor x = be.upload(EDGE_X, Shape.of(EDGE_X.length)); Tensor dy = be.upload(ones, x.shape());
                 Tape t = Tape.start(); Tensor y = callActivation(a, -1, 1, x); Gradients g = t.backward(y, dy)) {
                String p = first(close(a + " output", y.toArray(), (float[]) row[1]),
                        close(a + " grad", g.of(x).toArray(), (float[]) row[2]));
                if (p != null) {
                    problems.add(p);
                }
            }
        }
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    /**
     * Within 1e-6 * max(1, |PyTorch's value|), NaN and infinities exact. (Not tighter: PyTorch evaluates
     * 1 + erf(x) and the SiLU gradient in float32, which near x = -3 is off from the exact value by 2e-7;
     * the kinks' gradients differ by far more than that.)
     */
    private static String close(String what, float[] got, float[] want) {
        for (int i = 0; i < want.length; i++) {
            boolean ok = Float.isFinite(want[i]) ? Math.abs(got[i] - want[i]) <= 1e-6 * Math.max(1, Math.abs(want[i]))
                    : Float.compare(Math.abs(got[i]), Math.abs(want[i])) == 0 || got[i] == want[i];
            if (!ok) {
                return what + " at x=" + EDGE_X[i] + ": " + got[i] + ", PyTorch " + want[i];
            }
        }
        return null;
    }

    // ---- modules --------------------------------------------------------------------------------

    @Test
    void modulesPrintAsPyTorchAndExposeTheirArguments() {
        Backend be = backend();
        Hardtanh ht = new Hardtanh(be);
        assertEquals("Hardtanh(min_val=-1.0, max_val=1.0)", ht.toString());
        assertEquals(-1.0, ht.minVal());
        assertEquals(1.0, ht.maxVal());
        assertEquals("Hardtanh(min_val=1e-05, max_val=2.5)", new Hardtanh(1e-5, 2.5, be).toString());
        ReLU6 r6 = new ReLU6(be);
        assertEquals("ReLU6()", r6.toString());
        assertEquals(0.0, r6.minVal());
        assertEquals(6.0, r6.maxVal());
        assertEquals("GELU(approximate='none')", new GELU(be).toString());
        GELU gt = new GELU("tanh", be);
        assertEquals("GELU(approximate='tanh')", gt.toString());
        assertEquals("tanh", gt.approximate());
        assertEquals("SiLU()", new SiLU(be).toString());
        assertEquals("Hardswish()", new Hardswish(be).toString());
        assertEquals("Hardsigmoid()", new Hardsigmoid(be).toString());
        assertTrue(new SiLU(be).parameters().isEmpty());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GELU("exact", be));
        assertEquals("approximate argument must be either none or tanh.", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Hardtanh(1, 1, be));
        assertThrows(IllegalArgumentException.class, () -> new Hardtanh(Double.NaN, 1, be));
    }

    // ---- errors and empties ---------------------------------------------------------------------

    @Test
    void badArgumentsGivePyTorchsMessages() {
        Backend be = backend();
        try (Tensor a = be.upload(new float[6], Shape.of(2, 3)); Tensor b = be.upload(new float[8], Shape.of(2, 4));
             Tensor c = be.upload(new float[12], Shape.of(3, 1, 4)); Tensor l = be.upload(new long[] {1, 2}, Shape.of(2))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.add(a, b));
            assertEquals("The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.mul(c, a));
            assertEquals("The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 2",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.div(b, a));
            assertEquals("The size of tensor a (4) must match the size of tensor b (3) at non-singleton dimension 1",
                    e.getMessage());
            try (Tensor ok = Arithmetic.div(b, c)) {
                assertArrayEquals(new int[] {3, 2, 4}, ok.shape().dims());
            }
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.add(a, l));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.mul(l, 2.0));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Activations.silu(l));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.sum(l, null, false));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.sum(a, new int[] {1, -1}, false));
            assertEquals("sum: dim 1 appears multiple times in the list of dims", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.mean(a, new int[] {5}, false));
            assertEquals("mean: Dimension out of range (expected to be in range of [-2, 1], but got 5)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.sum(a, new int[] {-3}, true));
            assertTrue(e.getMessage().contains("but got -3"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Activations.gelu(a, "fast"));
            assertEquals("approximate argument must be either none or tanh.", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Arithmetic.add(a, (Tensor) null));
            a.close();
            e = assertThrows(IllegalArgumentException.class, () -> Arithmetic.neg(a));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
        }
    }

    @Test
    void emptyTensorsGiveEmptyResultsAndZeroGradients() {
        Backend be = backend();
        try (Tensor a = be.upload(new float[0], Shape.of(0, 3)); Tensor b = be.upload(new float[] {1, 2, 3}, Shape.of(1, 3));
             Tape t = Tape.start(); Tensor y = Arithmetic.mul(a, b)) {
            assertArrayEquals(new int[] {0, 3}, y.shape().dims());
            try (Tensor dy = be.upload(new float[0], y.shape()); Gradients g = t.backward(y, dy)) {
                assertArrayEquals(new float[3], g.of(b).toArray());
                assertEquals(Shape.of(1, 3), g.of(b).shape());
            }
        }
        try (Tensor e = be.upload(new float[0], Shape.of(0, 3)); Tensor s = Arithmetic.sum(e, new int[] {0}, false);
             Tensor m = Arithmetic.mean(e, new int[] {0}, true); Tensor all = Arithmetic.sum(e, null, false)) {
            assertArrayEquals(new float[3], s.toArray());
            assertEquals(Shape.of(1, 3), m.shape());
            assertTrue(Float.isNaN(m.toArray()[0]));
            assertEquals(0, all.shape().rank());
            assertArrayEquals(new float[1], all.toArray());
        }
        try (Tensor sc = be.upload(new float[] {5}, Shape.of()); Tensor s = Arithmetic.sum(sc, new int[] {-1}, false);
             Tensor k = Arithmetic.sum(sc, new int[] {0}, true)) {
            assertEquals(0, s.shape().rank());
            assertEquals(5f, s.toArray()[0]);
            assertEquals(0, k.shape().rank());
        }
    }

    @Test
    void withoutATapeNothingIsRecorded() {
        Backend be = backend();
        assertTrue(!Tape.isRecording());
        try (Tensor a = be.upload(new float[] {1, 2}, Shape.of(2)); Tensor y = Arithmetic.add(a, 1.0)) {
            assertArrayEquals(new float[] {2, 3}, y.toArray());
        }
        assertTrue(!Tape.isRecording());
    }
}
