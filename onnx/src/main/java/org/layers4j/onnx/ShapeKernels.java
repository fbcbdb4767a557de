package org.layers4j.onnx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Functional;
import org.layers4j.nn.functional.Shapes;

/**
 * ONNX's shape ops and the shape arithmetic exporters emit (Shape, Gather, Unsqueeze, Concat, ...). Shapes
 * and indices are int64 tensors computed on the host per call, so a symbolic batch size resolves each call;
 * float tensors are reshaped, permuted, concatenated, split, sliced and padded by this library's ops (with
 * gradients).
 */
final class ShapeKernels {
    private ShapeKernels() {
    }

    static void register(java.util.Map<String, OnnxKernel> k) {
        k.put("Shape", ShapeKernels::shape);
        k.put("Flatten", c -> {
            int[] d = c.in(0).shape().dims();
            int axis = c.attrInt("axis", 1);
            int a = axis < 0 ? axis + d.length : axis;
            if (a < 0 || a > d.length) {
                throw new IllegalArgumentException("Flatten: axis " + axis + " is out of range for rank " + d.length);
            }
            long outer = 1;
            for (int i = 0; i < a; i++) {
                outer *= d[i];
            }
            return reshape(c.in(0), new int[] {(int) outer, (int) (c.in(0).shape().size() / Math.max(outer, 1))});
        });
        k.put("Reshape", ShapeKernels::reshapeOp);
        k.put("Squeeze", c -> {
            int[] d = c.in(0).shape().dims();
            int[] axes = axes(c, 1);
            List<Integer> out = new ArrayList<>();
            boolean[] drop = new boolean[d.length];
            if (axes == null) {
                for (int i = 0; i < d.length; i++) {
                    drop[i] = d[i] == 1;
                }
            } else {
                for (int a : axes) {
                    int x = NdArray.axis(a, d.length, "Squeeze");
                    if (d[x] != 1) {
                        throw new IllegalArgumentException("Squeeze: dimension " + a + " has size " + d[x] + ", not 1");
                    }
                    drop[x] = true;
                }
            }
            for (int i = 0; i < d.length; i++) {
                if (!drop[i]) {
                    out.add(d[i]);
                }
            }
            return reshape(c.in(0), out.stream().mapToInt(Integer::intValue).toArray());
        });
        k.put("Unsqueeze", c -> {
            int[] d = c.in(0).shape().dims();
            int[] axes = axes(c, 1);
            if (axes == null) {
                throw new IllegalArgumentException("Unsqueeze: axes are required");
            }
            int r = d.length + axes.length;
            boolean[] added = new boolean[r];
            for (int a : axes) {
                int x = NdArray.axis(a, r, "Unsqueeze");
                if (added[x]) {
                    throw new IllegalArgumentException("Unsqueeze: axis " + a + " is repeated");
                }
                added[x] = true;
            }
            int[] out = new int[r];
            for (int i = 0, j = 0; i < r; i++) {
                out[i] = added[i] ? 1 : d[j++];
            }
            return reshape(c.in(0), out);
        });
        k.put("Transpose", c -> {
            int r = c.in(0).shape().rank();
            int[] perm = c.attrInts("perm");
            if (perm == null) {
                perm = new int[r];
                for (int i = 0; i < r; i++) {
                    perm[i] = r - 1 - i;
                }
            }
            if (perm.length != r) {
                throw new IllegalArgumentException("Transpose: perm " + Arrays.toString(perm) + " for rank " + r);
            }
            return c.isInt(0) ? c.upload(c.host(0).transpose(perm)) : Functional.permute(c.in(0), perm);
        });
        k.put("Concat", c -> {
            List<Tensor> ts = c.tensors();
            if (ts.isEmpty()) {
                throw new IllegalArgumentException("Concat: needs at least one input");
            }
            boolean ints = ts.stream().anyMatch(t -> t.dtype() == DType.INT64);
            int axis = c.attrInt("axis", 0);
            if (ints) {
                List<NdArray> parts = new ArrayList<>();
                ts.forEach(t -> parts.add(NdArray.of(t)));
                return c.upload(NdArray.concat(parts, axis));
            }
            return Shapes.cat(ts, NdArray.axis(axis, ts.get(0).shape().rank(), "Concat"));
        });
        k.put("Split", ShapeKernels::split);
        k.put("Slice", SliceKernels::slice);
        k.put("Gather", c -> c.upload(c.host(0).gather(c.host(1), c.attrInt("axis", 0))));
        k.put("Pad", SliceKernels::pad);
        k.put("ConstantOfShape", c -> {
            int[] s = OnnxCall.toInts("ConstantOfShape", c.longs(0));
            NdArray.checkedHostCount(s);
            Object v = c.attrs().get("value");
            double fill = v instanceof Number n ? n.doubleValue() : 0;
            boolean integer = c.attrs().get("value_is_int") instanceof Boolean b && b;
            double f = fill;
            return c.upload(NdArray.zeros(s, integer).map(x -> f));
        });
        k.put("Expand", c -> c.upload(c.host(0).expandTo(checkedShape(c.longs(1)))));
        k.put("Cast", c -> {
            int to = c.attrInt("to", 1);
            boolean integer = OnnxTensors.isIntegerType(to);
            NdArray a = c.host(0);
            java.util.function.DoubleUnaryOperator round = switch (to) {
                case OnnxTensors.BFLOAT16 -> ShapeKernels::roundToBfloat16;
                case OnnxTensors.FLOAT16 -> ShapeKernels::roundToFloat16;
                default -> x -> (float) x;
            };
            return c.upload(new NdArray(a.shape, integer ? a.map(x -> (double) (long) x).data : a.map(round).data,
                    integer));
        });
    }

