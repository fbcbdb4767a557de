package org.layers4j.onnx;

import java.util.Arrays;
import org.layers4j.DType;
import org.layers4j.Tensor;
import org.layers4j.nn.functional.Padding;
import org.layers4j.nn.functional.Shapes;

/** ONNX Slice (starts / ends / axes / steps inputs, or attributes before opset 10) and Pad. */
final class SliceKernels {
    private SliceKernels() {
    }

    static Object slice(OnnxCall c) {
        Tensor x = c.in(0);
        int r = x.shape().rank();
        int[] d = x.shape().dims();
        long[] starts = c.has(1) ? c.longs(1) : toLongs(c.attrInts("starts"));
        long[] ends = c.has(2) ? c.longs(2) : toLongs(c.attrInts("ends"));
        if (starts == null || ends == null || starts.length != ends.length) {
            throw new IllegalArgumentException("Slice: starts and ends are required, of one length");
        }
        long[] axes = c.has(3) ? c.longs(3) : c.attrInts("axes") != null ? toLongs(c.attrInts("axes")) : null;
        long[] steps = c.has(4) ? c.longs(4) : null;
        int n = starts.length;
        int[] begin = new int[r];
        int[] step = new int[r];
        int[] len = d.clone();
        Arrays.fill(step, 1);
        boolean[] seen = new boolean[r];
        for (int i = 0; i < n; i++) {
            int a = NdArray.axis(axes == null ? i : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE,
                    axes[i])), r, "Slice");
            if (seen[a]) {
                throw new IllegalArgumentException("Slice: axis " + a + " is repeated");
            }
            seen[a] = true;
            long st = steps == null ? 1 : steps[i];
            if (st == 0 || st > Integer.MAX_VALUE || st < -Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Slice: step " + st + " is not supported");
            }
            long dim = d[a];
            long s = starts[i] < 0 ? starts[i] + dim : starts[i];
            long e = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (st > 0) {
                s = Math.max(0, Math.min(dim, s));
                e = Math.max(0, Math.min(dim, e));
                len[a] = (int) (e > s ? (e - s + st - 1) / st : 0);
            } else {
                s = Math.max(-1, Math.min(dim - 1, s));
                e = Math.max(-1, Math.min(dim - 1, e));
                len[a] = (int) (s > e ? (s - e + (-st) - 1) / (-st) : 0);
            }
            begin[a] = (int) s;
            step[a] = (int) st;
        }
        boolean simple = x.dtype() == DType.FLOAT32;
        for (int a = 0; a < r; a++) {
            simple &= step[a] > 0 && len[a] > 0;
        }
        if (simple) {
            Tensor cur = null;
            for (int a = 0; a < r; a++) {
                if (begin[a] == 0 && step[a] == 1 && len[a] == d[a]) {
                    continue;
                }
                Tensor next = Shapes.slice(cur == null ? x : cur, a, begin[a], begin[a] + (len[a] - 1) * step[a] + 1,
                        step[a]);
                if (cur != null) {
                    cur.close();
                }
                cur = next;
            }
            return cur == null ? org.layers4j.graph.ops.Values.alias(x) : cur;
        }
        NdArray h = c.host(0);
        for (int a = 0; a < r; a++) {
            if (!(begin[a] == 0 && step[a] == 1 && len[a] == d[a])) {
                h = h.slice(a, begin[a], step[a], len[a]);
            }
        }
        return c.upload(h);
    }

    private static long[] toLongs(int[] v) {
        return v == null ? null : Arrays.stream(v).mapToLong(i -> i).toArray();
    }

    static Object pad(OnnxCall c) {
        Tensor x = c.in(0);
        int r = x.shape().rank();
        long[] pads = c.has(1) ? c.longs(1) : toLongs(c.attrInts("pads"));
        if (pads == null) {
            throw new IllegalArgumentException("Pad: pads are required");
        }
        double value = c.has(2) ? c.host(2).data[0] : c.attrDouble("value", 0);
        long[] axes = c.has(3) ? c.longs(3) : null;
        int[] full = new int[2 * r];
        int n = axes == null ? r : axes.length;
        if (pads.length != 2 * n) {
            throw new IllegalArgumentException("Pad: " + pads.length + " pads for " + n + " axes");
        }
        int[] p = OnnxCall.toInts("Pad", pads);
        for (int i = 0; i < n; i++) {
            int a = axes == null ? i : NdArray.axis((int) axes[i], r, "Pad");
            full[a] = p[i];
            full[a + r] = p[i + n];
        }
        String mode = c.attrString("mode", "constant");
        String torchMode = switch (mode) {
            case "constant" -> "constant";
            case "reflect" -> "reflect";
            case "edge" -> "replicate";
            default -> throw new IllegalArgumentException("Pad: mode '" + mode + "' is not supported (constant,"
                    + " reflect, edge)");
        };
        if (x.dtype() != DType.FLOAT32) {
            // integers pad through float32, exact below 2^24
            NdArray h = c.host(0);
            for (double v : h.data) {
                if (Math.abs(v) > (1 << 24) || Math.abs(value) > (1 << 24)) {
                    throw new OnnxUnsupportedException("Pad of integers beyond 2^24 is not supported");
                }
            }
            try (Tensor f = new NdArray(h.shape, h.data, false).upload(c.backend());
                 Tensor y = (Tensor) padFloat(f, full, r, torchMode, value)) {
                NdArray out = NdArray.of(y);
                return c.upload(new NdArray(out.shape, out.data, true));
            }
        }
        return padFloat(x, full, r, torchMode, value);
    }

    private static Object padFloat(Tensor x, int[] full, int r, String torchMode, double value) {
        // F.pad's order: the last dimension first, (before, after) pairs; leading unpadded dimensions dropped
        int last = 0;
        for (int a = 0; a < r; a++) {
            if (full[a] != 0 || full[a + r] != 0) {
                last = r - a;
                break;
            }
        }
        int[] torch = new int[2 * last];
        for (int k = 0; k < last; k++) {
            int a = r - 1 - k;
            torch[2 * k] = full[a];
            torch[2 * k + 1] = full[a + r];
        }
        if (last == 0) {
            return org.layers4j.graph.ops.Values.alias(x);
        }
        return Padding.pad(x, torch, torchMode, torchMode.equals("constant") ? value : 0);
    }
}
