package org.layers4j.onnx;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;
import org.layers4j.nn.functional.Arithmetic;
import org.layers4j.nn.functional.Normalization;

/** Gemm, MatMul, the normalizations, ReduceMean / ReduceSum and Resize. */
final class MathKernels {
    private MathKernels() {
    }

    static void register(Map<String, OnnxKernel> k) {
        k.put("MatMul", c -> c.upload(NdArray.matmul(c.host(0), c.host(1))));
        k.put("Gemm", MathKernels::gemm);
        k.put("BatchNormalization", MathKernels::batchNorm);
        k.put("InstanceNormalization", c -> Normalization.groupNorm(c.in(0), c.in(0).shape().dim(1), c.in(1), c.in(2),
                c.attrDouble("epsilon", 1e-5)));
        k.put("LayerNormalization", MathKernels::layerNorm);
        k.put("ReduceMean", c -> reduce(c, true));
        k.put("ReduceSum", c -> reduce(c, false));
        k.put("Resize", ResizeKernel::resize);
        k.put("Upsample", ResizeKernel::resize);
    }

    private static Object gemm(OnnxCall c) {
        NdArray a = c.host(0);
        NdArray b = c.host(1);
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("Gemm: A and B must be 2-d");
        }
        if (c.attrInt("transA", 0) != 0) {
            a = a.transpose(new int[] {1, 0});
        }
        if (c.attrInt("transB", 0) != 0) {
            b = b.transpose(new int[] {1, 0});
        }
        double alpha = (float) c.attrDouble("alpha", 1);
        double beta = (float) c.attrDouble("beta", 1);
        NdArray y = NdArray.matmul(a, b).map(v -> (float) (alpha * (float) v));
        if (c.has(2)) {
            y = NdArray.binary(y, c.host(2), (p, q) -> (float) (p + (float) (beta * q)), false);
        }
        return c.upload(y);
    }

    /**
     * Inference BatchNormalization, (x - mean) * (scale / sqrt(var + eps)) + B, by this library's broadcasting
     * ops, so gradients reach scale, B (and mean) when they are parameters; 1 / sqrt(var + eps) is computed on
     * the host (the running variance is a statistic, not trained).
     */
    private static Object batchNorm(OnnxCall c) {
        if (c.attrInt("training_mode", 0) != 0 || c.outputs() > 1) {
            throw new OnnxUnsupportedException("BatchNormalization in training mode (training_mode=1 or the running"
                    + " statistics outputs) is not supported");
        }
        Tensor x = c.in(0);
        if (x.shape().rank() < 2) {
            throw new IllegalArgumentException("BatchNormalization: the input must have rank >= 2");
        }
        double eps = c.attrDouble("epsilon", 1e-5);
        int ch = x.shape().dim(1);
        for (int i = 1; i <= 4; i++) {
            if (c.in(i).shape().size() != ch) {
                throw new IllegalArgumentException("BatchNormalization: input " + i + " must have " + ch + " values");
            }
        }
        double[] var = c.host(4).data;
        float[] inv = new float[ch];
        for (int i = 0; i < ch; i++) {
            inv[i] = (float) (1.0 / Math.sqrt((float) ((float) var[i] + (float) eps)));
        }
        int[] s = new int[x.shape().rank()];
        Arrays.fill(s, 1);
        s[1] = ch;
        Shape cs = Shape.of(s);
        try (Tensor scale = Functional.reshape(c.in(1), cs); Tensor bias = Functional.reshape(c.in(2), cs);
             Tensor mean = Functional.reshape(c.in(3), cs); Tensor invStd = c.backend().upload(inv, cs);
             Tensor a = Arithmetic.mul(scale, invStd); Tensor centered = Arithmetic.sub(x, mean);
             Tensor scaled = Arithmetic.mul(centered, a)) {
            return Arithmetic.add(scaled, bias);
        }
    }

    private static Object layerNorm(OnnxCall c) {
        Tensor x = c.in(0);
        int r = x.shape().rank();
        int axis = NdArray.axis(c.attrInt("axis", -1), r, "LayerNormalization");
        int[] ns = Arrays.copyOfRange(x.shape().dims(), axis, r);
        Shape nss = Shape.of(ns);
        Tensor w = null;
        Tensor b = null;
        try {
            w = fit(c, 1, nss);
            b = c.has(2) ? fit(c, 2, nss) : null;
            Tensor y = Normalization.layerNorm(x, ns, w, b, c.attrDouble("epsilon", 1e-5));
            return c.outputs() > 1 ? statistics(c, y, axis) : y;
        } finally {
            if (w != null) {
                w.close();
            }
            if (b != null) {
                b.close();
            }
        }
    }

    /** LayerNormalization's Mean and InvStdDev outputs (shape: x's up to axis, ones after), with Y first. */
    private static Object statistics(OnnxCall c, Tensor y, int axis) {
        NdArray h = c.host(0);
        int r = h.rank();
        int[] s = h.shape.clone();
        int inner = 1;
        for (int i = axis; i < r; i++) {
            inner *= s[i];
            s[i] = 1;
        }
        int rows = inner == 0 ? 0 : h.data.length / inner;
        double[] mean = new double[rows];
        double[] inv = new double[rows];
        double eps = (float) c.attrDouble("epsilon", 1e-5);
        for (int k = 0; k < rows; k++) {
            double sum = 0;
            for (int j = 0; j < inner; j++) {
                sum += h.data[k * inner + j];
            }
            double m = sum / inner;
            double v = 0;
            for (int j = 0; j < inner; j++) {
                double d = h.data[k * inner + j] - m;
                v += d * d;
            }
            mean[k] = m;
            inv[k] = 1 / Math.sqrt(v / inner + eps);
        }
        List<Object> out = new java.util.ArrayList<>();
        out.add(y);
        out.add(c.upload(new NdArray(s, mean, false)));
        if (c.outputs() > 2) {
            out.add(c.upload(new NdArray(s, inv, false)));
        }
        return out;
    }

    /** Input i as a tensor of shape s: reshaped when it holds as many elements, else broadcast on the host. */
    private static Tensor fit(OnnxCall c, int i, Shape s) {
        Tensor t = c.in(i);
        if (t.shape().size() == s.size()) {
            return Functional.reshape(t, s);
        }
        return c.upload(c.host(i).expandTo(s.dims()));
    }

    private static Object reduce(OnnxCall c, boolean mean) {
        Tensor x = c.in(0);
        int r = x.shape().rank();
        boolean keep = c.attrInt("keepdims", 1) != 0;
        boolean inputAxes = mean ? c.opset() >= 18 : c.opset() >= 13;
        int[] axes = inputAxes ? (c.has(1) ? OnnxCall.toInts(c.opType(), c.longs(1)) : null) : c.attrInts("axes");
        if (axes == null || axes.length == 0) {
            if (c.attrInt("noop_with_empty_axes", 0) != 0) {
                return org.layers4j.graph.ops.Values.alias(x);
            }
            axes = new int[r];
            for (int i = 0; i < r; i++) {
                axes[i] = i;
            }
        }
        boolean[] red = new boolean[r];
        for (int a : axes) {
            red[NdArray.axis(a, r, c.opType())] = true;
        }
        if (x.dtype() == org.layers4j.DType.FLOAT32 && r > 0) {
            int[] dims = new int[axes.length];
            int j = 0;
            for (int i = 0; i < r; i++) {
                if (red[i]) {
                    dims[j++] = i;
                }
            }
            dims = Arrays.copyOf(dims, j);
            return mean ? Arithmetic.mean(x, dims, keep) : Arithmetic.sum(x, dims, keep);
        }
        NdArray h = c.host(0);
        NdArray s = h.sumKeep(red);
        long n = 1;
        for (int i = 0; i < r; i++) {
            n *= red[i] ? h.shape[i] : 1;
        }
        long count = n;
        if (mean) {
            s = s.map(v -> v / count);
        }
        if (!keep) {
            int[] out = java.util.stream.IntStream.range(0, r).filter(i -> !red[i]).map(i -> h.shape[i]).toArray();
            s = s.reshape(out);
        }
        return c.upload(s);
    }
}
