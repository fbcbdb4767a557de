package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Dropout;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.StochasticDepth;
import org.layers4j.nn.Tape;
import org.layers4j.nn.conv.ConvTranspose;
import org.layers4j.nn.conv.ConvTranspose1d;
import org.layers4j.nn.conv.ConvTranspose2d;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.nn.functional.Normalization;
import org.layers4j.nn.functional.Regularization;
import org.layers4j.nn.norm.GroupNorm;
import org.layers4j.nn.norm.LayerNorm;
import org.layers4j.spi.Backend;

/**
 * Randomized differential tests of LayerNorm, GroupNorm (modules and {@link Normalization}'s functional forms,
 * whose weight / bias are plain tensors that get their gradients as tape inputs), ConvTranspose1d / 2d and
 * stochastic depth / functional dropout on one backend: {@value #CONFIGS} seeded random configurations per layer
 * against float64 references written here (row / group statistics; a direct scatter loop for the transposed
 * convolution), forward and every gradient, by the rule max|err| <= 1e-4 * max(1, max|expected|); PyTorch 1.13's
 * own numbers for a few fixed cases; and the argument errors with PyTorch's messages.
 */
public abstract class BackendNormConvTransposeDifferentialTests {
    static final int CONFIGS = 200;
    private static final double TOL = 1e-4;

    protected abstract Backend backend();

    // ---- harness --------------------------------------------------------------------------------

    private interface Case {
        String check() throws Exception;
    }

    private static Case named(String description, Case check) {
        return new Case() {
            @Override
            public String check() throws Exception {
                return check.check();
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    private void runConfigs(String layer, long seed, Function<SplittableRandom, Case> draw) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> failures = new ArrayList<>();
        int done = 0;
        while (done < CONFIGS) {
            Case c = draw.apply(rng);
            if (c == null) {
                continue;
            }
            String problem;
            try {
                problem = c.check();
            } catch (Exception | AssertionError e) {
                problem = "threw " + e;
            }
            if (problem != null) {
                failures.add(c + ": " + problem);
            }
            done++;
        }
        assertTrue(failures.isEmpty(), () -> layer + ": " + failures.size() + " of " + CONFIGS + " configurations failed:\n"
                + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static String first(String... problems) {
        for (String p : problems) {
            if (p != null) {
                return p;
            }
        }
        return null;
    }

    private static String check(String what, Tensor actual, double[] expected) {
        if (actual == null) {
            return what + ": no gradient arrived";
        }
        return BackendLayerDifferentialTests.mismatch(what, actual.toArray(), expected, TOL);
    }

    private static double[] d(float[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = v[i];
        }
        return r;
    }

    private static float[] rand(SplittableRandom rng, int n, double scale, double offset) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rng.nextDouble() * 2 - 1) * scale + offset);
        }
        return v;
    }

    private static int prod(int[] dims) {
        int p = 1;
        for (int x : dims) {
            p *= x;
        }
        return p;
    }

    // ---- normalization reference ------------------------------------------------------------------

    /** Reference of normalization over blocks: y, dx, dWeight, dBias (params null: no affine). */
    private record NormRef(double[] y, double[] dx, double[] dw, double[] db) {
    }

    /** Blocks of len contiguous values; param(b, j) gives the affine index of element j of block b. */
    static NormRef normReference(double[] x, double[] dy, int blocks, int len, double[] w, double[] b, int params,
                                 java.util.function.IntBinaryOperator param, double eps) {
        double[] y = new double[x.length];
        double[] dx = new double[x.length];
        double[] dw = new double[params];
        double[] db = new double[params];
        for (int blk = 0; blk < blocks; blk++) {
            int off = blk * len;
            double mean = 0;
            for (int j = 0; j < len; j++) {
                mean += x[off + j];
            }
            mean /= len;
            double var = 0;
            for (int j = 0; j < len; j++) {
                var += (x[off + j] - mean) * (x[off + j] - mean);
            }
            var /= len;
            double inv = 1 / Math.sqrt(var + eps);
            double sg = 0;
            double sgx = 0;
            for (int j = 0; j < len; j++) {
                int p = param.applyAsInt(blk, j);
                double xhat = (x[off + j] - mean) * inv;
                double wj = w == null ? 1 : w[p];
                y[off + j] = xhat * wj + (b == null ? 0 : b[p]);
                double g = dy[off + j] * wj;
                sg += g;
                sgx += g * xhat;
                dw[p] += dy[off + j] * xhat;
                db[p] += dy[off + j];
            }
            for (int j = 0; j < len; j++) {
                int p = param.applyAsInt(blk, j);
                double xhat = (x[off + j] - mean) * inv;
                double g = dy[off + j] * (w == null ? 1 : w[p]);
                dx[off + j] = inv * (g - sg / len - xhat * sgx / len);
            }
        }
        return new NormRef(y, dx, dw, db);
    }

    /** Output and gradients of one recorded forward / backward. */
    private record Run(float[] y, Tensor dx, Tensor dw, Tensor db) {
    }

