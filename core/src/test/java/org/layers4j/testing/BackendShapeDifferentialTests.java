package org.layers4j.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Gradients;
import org.layers4j.nn.Identity;
import org.layers4j.nn.Tape;
import org.layers4j.nn.Upsample;
import org.layers4j.nn.functional.Padding;
import org.layers4j.nn.functional.Resampling;
import org.layers4j.nn.functional.Shapes;
import org.layers4j.spi.Backend;

/**
 * Randomized differential tests of the shape / copy ops ({@link Shapes}), {@link Resampling#interpolate}
 * and {@link Padding#pad} on one backend: {@value #CONFIGS} seeded random configurations per op family,
 * recorded on a {@link Tape}, output and every input's gradient against a float64 reference written
 * here from PyTorch's definitions (each output element a weighted sum of input elements plus a
 * constant; the gradient is the transpose), by max|err| <= 1e-4 * max(1, max|expected|). Plus values
 * computed by PyTorch 1.13 pasted as constants, and PyTorch's error messages.
 */
public abstract class BackendShapeDifferentialTests {
    static final int CONFIGS = 200;
    private static final double TOL = 1e-4;

    protected abstract Backend backend();

    // ---- the reference: y = A x + c over the inputs laid end to end ---------------------------------

    /** Output shape and, per output element, its source indices (into the inputs laid end to end), weights and constant. */
    static final class LinRef {
        final int[] shape;
        final int[][] src;
        final double[][] w;
        final double[] c;
        /** The map whose transpose gives the gradient, when it is not this one (PyTorch 1.13's 1-D nearest). */
        LinRef back;

        LinRef(int[] shape) {
            this.shape = shape;
            int n = size(shape);
            src = new int[n][];
            w = new double[n][];
            c = new double[n];
        }

        void copy(int out, int in) {
            src[out] = new int[] {in};
            w[out] = new double[] {1};
        }

        void constant(int out, double v) {
            src[out] = new int[0];
            w[out] = new double[0];
            c[out] = v;
        }
    }

    static int size(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Row-major coordinates of flat index i. */
    static int[] coords(int i, int[] shape) {
        int[] c = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            c[a] = i % shape[a];
            i /= shape[a];
        }
        return c;
    }

    static int flat(int[] c, int[] shape) {
        int f = 0;
        for (int a = 0; a < shape.length; a++) {
            f = f * shape[a] + c[a];
        }
        return f;
    }

    private interface Op {
        Tensor apply(List<Tensor> xs);
    }

    /** Runs op on random inputs on a tape and compares output and input gradients with the reference; null or the problem. */
    private String check(SplittableRandom rng, List<int[]> inShapes, Op op, LinRef ref) {
        Backend be = backend();
        List<Tensor> xs = new ArrayList<>();
        List<float[]> xv = new ArrayList<>();
        try (Tape tape = Tape.start()) {
            for (int[] s : inShapes) {
                float[] v = TestData.randomFloats(rng, size(s));
                xv.add(v);
                xs.add(be.upload(v, Shape.of(s)));
            }
            Tensor y = op.apply(xs);
            try {
                if (!Arrays.equals(y.shape().dims(), ref.shape)) {
                    return "output shape " + y.shape().dimsString() + ", expected " + Arrays.toString(ref.shape);
                }
                int total = 0;
                for (float[] v : xv) {
                    total += v.length;
                }
                double[] all = new double[total];
                int off = 0;
                for (float[] v : xv) {
                    for (int i = 0; i < v.length; i++) {
                        all[off + i] = v[i];
                    }
                    off += v.length;
                }
                int n = size(ref.shape);
                double[] expected = new double[n];
                float[] dy = TestData.randomFloats(rng, n);
                double[] dAll = new double[total];
                LinRef bw = ref.back == null ? ref : ref.back;
                for (int i = 0; i < n; i++) {
                    double s = ref.c[i];
                    for (int k = 0; k < ref.src[i].length; k++) {
                        s += ref.w[i][k] * all[ref.src[i][k]];
                    }
                    for (int k = 0; k < bw.src[i].length; k++) {
                        dAll[bw.src[i][k]] += bw.w[i][k] * dy[i];
                    }
                    expected[i] = s;
                }
                String p = BackendLayerDifferentialTests.mismatch("output", y.toArray(), expected, TOL);
                if (p != null) {
                    return p;
                }
                try (Tensor dyt = be.upload(dy, y.shape()); Gradients g = tape.backward(y, dyt)) {
                    off = 0;
                    for (int k = 0; k < xs.size(); k++) {
                        int len = xv.get(k).length;
                        double[] e = Arrays.copyOfRange(dAll, off, off + len);
                        off += len;
                        Tensor gx = g.of(xs.get(k));
                        float[] got = gx == null ? new float[len] : gx.toArray();
                        p = BackendLayerDifferentialTests.mismatch("grad of input " + k, got, e, TOL);
                        if (p != null) {
                            return p;
                        }
                    }
                }
                return null;
            } finally {
                y.close();
            }
        } finally {
            xs.forEach(Tensor::close);
        }
    }

    private interface Case {
        String check();
    }

