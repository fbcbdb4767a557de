package org.layers4j.onnx;

import java.util.Map;

/**
 * Index and layout ops on the host: GatherElements, Trilu, CumSum, DepthToSpace / SpaceToDepth, Hardmax, Mod,
 * CastLike, Shrink, IsNaN / IsInf.
 */
final class IndexKernels {
    private IndexKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        k.put("GatherElements", IndexKernels::gatherElements);
        k.put("Trilu", IndexKernels::trilu);
        k.put("CumSum", IndexKernels::cumSum);
        k.put("DepthToSpace", c -> depthToSpace(c, true));
        k.put("SpaceToDepth", c -> depthToSpace(c, false));
        k.put("Hardmax", IndexKernels::hardmax);
        k.put("Mod", c -> {
            boolean fmod = c.attrInt("fmod", 0) != 0;
            boolean integer = c.isInt(0) && c.isInt(1);
            return c.upload(NdArray.binary(c.host(0), c.host(1), (x, y) -> {
                if (integer && y == 0) {
                    throw new IllegalArgumentException("Mod: integer division by zero");
                }
                double r = fmod || !integer ? (integer ? x % y : (float) ((float) x % (float) y)) : x - Math.floor(x / y)
                        * y;
                if (integer && !fmod) {
                    long a = (long) x;
                    long b = (long) y;
                    r = Math.floorMod(a, b);
                }
                return r;
            }, integer));
        });
        k.put("CastLike", c -> {
            NdArray a = c.host(0);
            boolean integer = c.isInt(1);
            long target = c.attrs().get("target_type") instanceof Long t ? t : OnnxTensors.FLOAT;
            java.util.function.DoubleUnaryOperator round = integer ? x -> (double) (long) x
                    : target == OnnxTensors.BFLOAT16 ? ShapeKernels::roundToBfloat16
                    : target == OnnxTensors.FLOAT16 ? ShapeKernels::roundToFloat16 : x -> (float) x;
            return c.upload(new NdArray(a.shape, a.map(round).data, integer));
        });
        k.put("Shrink", c -> {
            double bias = (float) c.attrDouble("bias", 0);
            double lambd = (float) c.attrDouble("lambd", 0.5);
            return c.upload(c.host(0).map(x -> x < -lambd ? (float) (x + bias) : x > lambd ? (float) (x - bias) : 0));
        });
        k.put("IsNaN", c -> {
            NdArray a = c.host(0);
            return c.upload(new NdArray(a.shape, a.map(x -> Double.isNaN(x) ? 1 : 0).data, true));
        });
        k.put("IsInf", c -> {
            NdArray a = c.host(0);
            boolean pos = c.attrInt("detect_positive", 1) != 0;
            boolean neg = c.attrInt("detect_negative", 1) != 0;
            return c.upload(new NdArray(a.shape, a.map(x -> pos && x == Double.POSITIVE_INFINITY
                    || neg && x == Double.NEGATIVE_INFINITY ? 1 : 0).data, true));
        });
    }

    private static Object gatherElements(OnnxCall c) {
        NdArray x = c.host(0);
        NdArray idx = c.host(1);
        int r = x.rank();
        int axis = NdArray.axis(c.attrInt("axis", 0), r, "GatherElements");
        if (idx.rank() != r) {
            throw new IllegalArgumentException("GatherElements: indices of rank " + idx.rank() + " for rank " + r);
        }
        int[] st = NdArray.strides(x.shape);
        int[] pos = new int[r];
        double[] out = new double[idx.data.length];
        int n = x.shape[axis];
        for (int k = 0; k < out.length; k++) {
            long i = (long) idx.data[k];
            if (i < -n || i >= n) {
                throw new IllegalArgumentException("GatherElements: index " + i + " out of range for size " + n);
            }
            int off = 0;
            for (int d = 0; d < r; d++) {
                if (d != axis && pos[d] >= x.shape[d]) {
                    throw new IllegalArgumentException("GatherElements: indices shape exceeds the data's");
                }
                off += (d == axis ? (int) (i < 0 ? i + n : i) : pos[d]) * st[d];
            }
            out[k] = x.data[off];
            for (int d = r - 1; d >= 0; d--) {
                if (++pos[d] < idx.shape[d]) {
                    break;
                }
                pos[d] = 0;
            }
        }
        return c.upload(new NdArray(idx.shape, out, x.integer));
    }

    private static Object trilu(OnnxCall c) {
        NdArray x = c.host(0);
        long kk = c.has(1) ? c.longs(1)[0] : 0;
        boolean upper = c.attrInt("upper", 1) != 0;
        int r = x.rank();
        if (r < 2) {
            throw new IllegalArgumentException("Trilu: the input must have rank >= 2");
        }
        int rows = x.shape[r - 2];
        int cols = x.shape[r - 1];
        double[] out = x.data.clone();
        for (int b = 0; rows * cols > 0 && b < out.length / (rows * cols); b++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    boolean keep = upper ? j - i >= kk : j - i <= kk;
                    if (!keep) {
                        out[(b * rows + i) * cols + j] = 0;
                    }
                }
            }
        }
        return c.upload(new NdArray(x.shape, out, x.integer));
    }

    private static Object cumSum(OnnxCall c) {
        NdArray x = c.host(0);
        int r = x.rank();
        int axis = NdArray.axis((int) c.longs(1)[0], r, "CumSum");
        boolean exclusive = c.attrInt("exclusive", 0) != 0;
        boolean reverse = c.attrInt("reverse", 0) != 0;
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= x.shape[i];
        }
        for (int i = axis + 1; i < r; i++) {
            inner *= x.shape[i];
        }
        int n = x.shape[axis];
        double[] out = new double[x.data.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                double acc = 0;
                for (int t = 0; t < n; t++) {
                    int i = reverse ? n - 1 - t : t;
                    int at = (o * n + i) * inner + in;
                    if (exclusive) {
                        out[at] = acc;
                        acc += x.data[at];
                    } else {
                        acc += x.data[at];
                        out[at] = acc;
                    }
                    if (!x.integer) {
                        acc = (float) acc;
                    }
                }
            }
        }
        return c.upload(new NdArray(x.shape, out, x.integer));
    }

    private static Object depthToSpace(OnnxCall c, boolean toSpace) {
        NdArray x = c.host(0);
        if (x.rank() != 4) {
            throw new IllegalArgumentException(c.opType() + ": the input must be 4-d");
        }
        int b = c.attrInt("blocksize", 1);
        int n = x.shape[0];
        int ch = x.shape[1];
        int h = x.shape[2];
        int w = x.shape[3];
        if (b < 1 || toSpace && ch % (b * b) != 0 || !toSpace && (h % b != 0 || w % b != 0)) {
            throw new IllegalArgumentException(c.opType() + ": blocksize " + b + " does not fit " + java.util.Arrays
                    .toString(x.shape));
        }
        if (toSpace) {
            boolean crd = c.attrString("mode", "DCR").equals("CRD");
            int co = ch / (b * b);
            NdArray t = crd ? x.reshape(new int[] {n, co, b, b, h, w}).transpose(new int[] {0, 1, 4, 2, 5, 3})
                    : x.reshape(new int[] {n, b, b, co, h, w}).transpose(new int[] {0, 3, 4, 1, 5, 2});
            return c.upload(t.reshape(new int[] {n, co, h * b, w * b}));
        }
        NdArray t = x.reshape(new int[] {n, ch, h / b, b, w / b, b}).transpose(new int[] {0, 3, 5, 1, 2, 4});
        return c.upload(t.reshape(new int[] {n, ch * b * b, h / b, w / b}));
    }

    private static Object hardmax(OnnxCall c) {
        NdArray x = c.host(0);
        int r = x.rank();
        int axis = NdArray.axis(c.attrInt("axis", c.opset() < 13 ? 1 : -1), r, "Hardmax");
        int outer = 1;
        int inner = 1;
        int n;
        if (c.opset() < 13) {
            for (int i = 0; i < axis; i++) {
                outer *= x.shape[i];
            }
            n = outer == 0 ? 0 : x.data.length / outer;
        } else {
            for (int i = 0; i < axis; i++) {
                outer *= x.shape[i];
            }
            for (int i = axis + 1; i < r; i++) {
                inner *= x.shape[i];
            }
            n = x.shape[axis];
        }
        double[] out = new double[x.data.length];
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                int best = 0;
                for (int i = 1; i < n; i++) {
                    if (x.data[(o * n + i) * inner + in] > x.data[(o * n + best) * inner + in]) {
                        best = i;
                    }
                }
                if (n > 0) {
                    out[(o * n + best) * inner + in] = 1;
                }
            }
        }
        return c.upload(new NdArray(x.shape, out, x.integer));
    }
}