    @Test
    void layerNormMatchesReference() {
        Backend be = backend();
        runConfigs("LayerNorm", 101, rng -> {
            int k = 1 + rng.nextInt(3);
            int[] ns = new int[k];
            for (int i = 0; i < k; i++) {
                ns[i] = 1 + rng.nextInt(i == k - 1 ? 9 : 4);
            }
            int lead = rng.nextInt(3);
            int[] shape = new int[lead + k];
            for (int i = 0; i < lead; i++) {
                shape[i] = 1 + rng.nextInt(4);
            }
            System.arraycopy(ns, 0, shape, lead, k);
            boolean affine = rng.nextBoolean();
            boolean functional = rng.nextBoolean();
            boolean withBias = !functional || rng.nextBoolean();
            double eps = rng.nextBoolean() ? 1e-5 : rng.nextDouble() * 0.1;
            double scale = rng.nextInt(4) == 0 ? 50 : 2;
            double offset = rng.nextInt(4) == 0 ? 100 : 0;
            float[] x = rand(rng, prod(shape), scale, offset);
            float[] dy = rand(rng, x.length, 1, 0);
            int cols = prod(ns);
            float[] w = affine ? rand(rng, cols, 1, 0.5) : null;
            float[] b = affine && withBias ? rand(rng, cols, 1, 0) : null;
            String desc = (functional ? "layer_norm" : "LayerNorm") + " input " + Arrays.toString(shape)
                    + " normalized_shape " + Arrays.toString(ns) + " eps " + eps + " affine " + affine + " bias "
                    + (b != null) + " scale " + scale + " offset " + offset;
            return named(desc, () -> {
                NormRef ref = normReference(d(x), d(dy), x.length / cols, cols, w == null ? null : d(w),
                        b == null ? null : d(b), cols, (blk, j) -> j, eps);
                Run r;
                if (functional) {
                    r = runFunctional(be, x, shape, dy, w, b, Shape.of(ns),
                            (xt, wt, bt) -> Normalization.layerNorm(xt, ns, wt, bt, eps));
                } else {
                    try (LayerNorm m = new LayerNorm(ns, eps, affine, be)) {
                        if (affine) {
                            m.setParameter("weight", w);
                            m.setParameter("bias", b);
                        }
                        r = runModule(be, m, x, shape, dy);
                    }
                }
                return compareNorm(r, ref, w != null, b != null);
            });
        });
    }

    @Test
    void groupNormMatchesReference() {
        Backend be = backend();
        runConfigs("GroupNorm", 202, rng -> {
            int groups = 1 + rng.nextInt(4);
            int c = groups * (1 + rng.nextInt(3));
            int rank = 2 + rng.nextInt(3);
            int[] shape = new int[rank];
            shape[0] = 1 + rng.nextInt(3);
            shape[1] = c;
            for (int i = 2; i < rank; i++) {
                shape[i] = 1 + rng.nextInt(5);
            }
            int s = prod(shape) / (shape[0] * c);
            if (shape[0] * c / groups * s == 1) {
                return null; // PyTorch refuses one value per group
            }
            boolean affine = rng.nextBoolean();
            boolean functional = rng.nextBoolean();
            boolean withBias = !functional || rng.nextBoolean();
            double eps = rng.nextBoolean() ? 1e-5 : rng.nextDouble() * 0.1;
            double scale = rng.nextInt(4) == 0 ? 50 : 2;
            double offset = rng.nextInt(4) == 0 ? -100 : 0;
            float[] x = rand(rng, prod(shape), scale, offset);
            float[] dy = rand(rng, x.length, 1, 0);
            float[] w = affine ? rand(rng, c, 1, 0.5) : null;
            float[] b = affine && withBias ? rand(rng, c, 1, 0) : null;
            int cpg = c / groups;
            String desc = (functional ? "group_norm" : "GroupNorm") + " input " + Arrays.toString(shape) + " groups "
                    + groups + " eps " + eps + " affine " + affine + " bias " + (b != null) + " scale " + scale;
            return named(desc, () -> {
                NormRef ref = normReference(d(x), d(dy), shape[0] * groups, cpg * s, w == null ? null : d(w),
                        b == null ? null : d(b), c, (blk, j) -> (blk % groups) * cpg + j / s, eps);
                Run r;
                if (functional) {
                    r = runFunctional(be, x, shape, dy, w, b, Shape.of(c),
                            (xt, wt, bt) -> Normalization.groupNorm(xt, groups, wt, bt, eps));
                } else {
                    try (GroupNorm m = new GroupNorm(groups, c, eps, affine, be)) {
                        if (affine) {
                            m.setParameter("weight", w);
                            m.setParameter("bias", b);
                        }
                        r = runModule(be, m, x, shape, dy);
                    }
                }
                return compareNorm(r, ref, w != null, b != null);
            });
        });
    }

    private static String compareNorm(Run r, NormRef ref, boolean weight, boolean bias) {
        try {
            return first(BackendLayerDifferentialTests.mismatch("output", r.y(), ref.y(), TOL),
                    check("grad_input", r.dx(), ref.dx()),
                    weight ? check("grad_weight", r.dw(), ref.dw()) : r.dw() == null ? null : "unexpected grad_weight",
                    bias ? check("grad_bias", r.db(), ref.db()) : r.db() == null ? null : "unexpected grad_bias");
        } finally {
            closeRun(r);
        }
    }

    private static void closeRun(Run r) {
        for (Tensor t : new Tensor[] {r.dx(), r.dw(), r.db()}) {
            if (t != null) {
                t.close();
            }
        }
    }

    private interface Op3 {
        Tensor apply(Tensor x, Tensor w, Tensor b);
    }

    /** A functional op on a tape with weight / bias as plain tensors: their gradients come back as tape inputs. */
    private static Run runFunctional(Backend be, float[] x, int[] shape, float[] dy, float[] w, float[] b, Shape ps,
                                     Op3 op) {
        try (Tensor xt = be.upload(x, Shape.of(shape));
             Tensor wt = w == null ? null : be.upload(w, ps);
             Tensor bt = b == null ? null : be.upload(b, ps);
             Tape tape = Tape.start();
             Tensor y = op.apply(xt, wt, bt);
             Tensor dyt = be.upload(dy, y.shape());
             Gradients g = tape.backward(y, dyt)) {
            Tensor dx = g.of(xt);
            Tensor dw = wt == null ? null : g.of(wt);
            Tensor db = bt == null ? null : g.of(bt);
            return new Run(y.toArray(), share(dx), share(dw), share(db));
        }
    }

    private static Tensor share(Tensor t) {
        return t == null ? null : t.share();
    }

    /** A module on a tape: the input gradient from the tape, weight / bias from the parameters' grad(). */
    private static Run runModule(Backend be, Module m, float[] x, int[] shape, float[] dy) {
        try (Tensor xt = be.upload(x, Shape.of(shape)); Tape tape = Tape.start(); Tensor y = m.forward(xt);
             Tensor dyt = be.upload(dy, y.shape()); Gradients g = tape.backward(y, dyt)) {
            Map<String, Parameter> ps = m.namedParameterObjects();
            Parameter pw = ps.get("weight");
            Parameter pb = ps.get("bias");
            return new Run(y.toArray(), share(g.of(xt)), pw == null ? null : share(pw.grad()),
                    pb == null ? null : share(pb.grad()));
        }
    }