    private void runConfigs(String what, long seed, Function<SplittableRandom, Case> draw) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> failures = new ArrayList<>();
        for (int done = 0; done < CONFIGS; done++) {
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
        assertTrue(failures.isEmpty(), () -> what + ": " + failures.size() + " of " + CONFIGS
                + " configurations failed:\n" + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
    }

    private static Case named(String description, Case c) {
        return new Case() {
            @Override
            public String check() {
                return c.check();
            }

            @Override
            public String toString() {
                return description;
            }
        };
    }

    private static int[] randomShape(SplittableRandom rng, int rank, int max) {
        int[] s = new int[rank];
        for (int i = 0; i < rank; i++) {
            s[i] = 1 + rng.nextInt(max);
        }
        return s;
    }

    // ---- cat / chunk / split / narrow / slice / select ------------------------------------------------

    @Test
    void catMatchesReference() {
        runConfigs("cat", 101, rng -> {
            int rank = 1 + rng.nextInt(4);
            int[] base = randomShape(rng, rank, 4);
            int d = rng.nextInt(rank);
            int dim = rng.nextBoolean() ? d : d - rank;
            int count = 1 + rng.nextInt(4);
            List<int[]> shapes = new ArrayList<>();
            int total = 0;
            for (int k = 0; k < count; k++) {
                int[] s = base.clone();
                s[d] = rng.nextInt(5) == 0 ? 0 : 1 + rng.nextInt(4);
                total += s[d];
                shapes.add(s);
            }
            int[] out = base.clone();
            out[d] = total;
            LinRef ref = new LinRef(out);
            for (int i = 0; i < size(out); i++) {
                int[] c = coords(i, out);
                int j = c[d];
                int off = 0;
                for (int[] s : shapes) {
                    if (j < s[d]) {
                        int[] cc = c.clone();
                        cc[d] = j;
                        ref.copy(i, off + flat(cc, s));
                        break;
                    }
                    j -= s[d];
                    off += size(s);
                }
            }
            List<String> desc = new ArrayList<>();
            shapes.forEach(s -> desc.add(Arrays.toString(s)));
            return named("cat(" + desc + ", dim=" + dim + ")",
                    () -> check(rng, shapes, xs -> Shapes.cat(xs, dim), ref));
        });
    }

    /** The reference of taking indices {@code idx} of dim d (dropping d when {@code drop}). */
    private static LinRef gatherRef(int[] s, int d, int[] idx, boolean drop) {
        int[] out = s.clone();
        out[d] = idx.length;
        LinRef ref = new LinRef(drop ? without(out, d) : out);
        for (int i = 0; i < size(out); i++) {
            int[] c = coords(i, out);
            c[d] = idx[c[d]];
            ref.copy(i, flat(c, s));
        }
        return ref;
    }

    private static int[] without(int[] s, int d) {
        int[] r = new int[s.length - 1];
        for (int i = 0, j = 0; i < s.length; i++) {
            if (i != d) {
                r[j++] = s[i];
            }
        }
        return r;
    }

    /** Python's list(range(size))[start:stop:step] for step >= 1, by its definition. */
    static int[] pythonSlice(int size, Integer start, Integer stop, int step) {
        int a = start == null ? 0 : start < 0 ? Math.max(0, start + size) : Math.min(start, size);
        int b = stop == null ? size : stop < 0 ? Math.max(0, stop + size) : Math.min(stop, size);
        List<Integer> r = new ArrayList<>();
        for (int i = a; i < b; i += step) {
            r.add(i);
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void sliceNarrowSelectMatchReference() {
        runConfigs("slice / narrow / select", 202, rng -> {
            int rank = 1 + rng.nextInt(4);
            int[] s = randomShape(rng, rank, 6);
            int d = rng.nextInt(rank);
            int dim = rng.nextBoolean() ? d : d - rank;
            int size = s[d];
            List<int[]> shapes = List.of(s);
            switch (rng.nextInt(3)) {
                case 0: {
                    Integer start = rng.nextInt(4) == 0 ? null : rng.nextInt(-size - 2, size + 3);
                    Integer stop = rng.nextInt(4) == 0 ? null : rng.nextInt(-size - 2, size + 3);
                    int step = 1 + rng.nextInt(3);
                    LinRef ref = gatherRef(s, d, pythonSlice(size, start, stop, step), false);
                    return named("slice(" + Arrays.toString(s) + ", dim=" + dim + ", " + start + ":" + stop + ":" + step
                            + ")", () -> check(rng, shapes, xs -> Shapes.slice(xs.get(0), dim, start, stop, step), ref));
                }
                case 1: {
                    int start = rng.nextInt(size + 1);
                    int length = rng.nextInt(size - start + 1);
                    int st = rng.nextBoolean() || start == size ? start : start - size;
                    int[] idx = new int[length];
                    for (int i = 0; i < length; i++) {
                        idx[i] = start + i;
                    }
                    LinRef ref = gatherRef(s, d, idx, false);
                    return named("narrow(" + Arrays.toString(s) + ", dim=" + dim + ", " + st + ", " + length + ")",
                            () -> check(rng, shapes, xs -> Shapes.narrow(xs.get(0), dim, st, length), ref));
                }
                default: {
                    int index = rng.nextInt(-size, size);
                    LinRef ref = gatherRef(s, d, new int[] {index < 0 ? index + size : index}, true);
                    return named("select(" + Arrays.toString(s) + ", dim=" + dim + ", " + index + ")",
                            () -> check(rng, shapes, xs -> Shapes.select(xs.get(0), dim, index), ref));
                }
            }
        });
    }

    @Test
    void chunkAndSplitMatchReference() {
        runConfigs("chunk / split", 303, rng -> {
            int rank = 1 + rng.nextInt(4);
            int[] s = randomShape(rng, rank, 7);
            int d = rng.nextInt(rank);
            int dim = rng.nextBoolean() ? d : d - rank;
            int size = s[d];
            int[] sections;
            Function<Tensor, List<Tensor>> op;
            String desc;
            int kind = rng.nextInt(3);
            if (kind == 0) {
                int chunks = 1 + rng.nextInt(size + 2);
                int per = (size + chunks - 1) / chunks;
                List<Integer> secs = new ArrayList<>();
                for (int left = size; left > 0; left -= per) {
                    secs.add(Math.min(per, left));
                }
                sections = secs.stream().mapToInt(Integer::intValue).toArray();
                op = x -> Shapes.chunk(x, chunks, dim);
                desc = "chunk(" + chunks + ")";
            } else if (kind == 1) {
                int splitSize = 1 + rng.nextInt(size + 1);
                List<Integer> secs = new ArrayList<>();
                for (int left = size; left > 0; left -= splitSize) {
                    secs.add(Math.min(splitSize, left));
                }
                sections = secs.stream().mapToInt(Integer::intValue).toArray();
                op = x -> Shapes.split(x, splitSize, dim);
                desc = "split(" + splitSize + ")";
            } else {
                List<Integer> secs = new ArrayList<>();
                int left = size;
                while (left > 0 || rng.nextInt(4) == 0) {
                    int v = rng.nextInt(left + 1);
                    secs.add(v);
                    left -= v;
                }
                sections = secs.stream().mapToInt(Integer::intValue).toArray();
                op = x -> Shapes.split(x, sections, dim);
                desc = "split(" + Arrays.toString(sections) + ")";
            }
            int pick = rng.nextInt(sections.length);
            int start = 0;
            for (int k = 0; k < pick; k++) {
                start += sections[k];
            }
            int[] idx = new int[sections[pick]];
            for (int i = 0; i < idx.length; i++) {
                idx[i] = start + i;
            }
            LinRef ref = gatherRef(s, d, idx, false);
            Function<Tensor, List<Tensor>> f = op;
            return named(desc + " of " + Arrays.toString(s) + " dim=" + dim + ", piece " + pick + " of "
                    + sections.length, () -> {
                        String[] count = new String[1];
                        String p = check(rng, List.of(s), xs -> {
                            List<Tensor> parts = f.apply(xs.get(0));
                            if (parts.size() != sections.length) {
                                count[0] = parts.size() + " pieces, expected " + sections.length;
                            }
                            for (int k = 0; k < parts.size(); k++) {
                                if (k != pick) {
                                    parts.get(k).close();
                                }
                            }
                            return parts.get(Math.min(pick, parts.size() - 1));
                        }, ref);
                        return count[0] != null ? count[0] : p;
                    });
        });
    }

    // ---- reshapes and expand -------------------------------------------------------------------------

    @Test
    void reshapesAndExpandMatchReference() {
        runConfigs("flatten / view / unsqueeze / squeeze / expand", 404, rng -> {
            int rank = 1 + rng.nextInt(4);
            int[] s = randomShape(rng, rank, 4);
            for (int i = 0; i < rank; i++) {
                if (rng.nextInt(3) == 0) {
                    s[i] = 1;
                }
            }
            List<int[]> shapes = List.of(s);
            int kind = rng.nextInt(5);
            if (kind == 4) {
                int lead = rng.nextInt(3);
                int[] sizes = new int[lead + rank];
                int[] out = new int[lead + rank];
                for (int i = 0; i < sizes.length; i++) {
                    if (i < lead) {
                        sizes[i] = 1 + rng.nextInt(3);
                        out[i] = sizes[i];
                    } else {
                        int have = s[i - lead];
                        out[i] = have == 1 ? 1 + rng.nextInt(3) : have;
                        sizes[i] = rng.nextInt(3) == 0 ? -1 : out[i];
                        if (sizes[i] == -1) {
                            out[i] = have;
                        }
                    }
                }
                LinRef ref = new LinRef(out);
                for (int i = 0; i < size(out); i++) {
                    int[] c = coords(i, out);
                    int[] xc = new int[rank];
                    for (int a = 0; a < rank; a++) {
                        xc[a] = s[a] == 1 ? 0 : c[a + lead];
                    }
                    ref.copy(i, flat(xc, s));
                }
                return named("expand(" + Arrays.toString(s) + ", " + Arrays.toString(sizes) + ")",
                        () -> check(rng, shapes, xs -> Shapes.expand(xs.get(0), sizes), ref));
            }
            int[] out;
            Op op;
            String desc;
            if (kind == 0) {
                int a = rng.nextInt(rank);
                int b = a + rng.nextInt(rank - a);
                List<Integer> o = new ArrayList<>();
                int merged = 1;
                for (int i = 0; i < rank; i++) {
                    if (i < a || i > b) {
                        o.add(s[i]);
                    } else {
                        merged *= s[i];
                        if (i == b) {
                            o.add(merged);
                        }
                    }
                }
                out = o.stream().mapToInt(Integer::intValue).toArray();
                int sd = rng.nextBoolean() ? a : a - rank;
                int ed = rng.nextBoolean() ? b : b - rank;
                op = xs -> Shapes.flatten(xs.get(0), sd, ed);
                desc = "flatten(" + sd + ", " + ed + ")";
            } else if (kind == 1) {
                int n = size(s);
                int first = 1;
                for (int f = 2; f <= n; f++) {
                    if (n % f == 0 && rng.nextBoolean()) {
                        first = f;
                        break;
                    }
                }
                out = new int[] {first, n / first};
                int[] arg = rng.nextBoolean() ? new int[] {first, -1} : new int[] {-1, n / first};
                op = rng.nextBoolean() ? xs -> Shapes.view(xs.get(0), arg) : xs -> Shapes.reshape(xs.get(0), arg);
                desc = "view(" + Arrays.toString(arg) + ")";
            } else if (kind == 2) {
                int d = rng.nextInt(rank + 1);
                out = new int[rank + 1];
                System.arraycopy(s, 0, out, 0, d);
                out[d] = 1;
                System.arraycopy(s, d, out, d + 1, rank - d);
                int dim = rng.nextBoolean() ? d : d - rank - 1;
                op = xs -> Shapes.unsqueeze(xs.get(0), dim);
                desc = "unsqueeze(" + dim + ")";
            } else if (rng.nextBoolean()) {
                out = Arrays.stream(s).filter(v -> v != 1).toArray();
                op = xs -> Shapes.squeeze(xs.get(0));
                desc = "squeeze()";
            } else {
                int d = rng.nextInt(rank);
                out = s[d] == 1 ? without(s, d) : s.clone();
                op = xs -> Shapes.squeeze(xs.get(0), d);
                desc = "squeeze(" + d + ")";
            }
            LinRef ref = new LinRef(out);
            for (int i = 0; i < size(out); i++) {
                ref.copy(i, i);
            }
            Op f = op;
            return named(desc + " of " + Arrays.toString(s), () -> check(rng, shapes, f, ref));
        });
    }

    // ---- interpolate ------------------------------------------------------------------------------

    /** ATen's compute_scales_value in float32. */
    static float scaleValue(double scale, int in, int out) {
        return scale > 0 ? (float) (1.0 / scale) : (float) in / out;
    }

    /**
     * ATen's nearest_idx (legacy nearest; with {@code shortcut} its special cases out == in and out == 2 * in,
     * which PyTorch 1.13's CPU 1-D forward does not take) and nearest_exact_idx.
     */
    static int nearestSource(int dst, int in, int out, double scale, boolean exact, boolean shortcut) {
        float s = scaleValue(scale, in, out);
        if (exact) {
            return Math.min((int) Math.floor((float) ((dst + 0.5) * s)), in - 1);
        }
        if (shortcut && out == in) {
            return dst;
        }
        if (shortcut && out == 2 * in) {
            return dst >> 1;
        }
        return Math.min((int) Math.floor(dst * s), in - 1);
    }

    /** ATen's compute_source_index_and_lambda: {i0, i1} and {l0, l1} for one output index. */
    static double[] linearSource(int dst, int in, int out, boolean align, double scale) {
        if (out == in) {
            return new double[] {dst, dst, 1, 0};
        }
        float r = align ? (out > 1 ? (float) (in - 1) / (out - 1) : 0f) : scaleValue(scale, in, out);
        float c = align ? r * dst : Math.max(0f, (float) (r * (dst + 0.5) - 0.5));
        int i0 = Math.min((int) c, in - 1);
        int i1 = i0 + (i0 < in - 1 ? 1 : 0);
        float l1 = Math.min(Math.max(c - i0, 0f), 1f);
        return new double[] {i0, i1, 1f - l1, l1};
    }

    /** Reference of interpolate on [n, c, spatial...]: output sizes and per-dim scales (0 = none). */
    static LinRef interpolateRef(int[] s, int[] outSp, double[] scales, String mode, boolean align, boolean shortcut) {
        int dim = s.length - 2;
        int[] out = s.clone();
        System.arraycopy(outSp, 0, out, 2, dim);
        LinRef ref = new LinRef(out);
        boolean nearest = mode.startsWith("nearest");
        for (int i = 0; i < size(out); i++) {
            int[] c = coords(i, out);
            // per spatial dim: sources and weights
            int[][] srcs = new int[dim][];
            double[][] ws = new double[dim][];
            for (int k = 0; k < dim; k++) {
                int in = s[2 + k];
                if (nearest) {
                    srcs[k] = new int[] {nearestSource(c[2 + k], in, outSp[k], scales[k], mode.equals("nearest-exact"),
                            shortcut)};
                    ws[k] = new double[] {1};
                } else {
                    double[] l = linearSource(c[2 + k], in, outSp[k], align, scales[k]);
                    srcs[k] = new int[] {(int) l[0], (int) l[1]};
                    ws[k] = new double[] {l[2], l[3]};
                }
            }
            List<Integer> src = new ArrayList<>();
            List<Double> w = new ArrayList<>();
            int combos = 1;
            for (int k = 0; k < dim; k++) {
                combos *= srcs[k].length;
            }
            for (int m = 0; m < combos; m++) {
                int[] xc = c.clone();
                double wt = 1;
                int rem = m;
                for (int k = dim - 1; k >= 0; k--) {
                    int j = rem % srcs[k].length;
                    rem /= srcs[k].length;
                    xc[2 + k] = srcs[k][j];
                    wt *= ws[k][j];
                }
                src.add(flat(xc, s));
                w.add(wt);
            }
            ref.src[i] = src.stream().mapToInt(Integer::intValue).toArray();
            ref.w[i] = w.stream().mapToDouble(Double::doubleValue).toArray();
        }
        return ref;
    }

    private Case drawInterpolate(SplittableRandom rng, boolean nearest) {
        int dim = 1 + rng.nextInt(2);
        String mode = nearest ? (rng.nextInt(4) == 0 ? "nearest-exact" : "nearest") : dim == 1 ? "linear" : "bilinear";
        int[] s = new int[2 + dim];
        s[0] = 1 + rng.nextInt(2);
        s[1] = 1 + rng.nextInt(3);
        for (int k = 0; k < dim; k++) {
            s[2 + k] = 1 + rng.nextInt(9);
        }
        Boolean align = nearest ? null : rng.nextBoolean();
        int[] outSp = new int[dim];
        double[] kernelScales = new double[dim];
        int[] size = null;
        double[] scale = null;
        Boolean recompute = null;
        double[] choices = {2.0, 0.5, 1.7, 3.0, 0.7, 1.0, 2.5, 1.3, 1.1, 2.1, 2.05};
        if (rng.nextBoolean()) {
            size = new int[dim];
            for (int k = 0; k < dim; k++) {
                size[k] = 1 + rng.nextInt(13);
                outSp[k] = size[k];
            }
        } else {
            scale = new double[dim];
            recompute = rng.nextInt(3) == 0 ? Boolean.valueOf(rng.nextBoolean()) : null;
            for (int k = 0; k < dim; k++) {
                scale[k] = choices[rng.nextInt(choices.length)];
                outSp[k] = (int) Math.floor(s[2 + k] * scale[k]);
                if (outSp[k] < 1) {
                    scale[k] = 2.0;
                    outSp[k] = 2 * s[2 + k];
                }
                kernelScales[k] = recompute != null && recompute ? 0 : scale[k];
            }
        }
        LinRef ref = interpolateRef(s, outSp, kernelScales, mode, align != null && align, dim != 1);
        if (nearest && dim == 1) {
            ref.back = interpolateRef(s, outSp, kernelScales, mode, false, true);
        }
        int[] sz = size;
        double[] sc = scale;
        Boolean rc = recompute;
        return named("interpolate(" + Arrays.toString(s) + ", size=" + Arrays.toString(size) + ", scale_factor="
                + Arrays.toString(scale) + ", mode=" + mode + ", align_corners=" + align + ", recompute=" + recompute
                + ")", () -> check(rng, List.of(s), xs -> Resampling.interpolate(xs.get(0), sz, sc, mode, align, rc), ref));
    }

    @Test
    void nearestInterpolateMatchesReference() {
        runConfigs("interpolate nearest", 505, rng -> drawInterpolate(rng, true));
    }

    @Test
    void linearInterpolateMatchesReference() {
        runConfigs("interpolate linear / bilinear", 606, rng -> drawInterpolate(rng, false));
    }

    /** Values computed by PyTorch 1.13 (snippets in the comments). */
    @Test
    void interpolateMatchesPyTorchValues() {
        Backend be = backend();
        // x = torch.arange(5.).view(1, 1, 5)
        // F.interpolate(x, scale_factor=1.7, mode='nearest') ; F.interpolate(x, size=8, mode='nearest')
        try (Tensor x = be.upload(new float[] {0, 1, 2, 3, 4}, Shape.of(1, 1, 5));
             Tensor a = Resampling.interpolate(x, null, new double[] {1.7}, "nearest", null, null);
             Tensor b = Resampling.interpolate(x, new int[] {8}, null, "nearest", null, null)) {
            assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2, 3, 4}, a.toArray());
            assertArrayEquals(new float[] {0, 0, 1, 1, 2, 3, 3, 4}, b.toArray());
        }
        // PyTorch 1.13's CPU nearest: the 1-D forward skips nearest_idx's out == 2 * in shortcut, 2-D and backward take it
        // x = torch.arange(5.).view(1, 1, 5).requires_grad_(); y = F.interpolate(x, scale_factor=2.1)
        // y.backward(torch.arange(10.).view(1, 1, 10)); y.flatten().tolist(), x.grad.flatten().tolist()
        // F.interpolate(x.view(1, 1, 1, 5), scale_factor=(1.0, 2.1)).flatten().tolist()
        try (Tensor x = be.upload(new float[] {0, 1, 2, 3, 4}, Shape.of(1, 1, 5));
             Tensor x2 = be.upload(new float[] {0, 1, 2, 3, 4}, Shape.of(1, 1, 1, 5));
             Tensor b = Resampling.interpolate(x2, null, new double[] {1.0, 2.1}, "nearest", null, null)) {
            assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, b.toArray());
            try (Tape tape = Tape.start()) {
                Tensor y = Resampling.interpolate(x, null, new double[] {2.1}, "nearest", null, null);
                assertArrayEquals(new float[] {0, 0, 0, 1, 1, 2, 2, 3, 3, 4}, y.toArray());
                try (Tensor dyt = be.upload(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, y.shape());
                     Gradients g = tape.backward(y, dyt)) {
                    assertArrayEquals(new float[] {1, 5, 9, 13, 17}, g.of(x).toArray());
                }
                y.close();
            }
        }
        // x = (torch.arange(12.) ** 1.5).view(1, 1, 3, 4)
        float[] xv = new float[12];
        for (int i = 0; i < 12; i++) {
            xv[i] = (float) Math.pow(i, 1.5);
        }
        // F.interpolate(x, size=(5, 7), mode='bilinear', align_corners=False).flatten()[:8].tolist()
        float[] alignFalse = {0.0f, 0.3571428954601288f, 0.9285714626312256f, 1.91421377658844f, 2.9975507259368896f,
            4.350536346435547f, 5.196152210235596f, 3.200000286102295f};
        // F.interpolate(x, size=(5, 7), mode='bilinear', align_corners=True).flatten()[:8].tolist()
        float[] alignTrue = {0.0f, 0.5f, 1.0f, 1.9142135381698608f, 2.8284270763397217f, 4.012289524078369f,
            5.196152210235596f, 4.0f};
        // y = F.interpolate(x.requires_grad_(), scale_factor=1.7, mode='bilinear', align_corners=False)  # [1,1,5,6]
        // y.backward(torch.arange(float(y.numel())).view(y.shape)); x.grad.flatten().tolist()
        float[] grad = {7.799304962158203f, 13.288926124572754f, 17.36504554748535f, 10.605537414550781f,
            37.25518798828125f, 45.802772521972656f, 48.188575744628906f, 26.959348678588867f, 57.15138244628906f,
            66.79066467285156f, 67.09341430664062f, 36.69983673095703f};
        try (Tensor x = be.upload(xv, Shape.of(1, 1, 3, 4));
             Tensor f = Resampling.interpolate(x, new int[] {5, 7}, null, "bilinear", false, null);
             Tensor t = Resampling.interpolate(x, new int[] {5, 7}, null, "bilinear", true, null)) {
            assertClose(alignFalse, Arrays.copyOf(f.toArray(), 8));
            assertClose(alignTrue, Arrays.copyOf(t.toArray(), 8));
            try (Tape tape = Tape.start()) {
                Tensor y = Resampling.interpolate(x, null, new double[] {1.7}, "bilinear", false, null);
                assertEquals(Shape.of(1, 1, 5, 6), y.shape());
                float[] dy = new float[30];
                for (int i = 0; i < 30; i++) {
                    dy[i] = i;
                }
                try (Tensor dyt = be.upload(dy, y.shape()); Gradients g = tape.backward(y, dyt)) {
                    assertClose(grad, g.of(x).toArray());
                }
                y.close();
            }
        }
    }