    /**
     * x cast to bfloat16 as ONNX 1.12's reference (and its backend test data) casts: the float32's upper 16 bits
     * (truncation toward zero), held in a float.
     */
    static double roundToBfloat16(double x) {
        float f = (float) x;
        if (Float.isNaN(f)) {
            return Float.NaN;
        }
        return Float.intBitsToFloat(Float.floatToRawIntBits(f) & 0xffff0000);
    }

    /** x rounded to IEEE half precision (to nearest, ties to even; overflow to infinity), as a float. */
    static double roundToFloat16(double x) {
        float f = (float) x;
        if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) {
            return f;
        }
        double a = Math.abs(f);
        if (a >= 65520) { // beyond the largest half (65504) plus half an ulp: infinity
            return Math.copySign(Double.POSITIVE_INFINITY, f);
        }
        // the half's spacing at this magnitude: 2^(e - 10) for normals, 2^-24 below 2^-14 (subnormals)
        int e = Math.max(Math.getExponent(a), -14);
        double ulp = Math.scalb(1.0, e - 10);
        return Math.copySign(Math.rint(a / ulp) * ulp, f);
    }

    static int[] checkedShape(long[] s) {
        int[] d = OnnxCall.toInts("shape", s);
        NdArray.checkedHostCount(NdArray.broadcast(d, d));
        return d;
    }

    private static Object shape(OnnxCall c) {
        int[] d = c.in(0).shape().dims();
        int r = d.length;
        int start = c.attrInt("start", 0);
        int end = c.attrInt("end", r);
        start = Math.max(0, Math.min(r, start < 0 ? start + r : start));
        end = Math.max(0, Math.min(r, end < 0 ? end + r : end));
        double[] v = new double[Math.max(0, end - start)];
        for (int i = 0; i < v.length; i++) {
            v[i] = d[start + i];
        }
        return c.upload(new NdArray(new int[] {v.length}, v, true));
    }

    /** Axes from the attribute (older opsets) or the input {@code index} (opset 13 on); null when neither. */
    static int[] axes(OnnxCall c, int index) {
        if (c.has(index)) {
            return OnnxCall.toInts(c.opType(), c.longs(index));
        }
        return c.attrInts("axes");
    }

    static Tensor reshape(Tensor x, int[] dims) {
        Shape s = Shape.of(dims);
        return x.dtype() == DType.INT64 ? x.reshape(s) : Functional.reshape(x, s);
    }

    private static Object reshapeOp(OnnxCall c) {
        int[] d = c.in(0).shape().dims();
        long[] s = c.longs(1);
        boolean allowZero = c.attrInt("allowzero", 0) != 0;
        int[] out = new int[s.length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            long v = s[i];
            if (v == 0 && !allowZero) {
                if (i >= d.length) {
                    throw new IllegalArgumentException("Reshape: 0 at position " + i + " copies no input dimension");
                }
                v = d[i];
            }
            if (v == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException("Reshape: more than one -1 in " + Arrays.toString(s));
                }
                infer = i;
                continue;
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Reshape: invalid size " + v + " in " + Arrays.toString(s));
            }
            out[i] = (int) v;
            known *= v;
            if (known > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("Reshape: the shape " + Arrays.toString(s) + " is too large for "
                        + c.in(0).shape().size() + " elements");
            }
        }
        int n = c.in(0).shape().size();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException("Reshape: cannot infer -1 in " + Arrays.toString(s) + " for " + n
                        + " elements");
            }
            out[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException("Reshape: shape " + Arrays.toString(s) + " does not hold " + n
                    + " elements of " + Arrays.toString(d));
        }
        return reshape(c.in(0), out);
    }

    private static Object split(OnnxCall c) {
        Tensor x = c.in(0);
        int axis = NdArray.axis(c.attrInt("axis", 0), x.shape().rank(), "Split");
        int size = x.shape().dim(axis);
        int[] sections;
        if (c.has(1)) {
            sections = OnnxCall.toInts("Split", c.longs(1));
        } else if (c.attrInts("split") != null) {
            sections = c.attrInts("split");
        } else {
            int n = c.hasAttr("num_outputs") ? c.attrInt("num_outputs", 1) : c.outputs();
            int chunk = (size + n - 1) / n;
            sections = new int[n];
            for (int i = 0; i < n; i++) {
                sections[i] = Math.max(0, Math.min(chunk, size - chunk * i));
            }
        }
        int sum = Arrays.stream(sections).sum();
        if (sum != size) {
            throw new IllegalArgumentException("Split: sections " + Arrays.toString(sections) + " do not sum to " + size);
        }
        if (x.dtype() == DType.INT64) {
            List<Tensor> out = new ArrayList<>();
            NdArray a = NdArray.of(x);
            int start = 0;
            for (int s : sections) {
                out.add(c.upload(a.slice(axis, start, 1, s)));
                start += s;
            }
            return out;
        }
        return Shapes.split(x, sections, axis);
    }
}
