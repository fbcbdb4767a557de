package org.layers4j.onnx;

import java.util.Map;

/**
 * The other reductions (ReduceMax / Min / Prod / L1 / L2 / LogSum / LogSumExp / SumSquare) and ArgMax /
 * ArgMin, on the host: the reduced axes are moved last, then each row is folded.
 */
final class ReduceKernels {
    private ReduceKernels() {
    }

    private interface Fold {
        double apply(double[] row, int from, int n);
    }

    static void register(Map<String, OnnxKernel> k) {
        reduce(k, "ReduceMax", (r, o, n) -> {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Double.isNaN(r[o + i]) ? r[o + i] : Math.max(m, r[o + i]);
            }
            return m;
        });
        reduce(k, "ReduceMin", (r, o, n) -> {
            double m = Double.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Double.isNaN(r[o + i]) ? r[o + i] : Math.min(m, r[o + i]);
            }
            return m;
        });
        reduce(k, "ReduceProd", (r, o, n) -> {
            double p = 1;
            for (int i = 0; i < n; i++) {
                p *= r[o + i];
            }
            return p;
        });
        reduce(k, "ReduceL1", (r, o, n) -> sum(r, o, n, Math::abs));
        reduce(k, "ReduceL2", (r, o, n) -> Math.sqrt(sum(r, o, n, x -> x * x)));
        reduce(k, "ReduceSumSquare", (r, o, n) -> sum(r, o, n, x -> x * x));
        reduce(k, "ReduceLogSum", (r, o, n) -> Math.log(sum(r, o, n, x -> x)));
        reduce(k, "ReduceLogSumExp", (r, o, n) -> {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Math.max(m, r[o + i]);
            }
            double mm = Double.isInfinite(m) ? 0 : m;
            return mm + Math.log(sum(r, o, n, x -> Math.exp(x - mm)));
        });
        k.put("ArgMax", c -> arg(c, true));
        k.put("ArgMin", c -> arg(c, false));
    }

    private static double sum(double[] r, int o, int n, java.util.function.DoubleUnaryOperator f) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += f.applyAsDouble(r[o + i]);
        }
        return s;
    }

    private static void reduce(Map<String, OnnxKernel> k, String name, Fold fold) {
        k.put(name, c -> {
            NdArray x = c.host(0);
            int r = x.rank();
            int[] axes = c.opset() >= 18 ? (c.has(1) ? OnnxCall.toInts(name, c.longs(1)) : null) : c.attrInts("axes");
            boolean keep = c.attrInt("keepdims", 1) != 0;
            if ((axes == null || axes.length == 0) && c.attrInt("noop_with_empty_axes", 0) != 0) {
                return c.upload(x);
            }
            boolean[] red = new boolean[r];
            if (axes == null || axes.length == 0) {
                java.util.Arrays.fill(red, true);
            } else {
                for (int a : axes) {
                    red[NdArray.axis(a, r, name)] = true;
                }
            }
            int[] perm = new int[r];
            int j = 0;
            int n = 1;
            for (int i = 0; i < r; i++) {
                if (!red[i]) {
                    perm[j++] = i;
                }
            }
            for (int i = 0; i < r; i++) {
                if (red[i]) {
                    perm[j++] = i;
                    n *= x.shape[i];
                }
            }
            NdArray t = x.transpose(perm);
            int[] s = x.shape.clone();
            for (int i = 0; i < r; i++) {
                if (red[i]) {
                    s[i] = 1;
                }
            }
            int rows = NdArray.checkedCount(s);
            double[] out = new double[rows];
            for (int i = 0; i < rows; i++) {
                double v = fold.apply(t.data, i * n, n);
                out[i] = x.integer ? v : (float) v;
            }
            int[] shape = keep ? s : java.util.stream.IntStream.range(0, r).filter(i -> !red[i]).map(i -> x.shape[i])
                    .toArray();
            return c.upload(new NdArray(shape, out, x.integer));
        });
    }

    private static Object arg(OnnxCall c, boolean max) {
        NdArray x = c.host(0);
        int r = x.rank();
        int axis = NdArray.axis(c.attrInt("axis", 0), r, c.opType());
        boolean keep = c.attrInt("keepdims", 1) != 0;
        boolean last = c.attrInt("select_last_index", 0) != 0;
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= x.shape[i];
        }
        for (int i = axis + 1; i < r; i++) {
            inner *= x.shape[i];
        }
        int n = x.shape[axis];
        double[] out = new double[outer * inner];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int best = 0;
                double bv = x.data[o * n * inner + in];
                for (int i = 1; i < n; i++) {
                    double v = x.data[(o * n + i) * inner + in];
                    boolean better = max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                    if (better) {
                        best = i;
                        bv = v;
                    }
                }
                out[o * inner + in] = best;
            }
        }
        int[] s = x.shape.clone();
        s[axis] = 1;
        if (!keep) {
            s = java.util.stream.IntStream.range(0, r).filter(i -> i != axis).map(i -> x.shape[i]).toArray();
        }
        return c.upload(new NdArray(s, out, true));
    }
}