    // ---- transposed convolution -------------------------------------------------------------------

    /** Reference transposed convolution (1-D as height 1): y, dx, dw, db by a direct scatter loop in double. */
    static double[][] convTransposeReference(int n, int cin, int h, int w, int cout, int groups, int kh, int kw,
                                             int sh, int sw, int ph, int pw, int dh, int dw, int oh, int ow,
                                             double[] x, double[] wt, double[] b, double[] dy) {
        double[] y = new double[n * cout * oh * ow];
        double[] dx = new double[x.length];
        double[] dwt = new double[wt.length];
        double[] db = new double[cout];
        int cinG = cin / groups;
        int coutG = cout / groups;
        for (int img = 0; img < n; img++) {
            for (int co = 0; co < cout; co++) {
                for (int i = 0; i < oh * ow; i++) {
                    int yi = (img * cout + co) * oh * ow + i;
                    y[yi] = b == null ? 0 : b[co];
                    db[co] += dy[yi];
                }
            }
            for (int ci = 0; ci < cin; ci++) {
                int grp = ci / cinG;
                for (int ih = 0; ih < h; ih++) {
                    for (int iw = 0; iw < w; iw++) {
                        int xi = ((img * cin + ci) * h + ih) * w + iw;
                        for (int col = 0; col < coutG; col++) {
                            int co = grp * coutG + col;
                            for (int a = 0; a < kh; a++) {
                                int yh = ih * sh - ph + a * dh;
                                if (yh < 0 || yh >= oh) {
                                    continue;
                                }
                                for (int c = 0; c < kw; c++) {
                                    int yw = iw * sw - pw + c * dw;
                                    if (yw < 0 || yw >= ow) {
                                        continue;
                                    }
                                    int wi = ((ci * coutG + col) * kh + a) * kw + c;
                                    int yi = ((img * cout + co) * oh + yh) * ow + yw;
                                    y[yi] += x[xi] * wt[wi];
                                    dx[xi] += dy[yi] * wt[wi];
                                    dwt[wi] += dy[yi] * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new double[][] {y, dx, dwt, db};
    }

    @Test
    void convTransposeMatchesReference() {
        Backend be = backend();
        runConfigs("ConvTranspose", 303, rng -> {
            boolean two = rng.nextBoolean();
            int groups = 1 + rng.nextInt(3);
            int cin = groups * (1 + rng.nextInt(3));
            int cout = groups * (1 + rng.nextInt(3));
            int n = 1 + rng.nextInt(2);
            int kh = two ? 1 + rng.nextInt(4) : 1;
            int kw = 1 + rng.nextInt(4);
            int sh = two ? 1 + rng.nextInt(3) : 1;
            int sw = 1 + rng.nextInt(3);
            int dh = two ? 1 + rng.nextInt(3) : 1;
            int dw = 1 + rng.nextInt(3);
            int ph = two ? rng.nextInt(4) : 0;
            int pw = rng.nextInt(4);
            int oph = two ? rng.nextInt(Math.max(sh, dh)) : 0;
            int opw = rng.nextInt(Math.max(sw, dw));
            int h = two ? 1 + rng.nextInt(5) : 1;
            int w = 1 + rng.nextInt(6);
            boolean bias = rng.nextBoolean();
            boolean unbatched = rng.nextInt(5) == 0;
            int oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
            int ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
            if (oh < 1 || ow < 1) {
                return null;
            }
            long seed = rng.nextLong();
            float[] x = rand(rng, (unbatched ? 1 : n) * cin * h * w, 1, 0);
            int nn = unbatched ? 1 : n;
            float[] dy = rand(rng, nn * cout * oh * ow, 1, 0);
            int[] inShape = two ? (unbatched ? new int[] {cin, h, w} : new int[] {n, cin, h, w})
                    : (unbatched ? new int[] {cin, w} : new int[] {n, cin, w});
            String desc = (two ? "ConvTranspose2d" : "ConvTranspose1d") + " input " + Arrays.toString(inShape) + " out "
                    + cout + " kernel " + kh + "x" + kw + " stride " + sh + "x" + sw + " padding " + ph + "x" + pw
                    + " output_padding " + oph + "x" + opw + " dilation " + dh + "x" + dw + " groups " + groups
                    + " bias " + bias;
            return named(desc, () -> {
                ConvTranspose m = two
                        ? ConvTranspose2d.builder(cin, cout, kh, kw).stride(sh, sw).padding(ph, pw)
                                .outputPadding(oph, opw).dilation(dh, dw).groups(groups).bias(bias).seed(seed)
                                .backend(be).build()
                        : ConvTranspose1d.builder(cin, cout, kw).stride(sw).padding(pw).outputPadding(opw).dilation(dw)
                                .groups(groups).bias(bias).seed(seed).backend(be).build();
                try (m) {
                    double[] wt = d(m.weight().toArray());
                    double[] bt = bias ? d(m.bias().toArray()) : null;
                    double[][] ref = convTransposeReference(nn, cin, h, w, cout, groups, kh, kw, sh, sw, ph, pw, dh, dw,
                            oh, ow, d(x), wt, bt, d(dy));
                    Run r = runModule(be, m, x, inShape, dy);
                    try {
                        return first(BackendLayerDifferentialTests.mismatch("output", r.y(), ref[0], TOL),
                                check("grad_input", r.dx(), ref[1]), check("grad_weight", r.dw(), ref[2]),
                                bias ? check("grad_bias", r.db(), ref[3]) : null);
                    } finally {
                        closeRun(r);
                    }
                }
            });
        });
    }

    @Test
    void convTransposeInitAndAccessors() {
        Backend be = backend();
        try (ConvTranspose2d m = ConvTranspose2d.builder(4, 6, 3).stride(2).padding(1).outputPadding(1).groups(2)
                .dilation(2).seed(7).backend(be).build()) {
            assertEquals("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2),"
                    + " output_padding=(1, 1), groups=2)", m.toString());
            assertArrayEquals(new int[] {4, 3, 3, 3}, m.weight().shape().dims());
            assertEquals(4, m.inChannels());
            assertEquals(6, m.outChannels());
            assertArrayEquals(new int[] {3, 3}, m.kernelSize());
            assertArrayEquals(new int[] {2, 2}, m.stride());
            assertArrayEquals(new int[] {1, 1}, m.padding());
            assertArrayEquals(new int[] {1, 1}, m.outputPadding());
            assertArrayEquals(new int[] {2, 2}, m.dilation());
            assertEquals(2, m.groups());
            assertTrue(m.hasBias());
            assertEquals(PaddingMode.ZEROS, m.paddingMode());
            assertEquals(List.of("weight", "bias"), new ArrayList<>(m.stateDict().keySet()));
            // kaiming_uniform(a=sqrt(5)): bound 1/sqrt(fan_in), fan_in = weight.size(1) * 9 = 27
            double bound = 1 / Math.sqrt(27);
            for (float v : m.weight().toArray()) {
                assertTrue(Math.abs(v) <= bound, "weight " + v + " beyond " + bound);
            }
            for (float v : m.bias().toArray()) {
                assertTrue(Math.abs(v) <= bound, "bias " + v + " beyond " + bound);
            }
            try (Tensor x = be.allocate(Shape.of(2, 4, 3, 3)); Tensor y = m.forward(x)) {
                assertArrayEquals(new int[] {2, 6, 8, 8}, y.shape().dims());
            }
        }
        try (ConvTranspose1d m = ConvTranspose1d.builder(4, 6, 3).bias(false).backend(be).build()) {
            assertEquals("ConvTranspose1d(4, 6, kernel_size=(3,), stride=(1,), bias=False)", m.toString());
            assertNull(m.bias());
            assertEquals(List.of("weight"), new ArrayList<>(m.stateDict().keySet()));
        }
    }

    @Test
    void emptyBatchesGiveEmptyOutputsAndZeroGradients() {
        Backend be = backend();
        try (LayerNorm ln = new LayerNorm(new int[] {4}, 1e-5, true, be);
             GroupNorm gn = new GroupNorm(2, 4, 1e-5, true, be);
             ConvTranspose2d ct = ConvTranspose2d.builder(4, 2, 3).stride(2).backend(be).build()) {
            for (Module m : new Module[] {ln, gn, ct}) {
                int[] shape = m == ln ? new int[] {0, 3, 4} : m == gn ? new int[] {0, 4, 5} : new int[] {0, 4, 3, 3};
                try (Tensor x = be.allocate(Shape.of(shape)); Tape tape = Tape.start(); Tensor y = m.forward(x);
                     Tensor dy = be.allocate(y.shape()); Gradients g = tape.backward(y, dy)) {
                    assertEquals(0, y.shape().size(), m.toString());
                    assertEquals(0, g.of(x).shape().size());
                    for (Parameter p : m.namedParameterObjects().values()) {
                        assertArrayEquals(new float[p.data().shape().size()], p.grad().toArray(), 0f);
                    }
                }
            }
        }
    }

    // ---- PyTorch's own numbers ----------------------------------------------------------------------

    /** Python's det(): f(i * a + b) in double, rounded to float. */
    private static float[] det(int n, double a, double b, boolean cos, double mul) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((float) (cos ? Math.cos(i * a + b) : Math.sin(i * a + b)) * mul);
        }
        return v;
    }

    private static String sampled(String what, float[] actual, int step, float[] expected) {
        double[] e = new double[expected.length];
        float[] a = new float[expected.length];
        for (int i = 0; i < expected.length; i++) {
            e[i] = expected[i];
            a[i] = actual[i * step];
        }
        return BackendLayerDifferentialTests.mismatch(what, a, e, TOL);
    }

    /*
     * PyTorch 1.13 (/usr/bin/python3), the numbers below:
     *
     * def det(shape, a, b=0.0, f=torch.sin):
     *     n = 1
     *     for d in shape: n *= d
     *     return f(torch.arange(n, dtype=torch.float64) * a + b).reshape(shape).float()
     * def show(name, t, k): v = t.detach().flatten(); print(name, list(t.shape), [float(v[i]) for i in range(0, v.numel(), k)])
     * def conv_case(m, xshape):
     *     with torch.no_grad():
     *         m.weight.copy_(det(m.weight.shape, 0.11, 0.0, torch.cos) * 0.5)
     *         if m.bias is not None: m.bias.copy_(det(m.bias.shape, 0.7, 0.3))
     *     x = det(xshape, 0.37).requires_grad_(); y = m(x); y.backward(det(y.shape, 0.23, 0.0, torch.cos))
     *     show("y", y, 37 if y.numel() > 300 else 7); show("dx", x.grad, 5); show("dw", m.weight.grad, 5)
     *     if m.bias is not None: show("db", m.bias.grad, 1)
     * conv_case(nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2), (2, 4, 3, 3))
     * conv_case(nn.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2), padding=(0, 1), output_padding=(1, 0),
     *                              dilation=(2, 1)), (1, 2, 3, 4))
     * conv_case(nn.ConvTranspose1d(3, 4, 3, stride=3, padding=2, output_padding=2, bias=False), (2, 3, 5))
     * def norm_case(m, xshape):
     *     with torch.no_grad():
     *         if m.weight is not None:
     *             m.weight.copy_(det(m.weight.shape, 0.9, 0.2) + 1); m.bias.copy_(det(m.bias.shape, 0.5, 1.0))
     *     x = (det(xshape, 0.37) * 3.0 + 1.5).requires_grad_()
     *     y = m(x); y.backward(det(y.shape, 0.23, 0.0, torch.cos))
     *     show("y", y, 5); show("dx", x.grad, 5); show("dw", m.weight.grad, 1); show("db", m.bias.grad, 1)
     * norm_case(nn.LayerNorm([3, 4], eps=1e-6), (2, 5, 3, 4))
     * norm_case(nn.GroupNorm(3, 6), (2, 6, 5))
     */
    @Test
    void matchesPyTorchNumbers() {
        Backend be = backend();
        List<String> problems = new ArrayList<>();
        // A: output_padding < stride, groups, dilation
        problems.add(pytorchConv(be, ConvTranspose2d.builder(4, 6, 3).stride(2).padding(1).outputPadding(1).groups(2)
                .dilation(2).backend(be).build(), new int[] {2, 4, 3, 3}, new int[] {2, 6, 8, 8}, 37, new float[] {
                    2.9552022e-01f, 2.9552022e-01f, 8.4147096e-01f, 6.4509267e-01f, 9.9166483e-01f, -2.8031051e-02f,
                    6.7546320e-01f, 4.1580662e-02f, 4.1580662e-02f, -1.6142299e+00f, -6.1185789e-01f, 2.9552022e-01f,
                    2.9552022e-01f, 8.4147096e-01f, 9.9166483e-01f, -3.6704451e-01f, 6.7546320e-01f, 6.7546320e-01f,
                    4.1580662e-02f, -7.3345944e-02f, -6.1185789e-01f},
                new float[] {-2.3532897e-02f, -6.8059170e-01f, 1.5392032e-01f, -5.1994944e-01f, -5.4924691e-01f,
                    -2.6401937e-02f, 5.5292022e-01f, 7.5856012e-01f, -8.0736530e-01f, 1.9022679e-01f, 2.1616161e-02f,
                    -4.8605883e-01f, -9.0768963e-02f, 6.4703608e-01f, 6.4443779e-01f},
                new float[] {-2.4400554e+00f, -4.0139592e-01f, 6.0881042e-01f, 1.1182991e+00f, 1.2221638e+00f,
                    -1.2505678e+00f, -6.0203898e-01f, -1.6332706e+00f, 1.6943593e+00f, -2.5644693e+00f, -1.9863347e+00f,
                    -4.3088784e+00f, 1.0547646e+00f, 3.5276761e+00f, 6.8013787e-01f, 2.0990636e+00f, -1.8839893e+00f,
                    7.0794225e-01f, -1.2344792e+00f, 9.8445612e-01f, -1.9225210e+00f, 2.6931343e+00f},
                new float[] {6.3141127e+00f, -1.4931217e+01f, 1.0121916e+01f, 3.7891846e+00f, -1.4292984e+01f,
                    1.1944290e+01f}));
        // B: output_padding >= stride (allowed by dilation 2) on the height
        problems.add(pytorchConv(be, ConvTranspose2d.builder(2, 3, 2, 3).stride(1, 2).padding(0, 1).outputPadding(1, 0)
                .dilation(2, 1).backend(be).build(), new int[] {1, 2, 3, 4}, new int[] {1, 3, 6, 7}, 7, new float[] {
                    5.3446770e-01f, 8.7858760e-01f, 5.2384555e-01f, 8.7938678e-01f, 3.9862961e-02f, 2.9552022e-01f,
                    1.2865831e+00f, 1.3631285e+00f, 9.7161025e-01f, 1.2446247e+00f, 4.3392786e-01f, 8.4147096e-01f,
                    1.4559876e+00f, 1.2328084e+00f, 9.6895754e-01f, 1.0447750e+00f, 6.0341030e-01f, 9.9166483e-01f},
                new float[] {1.0738473e-01f, -1.6208187e-01f, -7.9155713e-03f, 5.2101687e-02f, -4.6824515e-02f},
                new float[] {7.9350245e-01f, 1.2126912e+00f, -2.0169189e+00f, 1.5268915e+00f, -4.2164173e+00f,
                    4.7469606e+00f, -3.0285935e+00f, 1.6473866e+00f},
                new float[] {-2.2597313e-02f, 2.0390105e+00f, -3.9431255e+00f}));
        // C: 1-D, stride 3, padding 2, output_padding 2, no bias
        problems.add(pytorchConv(be, ConvTranspose1d.builder(3, 4, 3).stride(3).padding(2).outputPadding(2).bias(false)
                .backend(be).build(), new int[] {2, 3, 5}, new int[] {2, 4, 13}, 7, new float[] {
                    2.6928356e-01f, 9.0658116e-01f, 5.3399342e-01f, 8.8488579e-01f, 3.1817955e-01f, 6.9462258e-01f,
                    4.1753560e-02f, 7.3044527e-01f, 3.5726726e-01f, 8.1991053e-01f, 1.8015856e-01f, 6.9509137e-01f,
                    -3.1269744e-02f, -5.5205476e-01f, 1.8934053e-01f},
                new float[] {2.1205135e-01f, 2.4801399e-01f, -8.8949442e-02f, 2.0091271e-01f, 1.3870344e-01f,
                    -1.3206717e-01f},
                new float[] {-1.4749910e-01f, 1.6506424e+00f, -6.0818803e-01f, -3.6377125e+00f, 4.5661960e+00f,
                    -6.9839996e-01f, -2.9497876e+00f, 2.1017652e+00f},
                null));
        problems.add(pytorchNorm(be, new LayerNorm(new int[] {3, 4}, 1e-6, true, be), new int[] {2, 5, 3, 4},
                new float[] {1.6753848e-01f, -3.5069782e-01f, -2.0959115e+00f, -5.8408356e-01f, 1.0784727e+00f,
                    2.9724507e+00f, -1.2149445e+00f, 7.5370002e-01f, 4.8256543e-01f, -3.0597773e+00f, -1.0590042e+00f,
                    4.1300768e-01f, 9.8407769e-01f, -3.5085660e-01f, 1.6187241e+00f, 1.6630923e+00f, -3.0681119e+00f,
                    -1.9320078e-01f, -3.3138546e-01f, -4.5281568e-01f, -1.5446787e-01f, 1.6567893e+00f, 2.5054133e+00f,
                    -2.4040732e+00f},
                new float[] {6.5320218e-01f, -4.0901262e-01f, -3.1444031e-01f, -4.2605698e-03f, -1.7276585e-01f,
                    5.3665936e-01f, -1.7897561e-01f, -5.9932160e-01f, 2.0050061e-01f, -2.0500860e-01f, 2.4933410e-01f,
                    1.0264671e-01f, 5.3921300e-01f, 1.3432911e-01f, -1.0104373e-02f, 1.3346431e-01f, 2.1190006e-01f,
                    9.7497702e-01f, -7.7650063e-03f, -2.1572536e-01f, 2.7942008e-01f, 1.0174909e-01f, 5.7971287e-01f,
                    2.4963914e-01f},
                new float[] {2.2295065e+00f, 2.6408896e+00f, 2.3884559e+00f, 1.5890234e+00f, 5.4332113e-01f,
                    -3.7028438e-01f, -8.2888901e-01f, -6.7843699e-01f, 1.2253243e-02f, 9.7572625e-01f, 1.8399168e+00f,
                    2.2591081e+00f},
                new float[] {9.5085937e-01f, 9.5777774e-01f, 9.1425276e-01f, 8.2257658e-01f, 6.8757761e-01f,
                    5.1636571e-01f, 3.1795841e-01f, 1.0280497e-01f, -1.1776276e-01f, -3.3212826e-01f, -5.2900159e-01f,
                    -6.9801384e-01f}));
        problems.add(pytorchNorm(be, new GroupNorm(3, 6, 1e-5, true, be), new int[] {2, 6, 5},
                new float[] {-7.3062164e-01f, 3.1000071e+00f, 5.1513863e-01f, 3.1550210e-02f, 5.2536327e-01f,
                    -3.5078430e-01f, -9.2162001e-01f, 1.6846935e+00f, 4.4842925e+00f, -3.1148508e-01f, -6.3388962e-01f,
                    -3.5069433e-01f},
                new float[] {9.7018546e-01f, -5.5233806e-02f, 5.2058458e-02f, 1.7748779e-01f, -6.9993995e-02f,
                    -2.8622840e-02f, -2.7331069e-02f, 1.0461782e-01f, 2.1065913e-01f, -1.3678706e-01f, -1.0407135e-02f,
                    -9.5988482e-02f},
                new float[] {-2.6272461e+00f, -1.3340247e+00f, -5.7333761e-01f, -7.6622665e-01f, 5.4038107e-01f,
                    -2.0450099e+00f},
                new float[] {6.4939198e+00f, -3.0766542e+00f, -9.0074692e+00f, -4.2822218e+00f, 5.5090017e+00f,
                    8.7829370e+00f}));
        problems.removeIf(p -> p == null);
        assertTrue(problems.isEmpty(), () -> String.join("\n", problems));
    }

    private static String pytorchConv(Backend be, ConvTranspose m, int[] xShape, int[] yShape, int yStep, float[] y,
                                      float[] dx, float[] dw, float[] db) {
        try (m) {
            int wn = m.weight().shape().size();
            m.setParameter("weight", det(wn, 0.11, 0, true, 0.5));
            if (m.hasBias()) {
                m.setParameter("bias", det(m.outChannels(), 0.7, 0.3, false, 1));
            }
            float[] x = det(prod(xShape), 0.37, 0, false, 1);
            float[] dy = det(prod(yShape), 0.23, 0, true, 1);
            Run r = runModule(be, m, x, xShape, dy);
            try {
                String p = first(sampled("y", r.y(), yStep, y), sampled("dx", r.dx().toArray(), 5, dx),
                        sampled("dw", r.dw().toArray(), 5, dw), db == null ? null : sampled("db", r.db().toArray(), 1, db));
                return p == null ? null : m + ": " + p;
            } finally {
                closeRun(r);
            }
        }
    }

    private static String pytorchNorm(Backend be, Module m, int[] xShape, float[] y, float[] dx, float[] dw,
                                      float[] db) {
        try (m) {
            int pn = m.get("weight").shape().size();
            m.setParameter("weight", plusOne(det(pn, 0.9, 0.2, false, 1)));
            m.setParameter("bias", det(pn, 0.5, 1.0, false, 1));
            float[] x = det(prod(xShape), 0.37, 0, false, 1);
            for (int i = 0; i < x.length; i++) {
                x[i] = x[i] * 3.0f + 1.5f;
            }
            float[] dy = det(prod(xShape), 0.23, 0, true, 1);
            Run r = runModule(be, m, x, xShape, dy);
            try {
                String p = first(sampled("y", r.y(), 5, y), sampled("dx", r.dx().toArray(), 5, dx),
                        sampled("dw", r.dw().toArray(), 1, dw), sampled("db", r.db().toArray(), 1, db));
                return p == null ? null : m + ": " + p;
            } finally {
                closeRun(r);
            }
        }
    }

    private static float[] plusOne(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] += 1f;
        }
        return v;
    }

    // ---- stochastic depth and functional dropout ---------------------------------------------------

    /** Output and input gradient of one recorded call. */
    private static float[][] runUnary(Backend be, float[] x, int[] shape, float[] dy, Function<Tensor, Tensor> op) {
        try (Tensor xt = be.upload(x, Shape.of(shape)); Tape tape = Tape.start(); Tensor y = op.apply(xt);
             Tensor dyt = be.upload(dy, y.shape()); Gradients g = tape.backward(y, dyt)) {
            assertArrayEquals(shape, y.shape().dims());
            Tensor dx = g.of(xt);
            assertNotNull(dx, "no gradient reached the input");
            return new float[][] {y.toArray(), dx.toArray()};
        }
    }

    @Test
    void stochasticDepthIdentityWithoutTraining() {
        Backend be = backend();
        SplittableRandom rng = new SplittableRandom(5);
        float[] x = rand(rng, 4 * 3 * 5, 1, 0);
        float[] dy = rand(rng, x.length, 1, 0);
        int[] shape = {4, 3, 5};
        for (String mode : new String[] {"row", "batch"}) {
            float[][] eval = runUnary(be, x, shape, dy, t -> Regularization.stochasticDepth(t, 0.5, mode, false, rng));
            assertArrayEquals(x, eval[0]);
            assertArrayEquals(dy, eval[1]);
            float[][] p0 = runUnary(be, x, shape, dy, t -> Regularization.stochasticDepth(t, 0.0, mode, true, rng));
            assertArrayEquals(x, p0[0]);
            assertArrayEquals(dy, p0[1]);
            float[][] p1 = runUnary(be, x, shape, dy, t -> Regularization.stochasticDepth(t, 1.0, mode, true, rng));
            assertArrayEquals(new float[x.length], p1[0], 0f); // x * 0 keeps the sign: -0.0 as in PyTorch
            assertArrayEquals(new float[x.length], p1[1], 0f);
            try (StochasticDepth m = new StochasticDepth(0.5, mode, be)) {
                m.eval();
                float[][] r = runUnary(be, x, shape, dy, m::forward);
                assertArrayEquals(x, r[0]);
                assertArrayEquals(dy, r[1]);
                assertEquals("StochasticDepth(p=0.5, mode=" + mode + ")", m.toString());
            }
        }
    }

    @Test
    void stochasticDepthRowMaskStatisticsAndGradient() {
        Backend be = backend();
        SplittableRandom data = new SplittableRandom(6);
        int rows = 4000;
        int[] shape = {rows, 2, 3};
        float[] x = rand(data, rows * 6, 1, 3); // no zeros: a dropped row is recognizable
        float[] dy = rand(data, x.length, 1, 0);
        for (double p : new double[] {0.2, 0.5, 0.9}) {
            float[][] r;
            try (StochasticDepth m = new StochasticDepth(p, "row", 11, be)) {
                r = runUnary(be, x, shape, dy, m::forward);
            }
            float scale = (float) (1.0 / (1.0 - p));
            int kept = 0;
            for (int i = 0; i < rows; i++) {
                boolean keep = r[0][i * 6] != 0;
                kept += keep ? 1 : 0;
                for (int j = i * 6; j < i * 6 + 6; j++) {
                    assertEquals(keep ? x[j] * scale : 0f, r[0][j], 0f, "row " + i + " output");
                    assertEquals(keep ? dy[j] * scale : 0f, r[1][j], 0f, "row " + i + " gradient");
                }
            }
            double rate = kept / (double) rows;
            double sd = Math.sqrt(p * (1 - p) / rows);
            assertTrue(Math.abs(rate - (1 - p)) < 5 * sd, "p=" + p + ": kept " + rate + " of the rows");
        }
        // seedable: the same seed, the same rows
        float[][] a;
        float[][] b;
        try (StochasticDepth m1 = new StochasticDepth(0.5, "row", 3, be);
             StochasticDepth m2 = new StochasticDepth(0.5, "row", 3, be)) {
            a = runUnary(be, x, shape, dy, m1::forward);
            b = runUnary(be, x, shape, dy, m2::forward);
        }
        assertArrayEquals(a[0], b[0]);
        float[][] f = runUnary(be, x, shape, dy, t -> Regularization.stochasticDepth(t, 0.5, "row", true,
                new SplittableRandom(3)));
        assertArrayEquals(a[0], f[0]);
    }

    @Test
    void stochasticDepthBatchModeDropsAllOrNothing() {
        Backend be = backend();
        SplittableRandom data = new SplittableRandom(8);
        int[] shape = {3, 4};
        float[] x = rand(data, 12, 1, 3);
        float[] dy = rand(data, 12, 1, 0);
        SplittableRandom rng = new SplittableRandom(9);
        int kept = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
            float[][] r = runUnary(be, x, shape, dy, v -> Regularization.stochasticDepth(v, 0.25, "batch", true, rng));
            boolean keep = r[0][0] != 0;
            kept += keep ? 1 : 0;
            for (int j = 0; j < 12; j++) {
                assertEquals(keep ? x[j] * (float) (1 / 0.75) : 0f, r[0][j], 0f);
                assertEquals(keep ? dy[j] * (float) (1 / 0.75) : 0f, r[1][j], 0f);
            }
        }
        double rate = kept / (double) trials;
        assertTrue(Math.abs(rate - 0.75) < 5 * Math.sqrt(0.75 * 0.25 / trials), "kept " + rate);
    }

    @Test
    void functionalDropoutMatchesDropoutModule() {
        Backend be = backend();
        SplittableRandom data = new SplittableRandom(10);
        int[] shape = {50, 40};
        float[] x = rand(data, 2000, 1, 3);
        float[] dy = rand(data, 2000, 1, 0);
        float[][] m;
        try (Dropout d = new Dropout(0.3, 42, be)) {
            m = runUnary(be, x, shape, dy, d::forward);
        }
        float[][] f = runUnary(be, x, shape, dy, t -> Regularization.dropout(t, 0.3, true, new SplittableRandom(42)));
        assertArrayEquals(m[0], f[0]);
        assertArrayEquals(m[1], f[1]);
        int zeros = 0;
        for (int i = 0; i < x.length; i++) {
            boolean dropped = f[0][i] == 0;
            zeros += dropped ? 1 : 0;
            assertEquals(dropped ? 0f : x[i] * (float) (1 / 0.7), f[0][i], 0f);
            assertEquals(dropped ? 0f : dy[i] * (float) (1 / 0.7), f[1][i], 0f);
        }
        assertTrue(Math.abs(zeros / 2000.0 - 0.3) < 5 * Math.sqrt(0.21 / 2000), "dropped " + zeros);
        float[][] eval = runUnary(be, x, shape, dy, t -> Regularization.dropout(t, 0.3, false, null));
        assertArrayEquals(x, eval[0]);
        assertArrayEquals(dy, eval[1]);
    }

    // ---- reprs, state and argument errors --------------------------------------------------------------

    @Test
    void normReprsAndState() {
        Backend be = backend();
        try (LayerNorm ln = new LayerNorm(new int[] {96}, 1e-6, true, be);
             LayerNorm ln2 = new LayerNorm(new int[] {3, 4}, 1e-5, false, be);
             GroupNorm gn = new GroupNorm(4, 16, 1e-5, true, be);
             GroupNorm gn2 = new GroupNorm(2, 4, 0.001, false, be)) {
            assertEquals("LayerNorm((96,), eps=1e-06, elementwise_affine=True)", ln.toString());
            assertEquals("LayerNorm((3, 4), eps=1e-05, elementwise_affine=False)", ln2.toString());
            assertEquals("GroupNorm(4, 16, eps=1e-05, affine=True)", gn.toString());
            assertEquals("GroupNorm(2, 4, eps=0.001, affine=False)", gn2.toString());
            assertEquals(List.of("weight", "bias"), new ArrayList<>(ln.stateDict().keySet()));
            assertTrue(ln2.stateDict().isEmpty());
            assertArrayEquals(new int[] {96}, ln.normalizedShape());
            assertEquals(1e-6, ln.eps());
            assertTrue(ln.elementwiseAffine());
            assertEquals(4, gn.numGroups());
            assertEquals(16, gn.numChannels());
            assertTrue(gn.affine());
            float[] ones = new float[96];
            Arrays.fill(ones, 1f);
            assertArrayEquals(ones, ln.weight().toArray());
            assertArrayEquals(new float[96], ln.bias().toArray());
            assertArrayEquals(new float[16], gn.bias().toArray());
        }
    }

    private static void rejects(String what, Runnable r, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run, what);
        assertEquals(message, e.getMessage(), what);
    }

    @Test
    void badArgumentsGivePyTorchsMessages() {
        Backend be = backend();
        rejects("GroupNorm(3, 16)", () -> new GroupNorm(3, 16, 1e-5, true, be),
                "num_channels must be divisible by num_groups");
        rejects("ConvTranspose2d reflect", () -> ConvTranspose2d.builder(4, 6, 3).paddingMode(PaddingMode.REFLECT)
                .backend(be).build(), "Only \"zeros\" padding mode is supported for ConvTranspose2d");
        rejects("output_padding 2 stride 2", () -> ConvTranspose2d.builder(4, 6, 3).stride(2).outputPadding(2)
                .backend(be).build(), "output padding must be smaller than either stride or dilation, but got"
                + " output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 dilation_height: 1"
                + " dilation_width: 1");
        rejects("1d output_padding", () -> ConvTranspose1d.builder(4, 6, 3).stride(2).outputPadding(2).backend(be)
                .build(), "output padding must be smaller than either stride or dilation, but got output_padding_height: 0"
                + " output_padding_width: 2 stride_height: 1 stride_width: 2 dilation_height: 1 dilation_width: 1");
        rejects("stochastic depth p", () -> new StochasticDepth(1.5, "row", be),
                "drop probability has to be between 0 and 1, but got 1.5");
        rejects("stochastic depth mode", () -> new StochasticDepth(0.5, "rows", be),
                "mode has to be either 'batch' or 'row', but got rows");
        rejects("dropout p", () -> Regularization.dropout(null, 2, true, null), "dropout: input must not be null");
        try (Tensor x = be.allocate(Shape.of(2, 4, 3)); Tensor x2 = be.allocate(Shape.of(2, 4));
             Tensor w3 = be.allocate(Shape.of(3)); Tensor x12 = be.allocate(Shape.of(2, 12, 3));
             GroupNorm gn = new GroupNorm(4, 16, 1e-5, true, be);
             LayerNorm ln = new LayerNorm(new int[] {3, 4}, 1e-5, true, be);
             ConvTranspose2d ct = ConvTranspose2d.builder(4, 6, 3).stride(1).padding(3).backend(be).build();
             ConvTranspose1d ct1 = ConvTranspose1d.builder(4, 6, 3).backend(be).build();
             Tensor x4 = be.allocate(Shape.of(1, 4, 2, 2)); Tensor x3 = be.allocate(Shape.of(1, 3, 5));
             Tensor x5 = be.allocate(Shape.of(4, 5, 5, 5))) {
            rejects("GroupNorm channels", () -> gn.forward(x12), "Expected weight to be a vector of size equal to the"
                    + " number of channels in input, but got weight of shape [16] and input of shape [2, 12, 3]");
            rejects("group_norm divisible", () -> Normalization.groupNorm(x12, 5, null, null, 1e-5), "Expected number"
                    + " of channels in input to be divisible by num_groups, but got input of shape [2, 12, 3] and"
                    + " num_groups=5");
            rejects("LayerNorm shape", () -> ln.forward(x), "Given normalized_shape=[3, 4], expected input with shape"
                    + " [*, 3, 4], but got input of size[2, 4, 3]");
            rejects("layer_norm weight", () -> Normalization.layerNorm(x2, new int[] {4}, w3, null, 1e-5), "Expected"
                    + " weight to be of same shape as normalized_shape, but got weight of shape [3] and normalized_shape"
                    + " = [4]");
            rejects("layer_norm []", () -> Normalization.layerNorm(x2, new int[0], null, null, 1e-5), "Expected"
                    + " normalized_shape to be at least 1-dimensional, i.e., containing at least one element, but got"
                    + " normalized_shape = []");
            rejects("ConvTranspose2d too small", () -> ct.forward(x4), "Given input size per channel: (2 x 2)."
                    + " Calculated output size per channel: (-2 x -2). Output size is too small");
            rejects("ConvTranspose1d channels", () -> ct1.forward(x3), "Given transposed=1, weight of size [4, 6, 3],"
                    + " expected input[1, 3, 5] to have 4 channels, but got 3 channels instead");
            rejects("ConvTranspose1d rank", () -> ct1.forward(x5), "Expected 2D (unbatched) or 3D (batched) input to"
                    + " conv_transpose1d, but got input of size: [4, 5, 5, 5]");
            try (Tensor one = be.allocate(Shape.of(1, 4))) {
                rejects("GroupNorm one value per group", () -> Normalization.groupNorm(one, 4, null, null, 1e-5),
                        "Expected more than 1 value per channel when training, got input size [1, 4]");
            }
        }
    }
}