    private static void assertClose(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-5 * Math.max(1, Math.abs(expected[i])), "at " + i);
        }
    }

    // ---- pad ----------------------------------------------------------------------------------------

    /** ATen's reflection / replication index for output j of a dim of size n padded by (l, r), crops included. */
    static int borderSource(String mode, int j, int n, int l) {
        int iStart = Math.max(0, -l);
        int oStart = Math.max(0, l);
        int ip;
        if (mode.equals("reflect")) {
            if (j < l) {
                ip = l * 2 - j;
            } else if (j < n + l) {
                ip = j;
            } else {
                ip = (n + l - 1) * 2 - j;
            }
        } else {
            if (j < l) {
                ip = l;
            } else if (j < n + l) {
                ip = j;
            } else {
                ip = n + l - 1;
            }
        }
        return ip - oStart + iStart;
    }

    @Test
    void padMatchesReference() {
        runConfigs("pad", 707, rng -> {
            String mode = new String[] {"constant", "reflect", "replicate"}[rng.nextInt(3)];
            int rank;
            int pairs;
            if (mode.equals("constant")) {
                rank = 1 + rng.nextInt(4);
                pairs = rng.nextInt(rank + 1);
            } else {
                pairs = 1 + rng.nextInt(2);
                rank = pairs + 1 + rng.nextInt(2);
            }
            int[] s = randomShape(rng, rank, 6);
            int[] pad = new int[2 * pairs];
            for (int i = 0; i < pairs; i++) {
                int n = s[rank - 1 - i];
                for (int side = 0; side < 2; side++) {
                    int v;
                    do {
                        v = rng.nextInt(-n + 1, mode.equals("reflect") ? n : n + 3);
                    } while (!validPad(mode, n, side == 0 ? v : pad[2 * i], side == 0 ? 0 : v, side));
                    pad[2 * i + side] = v;
                }
            }
            double value = mode.equals("constant") ? rng.nextInt(5) - 2 + 0.5 : 0;
            int[] out = s.clone();
            for (int i = 0; i < pairs; i++) {
                out[rank - 1 - i] += pad[2 * i] + pad[2 * i + 1];
            }
            LinRef ref = new LinRef(out);
            for (int i = 0; i < size(out); i++) {
                int[] c = coords(i, out);
                boolean inside = true;
                for (int k = 0; k < pairs; k++) {
                    int d = rank - 1 - k;
                    if (mode.equals("constant")) {
                        c[d] -= pad[2 * k];
                        inside &= c[d] >= 0 && c[d] < s[d];
                    } else {
                        c[d] = borderSource(mode, c[d], s[d], pad[2 * k]);
                    }
                }
                if (inside) {
                    ref.copy(i, flat(c, s));
                } else {
                    ref.constant(i, value);
                }
            }
            return named("pad(" + Arrays.toString(s) + ", " + Arrays.toString(pad) + ", " + mode + ", " + value + ")",
                    () -> check(rng, List.of(s), xs -> Padding.pad(xs.get(0), pad, mode, value), ref));
        });
    }

    /** Pads the reference (and PyTorch, without reading out of bounds) handles: output >= 1, reflect within the crop. */
    private static boolean validPad(String mode, int n, int l, int r, int side) {
        if (side == 0) {
            return n + l >= 1 && (!mode.equals("reflect") || l < n + Math.min(l, 0));
        }
        int rest = n + Math.min(l, 0) + Math.min(r, 0);
        if (n + l + r < 1 || rest < 1) {
            return false;
        }
        if (mode.equals("reflect")) {
            return Math.max(l, 0) < rest && Math.max(r, 0) < rest;
        }
        return true;
    }

    // ---- modules, aliases, errors -------------------------------------------------------------------

    @Test
    void modulesReprAndAliases() {
        Backend be = backend();
        assertEquals("Upsample(scale_factor=2.0, mode=bilinear)", new Upsample(new double[] {2.0}, "bilinear",
                null, be).toString());
        assertEquals("Upsample(size=(3, 4), mode=nearest)", new Upsample(new int[] {3, 4}, null, "nearest", null, be)
                .toString());
        assertEquals("Upsample(size=5, mode=nearest)", Upsample.ofSize(new Integer[] {5}, null, null, be).toString());
        assertEquals("Identity()", new Identity(be).toString());
        Upsample u = new Upsample(new double[] {2.0}, "bilinear", true, be);
        assertEquals("bilinear", u.mode());
        assertEquals(Boolean.TRUE, u.alignCorners());
        assertArrayEquals(new double[] {2.0}, u.scaleFactor());
        assertNull(u.size());
        try (Tensor x = be.upload(new float[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2)); Tensor y = u.forward(x)) {
            assertEquals(Shape.of(1, 1, 4, 4), y.shape());
            assertArrayEquals(new float[] {1, 4f / 3, 5f / 3, 2}, Arrays.copyOf(y.toArray(), 4), 1e-6f);
        }
        Identity id = new Identity(be);
        try (Tape tape = Tape.start(); Tensor x = be.upload(new float[] {1, 2}, Shape.of(2))) {
            Tensor y = id.forward(x);
            Tensor z = Shapes.contiguous(y);
            assertTrue(y != x && z != y);
            try (Tensor dy = be.upload(new float[] {3, 4}, Shape.of(2)); Gradients g = tape.backward(z, dy)) {
                assertArrayEquals(new float[] {3, 4}, g.of(x).toArray());
            }
            y.close();
            z.close();
        }
    }

    private void assertMessage(String expected, Executable e) {
        Throwable t = assertThrows(RuntimeException.class, e);
        assertEquals(expected, t.getMessage());
    }

    @Test
    void errorMessagesArePyTorchs() {
        Backend be = backend();
        try (Tensor x = be.upload(new float[120], Shape.of(2, 3, 4, 5));
             Tensor y = be.upload(new float[150], Shape.of(2, 3, 5, 5));
             Tensor z = be.upload(new float[30], Shape.of(2, 3, 5));
             Tensor x3 = be.upload(new float[24], Shape.of(2, 3, 4))) {
            assertMessage("Sizes of tensors must match except in dimension 1. Expected size 4 but got size 5 for tensor"
                    + " number 1 in the list.", () -> Shapes.cat(List.of(x, y), 1));
            assertMessage("Tensors must have same number of dimensions: got 4 and 3", () -> Shapes.cat(List.of(x, z), 1));
            assertMessage("torch.cat(): expected a non-empty list of Tensors", () -> Shapes.cat(List.of(), 1));
            assertMessage("Dimension out of range (expected to be in range of [-4, 3], but got 4)",
                    () -> Shapes.cat(List.of(x), 4));
            assertMessage("chunk expects `chunks` to be greater than 0, got: 0", () -> Shapes.chunk(x, 0, 1));
            assertMessage("split_size can only be 0 if dimension size is 0, but got dimension size of 3",
                    () -> Shapes.split(x, 0, 1));
            assertMessage("split_with_sizes expects split_sizes to sum exactly to 3 (input tensor's size at dimension 1),"
                    + " but got split_sizes=[1, 1]", () -> Shapes.split(x, new int[] {1, 1}, 1));
            assertMessage("start (2) + length (2) exceeds dimension size (3).", () -> Shapes.narrow(x, 1, 2, 2));
            assertMessage("start (0) + length (-1) exceeds dimension size (3).", () -> Shapes.narrow(x, 1, 0, -1));
            assertMessage("select(): index 3 out of range for tensor of size [2, 3, 4, 5] at dimension 1",
                    () -> Shapes.select(x, 1, 3));
            assertMessage("shape '[2, -1, 7]' is invalid for input of size 120", () -> Shapes.view(x, 2, -1, 7));
            assertMessage("only one dimension can be inferred", () -> Shapes.view(x, -1, -1));
            assertMessage("invalid shape dimension -2", () -> Shapes.reshape(x, 2, -2, 7));
            assertMessage("Dimension out of range (expected to be in range of [-5, 4], but got 5)",
                    () -> Shapes.unsqueeze(x, 5));
            assertMessage("flatten() has invalid args: start_dim cannot come after end_dim",
                    () -> Shapes.flatten(x, 2, 1));
            assertMessage("expand(torch.FloatTensor{[2, 3, 4, 5]}, size=[2, 3, 4]): the number of sizes provided (3)"
                    + " must be greater or equal to the number of dimensions in the tensor (4)",
                    () -> Shapes.expand(x, 2, 3, 4));
            assertMessage("The expanded size of the tensor (4) must match the existing size (3) at non-singleton"
                    + " dimension 1.  Target sizes: [2, 4, 4, 5].  Tensor sizes: [2, 3, 4, 5]",
                    () -> Shapes.expand(x, 2, 4, 4, 5));
            assertMessage("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0",
                    () -> Shapes.expand(x, -1, 2, 3, 4, 5));
            assertMessage("slice step cannot be zero", () -> Shapes.slice(x, 1, null, null, 0));
            assertMessage("step must be greater than zero", () -> Shapes.slice(x, 1, null, null, -1));
            // interpolate
            assertMessage("only one of size or scale_factor should be defined",
                    () -> Resampling.interpolate(x, new int[] {3, 3}, new double[] {2}, "nearest", null, null));
            assertMessage("either size or scale_factor should be defined",
                    () -> Resampling.interpolate(x, null, null, "nearest", null, null));
            assertMessage("align_corners option can only be set with the interpolating modes: linear | bilinear |"
                    + " bicubic | trilinear", () -> Resampling.interpolate(x, new int[] {3}, null, "nearest", true, null));
            assertMessage("Input and output must have the same number of spatial dimensions, but got input with spatial"
                    + " dimensions of [4] and output size of (3, 3). Please provide input tensor in (N, C, d1, d2, ...,dK)"
                    + " format and output size in (o1, o2, ...,oK) format.",
                    () -> Resampling.interpolate(x3, new int[] {3, 3}, null, "linear", null, null));
            assertMessage("Got 4D input, but linear mode needs 3D input",
                    () -> Resampling.interpolate(x, new int[] {3}, null, "linear", null, null));
            assertMessage("Got 3D input, but bilinear mode needs 4D input",
                    () -> Resampling.interpolate(x3, new int[] {3}, null, "bilinear", null, null));
            assertMessage("Input Error: Only 3D, 4D and 5D input Tensors supported (got 4D) for the modes: nearest |"
                    + " linear | bilinear | bicubic | trilinear | area | nearest-exact (got foo)",
                    () -> Resampling.interpolate(x, new int[] {3}, null, "foo", null, null));
            assertMessage("recompute_scale_factor is not meaningful with an explicit size.",
                    () -> Resampling.interpolate(x, new int[] {3}, null, "nearest", null, true));
            assertMessage("Input and output sizes should be greater than 0, but got input (H: 4, W: 5) output (H: 0,"
                    + " W: 0)", () -> Resampling.interpolate(x, null, new double[] {0.1}, "nearest", null, null));
            // pad
            assertMessage("Padding length must be divisible by 2", () -> Padding.pad(x, new int[] {1, 2, 3}, null, 0));
            assertMessage("Padding length too large", () -> Padding.pad(x, new int[10], null, 0));
            assertMessage("Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now",
                    () -> Padding.pad(x, new int[] {1, 1}, "reflect", 0));
            assertMessage("Argument #4: Padding size should be less than the corresponding input dimension, but got:"
                    + " padding (5, 1) at dimension 3 of input 4", () -> Padding.pad(x, new int[] {5, 1, 1, 1},
                    "reflect", 0));
            assertMessage("Argument #6: Padding size should be less than the corresponding input dimension, but got:"
                    + " padding (4, 1) at dimension 2 of input 4", () -> Padding.pad(x, new int[] {1, 1, 4, 1},
                    "reflect", 0));
            assertMessage("Argument #4: Padding size should be less than the corresponding input dimension, but got:"
                    + " padding (4, 1) at dimension 2 of input [2, 3, 4]", () -> Padding.pad(x3, new int[] {4, 1},
                    "reflect", 0));
            assertMessage("Unrecognised padding mode foo", () -> Padding.pad(x, new int[] {1, 1}, "foo", 0));
            assertMessage("Padding mode \"reflect\" doesn't take in value argument",
                    () -> Padding.pad(x3, new int[] {1, 1}, "reflect", 1.0));
            assertMessage("input (W: 4) is too small. Calculated output W: -1",
                    () -> Padding.pad(x3, new int[] {-2, -3}, "replicate", 0));
        }
    }
}
