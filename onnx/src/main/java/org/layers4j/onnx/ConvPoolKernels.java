package org.layers4j.onnx;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.io.HostTensor;
import org.layers4j.nn.Functional;
import org.layers4j.nn.Module;
import org.layers4j.nn.conv.Conv1d;
import org.layers4j.nn.conv.Conv2d;
import org.layers4j.nn.conv.ConvTranspose1d;
import org.layers4j.nn.conv.ConvTranspose2d;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.nn.functional.Padding;

/**
 * Conv, ConvTranspose and the pools, with weights given at run time (a Conv whose weights are initializers
 * is a {@code conv2d} / {@code conv1d} layer of the graph instead: see {@link OnnxConverter}). 1-d and 2-d
 * convolutions and pools; other ranks are refused by name.
 */
final class ConvPoolKernels {
    private ConvPoolKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        k.put("Conv", ConvPoolKernels::conv);
        k.put("ConvTranspose", ConvPoolKernels::convTranspose);
        k.put("MaxPool", c -> pool(c, true));
        k.put("AveragePool", c -> pool(c, false));
        k.put("GlobalAveragePool", c -> {
            Tensor x = c.in(0);
            if (x.shape().rank() == 4) {
                return ElementwiseKernels.standard("adaptive_avg_pool2d", kw("input", x, "output_size", List.of(1L, 1L)),
                        c.context());
            }
            return Arithmetic.mean(x, spatial(x.shape().rank()), true);
        });
        k.put("GlobalMaxPool", c -> {
            Tensor x = c.in(0);
            if (x.shape().rank() == 4) {
                return ElementwiseKernels.standard("adaptive_max_pool2d", kw("input", x, "output_size", List.of(1L, 1L)),
                        c.context());
            }
            NdArray h = c.host(0);
            int[] s = h.shape.clone();
            int rows = s.length < 2 ? 1 : s[0] * s[1];
            int inner = rows == 0 ? 0 : h.data.length / rows;
            for (int i = 2; i < s.length; i++) {
                s[i] = 1;
            }
            double[] out = new double[rows];
            for (int r = 0; r < rows; r++) {
                double m = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < inner; j++) {
                    m = Math.max(m, h.data[r * inner + j]);
                }
                out[r] = m;
            }
            return c.upload(new NdArray(s, out, false));
        });
    }

    static Map<String, Object> kw(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static int[] spatial(int rank) {
        int[] d = new int[Math.max(0, rank - 2)];
        for (int i = 0; i < d.length; i++) {
            d[i] = i + 2;
        }
        return d;
    }

    private static void requireRank(OnnxCall c, Tensor x) {
        int r = x.shape().rank();
        if (x.dtype() != org.layers4j.DType.FLOAT32) {
            throw new OnnxUnsupportedException(c.opType() + " of an integer tensor is not supported (float only)");
        }
        if (r != 3 && r != 4) {
            throw new OnnxUnsupportedException(c.opType() + " on a " + r + "-d input: only 1-d and 2-d (inputs of rank"
                    + " 3 and 4) are supported");
        }
    }

    /** Per-dimension pads [begin..., end...] from pads or auto_pad, for input spatial sizes {@code in}. */
    static int[] pads(OnnxCall c, int[] in, int[] kernel, int[] stride, int[] dilation) {
        int n = in.length;
        String auto = c.attrString("auto_pad", "NOTSET");
        int[] p = new int[2 * n];
        switch (auto) {
            case "NOTSET" -> {
                int[] given = c.attrInts("pads");
                if (given != null) {
                    if (given.length != 2 * n) {
                        throw new IllegalArgumentException(c.opType() + ": pads " + Arrays.toString(given) + " for "
                                + n + " spatial dimensions");
                    }
                    p = given;
                }
            }
            case "VALID" -> {
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                for (int i = 0; i < n; i++) {
                    int out = (in[i] + stride[i] - 1) / stride[i];
                    int total = Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - in[i]);
                    int small = total / 2;
                    p[i] = auto.equals("SAME_UPPER") ? small : total - small;
                    p[i + n] = total - p[i];
                }
            }
            default -> throw new OnnxUnsupportedException(c.opType() + ": auto_pad '" + auto + "' is not supported");
        }
        return p;
    }

    static int[] attrOr(OnnxCall c, String name, int n, int dflt) {
        int[] v = c.attrInts(name);
        if (v == null) {
            v = new int[n];
            Arrays.fill(v, dflt);
        }
        if (v.length != n) {
            throw new IllegalArgumentException(c.opType() + ": " + name + " " + Arrays.toString(v) + " for " + n
                    + " spatial dimensions");
        }
        return v;
    }

    /** x padded by the asymmetric part of {@code p} (begin / end), and the symmetric padding left for the op. */
    private static Object[] split(Tensor x, int[] p, double value) {
        return split(x, p, value, null);
    }

    /** As above, the symmetric part at most half the kernel (PyTorch's pools' limit) when kernel is given. */
    private static Object[] split(Tensor x, int[] p, double value, int[] kernel) {
        int n = p.length / 2;
        int[] sym = new int[n];
        int[] torch = new int[2 * n];
        boolean extra = false;
        for (int i = 0; i < n; i++) {
            sym[i] = Math.min(p[i], p[i + n]);
            if (kernel != null) {
                sym[i] = Math.min(sym[i], kernel[i] / 2);
            }
            int k = n - 1 - i;
            torch[2 * k] = p[i] - sym[i];
            torch[2 * k + 1] = p[i + n] - sym[i];
            extra |= p[i] != sym[i] || p[i + n] != sym[i];
        }
        return new Object[] {extra ? Padding.pad(x, torch, "constant", value) : null, sym};
    }

    private static Object conv(OnnxCall c) {
        Tensor x = c.in(0);
        Tensor w = c.in(1);
        requireRank(c, x);
        int n = x.shape().rank() - 2;
        int[] wd = w.shape().dims();
        int[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
        int[] stride = attrOr(c, "strides", n, 1);
        int[] dil = attrOr(c, "dilations", n, 1);
        int[] in = Arrays.copyOfRange(x.shape().dims(), 2, 2 + n);
        Object[] sp = split(x, pads(c, in, kernel, stride, dil), 0);
        Tensor padded = (Tensor) sp[0];
        int group = c.attrInt("group", 1);
        var b = n == 1 ? Conv1d.builder(wd[1] * group, wd[0], kernel) : Conv2d.builder(wd[1] * group, wd[0], kernel);
        b.stride(stride).padding((int[]) sp[1]).dilation(dil).groups(group).bias(c.has(2)).backend(c.backend());
        try (Module m = b.build()) {
            m.set("weight", new HostTensor(w.shape(), w.toArray()));
            if (c.has(2)) {
                m.set("bias", new HostTensor(c.in(2).shape(), c.in(2).toArray()));
            }
            return m.forward(padded != null ? padded : x);
        } finally {
            if (padded != null) {
                padded.close();
            }
        }
    }

    private static Object convTranspose(OnnxCall c) {
        Tensor x = c.in(0);
        Tensor w = c.in(1);
        requireRank(c, x);
        int n = x.shape().rank() - 2;
        int[] wd = w.shape().dims();
        int[] kernel = Arrays.copyOfRange(wd, 2, wd.length);
        int[] stride = attrOr(c, "strides", n, 1);
        int[] dil = attrOr(c, "dilations", n, 1);
        int[] outPad = attrOr(c, "output_padding", n, 0);
        int[] p = transposePads(c, x, n, kernel, stride, dil, outPad);
        boolean symmetric = true;
        for (int i = 0; i < n; i++) {
            symmetric &= p[i] == p[i + n] && outPad[i] < Math.max(stride[i], dil[i]);
        }
        int group = c.attrInt("group", 1);
        var b = n == 1 ? ConvTranspose1d.builder(wd[0], wd[1] * group, kernel)
                : ConvTranspose2d.builder(wd[0], wd[1] * group, kernel);
        b.stride(stride).dilation(dil).groups(group).backend(c.backend());
        if (symmetric) {
            b.padding(Arrays.copyOf(p, n)).outputPadding(outPad).bias(c.has(2));
        } else {
            b.bias(false); // the full output, cropped / extended below, then the bias
        }
        Tensor y;
        try (Module m = b.build()) {
            m.set("weight", new HostTensor(w.shape(), w.toArray()));
            if (symmetric && c.has(2)) {
                m.set("bias", new HostTensor(c.in(2).shape(), c.in(2).toArray()));
            }
            y = m.forward(x);
        }
        if (symmetric) {
            return y;
        }
        // full output [..., L0]: keep [begin, L0 - end + output_padding) (zeros past L0), then add the bias
        Tensor cur = y;
        try {
            int[] torch = new int[2 * n];
            for (int i = 0; i < n; i++) {
                int len = cur.shape().dim(2 + i);
                int keep = len - p[i] - p[i + n] + outPad[i];
                if (keep <= 0) {
                    throw new IllegalArgumentException("ConvTranspose: pads " + Arrays.toString(p) + " leave no output");
                }
                int stop = Math.min(len, p[i] + keep);
                Tensor next = org.layers4j.nn.functional.Shapes.slice(cur, 2 + i, p[i], stop, 1);
                cur.close();
                cur = next;
                torch[2 * (n - 1 - i) + 1] = p[i] + keep - stop;
            }
            if (Arrays.stream(torch).anyMatch(v -> v != 0)) {
                Tensor next = Padding.pad(cur, torch, "constant", 0);
                cur.close();
                cur = next;
            }
            if (!c.has(2)) {
                Tensor out = cur;
                cur = null;
                return out;
            }
            int[] s = new int[n + 2];
            Arrays.fill(s, 1);
            s[1] = c.in(2).shape().size();
            try (Tensor bias = Functional.reshape(c.in(2), Shape.of(s))) {
                return Arithmetic.add(cur, bias);
            }
        } finally {
            if (cur != null) {
                cur.close();
            }
        }
    }

    /** ConvTranspose's pads [begin..., end...]: given, or from output_shape / auto_pad as ONNX defines them. */
    private static int[] transposePads(OnnxCall c, Tensor x, int n, int[] kernel, int[] stride, int[] dil,
                                       int[] outPad) {
        String auto = c.attrString("auto_pad", "NOTSET");
        int[] outputShape = c.attrInts("output_shape");
        if (outputShape == null && !auto.startsWith("SAME")) {
            return auto.equals("VALID") ? new int[2 * n] : attrOr(c, "pads", 2 * n, 0);
        }
        int[] p = new int[2 * n];
        for (int i = 0; i < n; i++) {
            int in = x.shape().dim(2 + i);
            int out = outputShape != null ? outputShape[outputShape.length - n + i] : in * stride[i];
            int total = stride[i] * (in - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - out;
            if (total < 0) { // an output_shape past the full output: zeros (and the bias) at the end
                p[i + n] = total;
                continue;
            }
            boolean lower = auto.equals("SAME_LOWER");
            p[i] = lower ? total - total / 2 : total / 2;
            p[i + n] = total - p[i];
        }
        return p;
    }

    private static Object pool(OnnxCall c, boolean max) {
        Tensor x = c.in(0);
        requireRank(c, x);
        int n = x.shape().rank() - 2;
        int[] kernel = c.attrInts("kernel_shape");
        if (kernel == null || kernel.length != n) {
            throw new IllegalArgumentException(c.opType() + ": kernel_shape must have " + n + " values");
        }
        int[] stride = attrOr(c, "strides", n, 1);
        int[] dil = attrOr(c, "dilations", n, 1);
        int[] in = Arrays.copyOfRange(x.shape().dims(), 2, 2 + n);
        boolean includePad = c.attrInt("count_include_pad", 0) != 0;
        int[] p = pads(c, in, kernel, stride, dil);
        Object[] sp = split(x, p, max ? Double.NEGATIVE_INFINITY : 0, kernel);
        Tensor padded = (Tensor) sp[0];
        if (padded != null && !max && !includePad) {
            // pads PyTorch's pool cannot take, not counted: the padded sum over the padded count of real cells
            padded.close();
            return excludingPads(c, x, p, kernel, stride);
        }
        if (!max && Arrays.stream(dil).anyMatch(d -> d != 1)) {
            throw new OnnxUnsupportedException("AveragePool with dilations is not supported");
        }
        int[] sym = (Tensor) null == padded ? (int[]) sp[1] : (int[]) sp[1];
        Tensor src = padded != null ? padded : x;
        Tensor x4 = null;
        try {
            if (n == 1) {
                int[] d = src.shape().dims();
                x4 = Functional.reshape(src, Shape.of(d[0], d[1], 1, d[2]));
                kernel = new int[] {1, kernel[0]};
                stride = new int[] {1, stride[0]};
                dil = new int[] {1, dil[0]};
                sym = new int[] {0, sym[0]};
            }
            Tensor in4 = x4 != null ? x4 : src;
            Map<String, Object> a = kw("input", in4, "kernel_size", longs(kernel), "stride", longs(stride), "padding",
                    longs(sym), "ceil_mode", c.attrInt("ceil_mode", 0) != 0);
            if (max) {
                a.put("dilation", longs(dil));
            } else {
                a.put("count_include_pad", includePad || padded != null);
            }
            Tensor y = (Tensor) ElementwiseKernels.standard(max ? "max_pool2d" : "avg_pool2d", a, c.context());
            if (n == 1) {
                try (y) {
                    int[] d = y.shape().dims();
                    return Functional.reshape(y, Shape.of(d[0], d[1], d[3]));
                }
            }
            return y;
        } finally {
            if (x4 != null) {
                x4.close();
            }
            if (padded != null) {
                padded.close();
            }
        }
    }

    private static Object excludingPads(OnnxCall c, Tensor x, int[] p, int[] kernel, int[] stride) {
        float[] ones = new float[x.shape().size()];
        Arrays.fill(ones, 1);
        Map<String, Object> attrs = new LinkedHashMap<>(c.attrs());
        attrs.put("count_include_pad", 1L);
        attrs.put("pads", longs(p));
        attrs.remove("auto_pad");
        try (Tensor one = c.backend().upload(ones, x.shape());
             Tensor sum = (Tensor) pool(new OnnxCall(c.opType(), List.<Object>of(x), attrs, c.opset(), 1, c.context()), false);
             Tensor count = (Tensor) pool(new OnnxCall(c.opType(), List.<Object>of(one), attrs, c.opset(), 1, c.context()),
                     false)) {
            return Arithmetic.div(sum, count);
        }
    }

    /** x zero-padded as auto_pad SAME_UPPER (upper) / SAME_LOWER asks for a kernel, stride and dilation. */
    static Tensor samePad(Tensor x, int[] kernel, int[] stride, int[] dilation, boolean upper) {
        int n = kernel.length;
        int[] torch = new int[2 * n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            int in = x.shape().dim(x.shape().rank() - n + i);
            int out = (in + stride[i] - 1) / stride[i];
            int total = Math.max(0, (out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - in);
            int small = total / 2;
            int begin = upper ? small : total - small;
            torch[2 * (n - 1 - i)] = begin;
            torch[2 * (n - 1 - i) + 1] = total - begin;
            any |= total != 0;
        }
        return any ? Padding.pad(x, torch, "constant", 0) : org.layers4j.graph.ops.Values.alias(x);
    }

    static List<Object> longs(int[] v) {
        return Arrays.stream(v).mapToObj(i -> (Object) (long) i).toList();
    }
}
