package org.layers4j.onnx;

import java.util.Arrays;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.spi.Backend;

/**
 * A host-side n-d array (row-major doubles, which hold float32 and the int64 values of shapes and indices
 * exactly) for the ONNX ops with no backend kernel of their own and for shape arithmetic. Results of these
 * ops carry no gradient; every size is checked before anything is allocated.
 */
final class NdArray {
    /**
     * The most elements a host-computed ONNX value may hold (2^27 by default, 1 GiB of doubles; the system
     * property {@code layers4jOnnxMaxHostElements} changes it): a hostile shape is refused before allocation.
     */
    static final long MAX_ELEMENTS = Math.min(Integer.MAX_VALUE - 8L, Long.getLong("layers4jOnnxMaxHostElements",
            1L << 27));

    final int[] shape;
    final double[] data;
    final boolean integer;

    NdArray(int[] shape, double[] data, boolean integer) {
        this.shape = shape;
        this.data = data;
        this.integer = integer;
        if (count(shape) != data.length) {
            throw new IllegalStateException("shape " + Arrays.toString(shape) + " vs " + data.length + " values");
        }
    }

    static NdArray zeros(int[] shape, boolean integer) {
        return new NdArray(shape, new double[checkedCount(shape)], integer);
    }

    static long count(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
            if (n > MAX_ELEMENTS || d < 0) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    static int checkedCount(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative size in " + Arrays.toString(shape));
            }
        }
        long n = count(shape);
        if (n > MAX_ELEMENTS) {
            throw new IllegalArgumentException("a tensor of shape " + Arrays.toString(shape) + " holds more than "
                    + MAX_ELEMENTS + " elements (the limit of host-computed ONNX values)");
        }
        return (int) n;
    }

    static int checkedHostCount(int[] shape) {
        return checkedCount(shape);
    }

    static NdArray of(Tensor t) {
        int[] s = t.shape().dims();
        double[] d = new double[t.shape().size()];
        if (t.dtype() == DType.INT64) {
            long[] l = t.toLongArray();
            for (int i = 0; i < d.length; i++) {
                d[i] = l[i];
            }
            return new NdArray(s, d, true);
        }
        float[] f = t.toArray();
        for (int i = 0; i < d.length; i++) {
            d[i] = f[i];
        }
        return new NdArray(s, d, false);
    }

    Tensor upload(Backend be) {
        Shape s = Shape.of(shape);
        if (integer) {
            long[] l = new long[data.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = (long) data[i];
            }
            return be.upload(l, s);
        }
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return be.upload(f, s);
    }

    int rank() {
        return shape.length;
    }

    long[] longs() {
        long[] l = new long[data.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) data[i];
        }
        return l;
    }

    static int[] strides(int[] shape) {
        int[] st = new int[shape.length];
        int s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    static int axis(int axis, int rank, String what) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException(what + ": axis " + axis + " is out of range for rank " + rank);
        }
        return a;
    }

    NdArray reshape(int[] s) {
        if (count(s) != data.length) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(s));
        }
        return new NdArray(s, data, integer);
    }

    NdArray map(DoubleUnaryOperator f) {
        double[] out = new double[data.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(data[i]);
        }
        return new NdArray(shape, out, integer);
    }

    /** Numpy broadcasting of two shapes; IllegalArgumentException when they do not broadcast. */
    static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int x = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int y = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (x != y && x != 1 && y != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast");
            }
            out[i] = x == 1 ? y : x;
        }
        return out;
    }

    /** This array's element index for each element of a broadcast result of shape {@code to}. */
    int[] broadcastIndex(int[] to) {
        int n = checkedCount(to);
        int[] idx = new int[n];
        int r = to.length;
        int[] st = strides(shape);
        int[] pos = new int[r];
        for (int k = 0; k < n; k++) {
            int off = 0;
            for (int i = 0; i < shape.length; i++) {
                int p = pos[i + r - shape.length];
                off += shape[i] == 1 ? 0 : p * st[i];
            }
            idx[k] = off;
            for (int i = r - 1; i >= 0; i--) {
                if (++pos[i] < to[i]) {
                    break;
                }
                pos[i] = 0;
            }
        }
        return idx;
    }

    static NdArray binary(NdArray a, NdArray b, DoubleBinaryOperator f, boolean integerResult) {
        int[] s = broadcast(a.shape, b.shape);
        int[] ia = a.broadcastIndex(s);
        int[] ib = b.broadcastIndex(s);
        double[] out = new double[ia.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.applyAsDouble(a.data[ia[i]], b.data[ib[i]]);
        }
        return new NdArray(s, out, integerResult);
    }

    NdArray expandTo(int[] s) {
        int[] to = broadcast(shape, s);
        int[] idx = broadcastIndex(to);
        double[] out = new double[idx.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = data[idx[i]];
        }
        return new NdArray(to, out, integer);
    }

    NdArray transpose(int[] perm) {
        int r = rank();
        int[] s = new int[r];
        int[] st = strides(shape);
        int[] pst = new int[r];
        for (int i = 0; i < r; i++) {
            s[i] = shape[perm[i]];
            pst[i] = st[perm[i]];
        }
        double[] out = new double[data.length];
        int[] pos = new int[r];
        for (int k = 0; k < out.length; k++) {
            int off = 0;
            for (int i = 0; i < r; i++) {
                off += pos[i] * pst[i];
            }
            out[k] = data[off];
            for (int i = r - 1; i >= 0; i--) {
                if (++pos[i] < s[i]) {
                    break;
                }
                pos[i] = 0;
            }
        }
        return new NdArray(s, out, integer);
    }

    /** numpy.take along an axis; negative indices count from the end. */
    NdArray gather(NdArray indices, int axis) {
        int a = axis(axis, rank(), "Gather");
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < a; i++) {
            outer *= shape[i];
        }
        for (int i = a + 1; i < rank(); i++) {
            inner *= shape[i];
        }
        int n = shape[a];
        int[] s = new int[rank() - 1 + indices.rank()];
        System.arraycopy(shape, 0, s, 0, a);
        System.arraycopy(indices.shape, 0, s, a, indices.rank());
        System.arraycopy(shape, a + 1, s, a + indices.rank(), rank() - a - 1);
        double[] out = new double[checkedCount(s)];
        int m = indices.data.length;
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < m; j++) {
                long ix = (long) indices.data[j];
                if (ix < -n || ix >= n) {
                    throw new IllegalArgumentException("Gather: index " + ix + " is out of range for size " + n);
                }
                int src = (int) (ix < 0 ? ix + n : ix);
                System.arraycopy(data, (o * n + src) * inner, out, (o * m + j) * inner, inner);
            }
        }
        return new NdArray(s, out, integer);
    }

    /** One axis: elements start, start + step, ... (step may be negative), count of them. */
    NdArray slice(int axis, int start, int step, int len) {
        int outer = 1;
        int inner = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        for (int i = axis + 1; i < rank(); i++) {
            inner *= shape[i];
        }
        int[] s = shape.clone();
        s[axis] = len;
        double[] out = new double[checkedCount(s)];
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < len; j++) {
                System.arraycopy(data, (o * shape[axis] + start + j * step) * inner, out, (o * len + j) * inner, inner);
            }
        }
        return new NdArray(s, out, integer);
    }

    static NdArray concat(List<NdArray> parts, int axis) {
        NdArray first = parts.get(0);
        int a = axis(axis, first.rank(), "Concat");
        int[] s = first.shape.clone();
        s[a] = 0;
        for (NdArray p : parts) {
            if (p.rank() != first.rank()) {
                throw new IllegalArgumentException("Concat: inputs of ranks " + first.rank() + " and " + p.rank());
            }
            for (int i = 0; i < s.length; i++) {
                if (i != a && p.shape[i] != first.shape[i]) {
                    throw new IllegalArgumentException("Concat: shapes " + Arrays.toString(first.shape) + " and "
                            + Arrays.toString(p.shape) + " differ outside axis " + a);
                }
            }
            s[a] += p.shape[a];
        }
        int outer = 1;
        for (int i = 0; i < a; i++) {
            outer *= s[i];
        }
        double[] out = new double[checkedCount(s)];
        int off = 0;
        for (int o = 0; o < outer; o++) {
            for (NdArray p : parts) {
                int chunk = p.data.length / Math.max(outer, 1);
                System.arraycopy(p.data, o * chunk, out, off, chunk);
                off += chunk;
            }
        }
        return new NdArray(s, out, first.integer);
    }

    /** Sum over the given axes (sorted, distinct), keeping them as size 1. */
    NdArray sumKeep(boolean[] reduce) {
        int[] s = shape.clone();
        for (int i = 0; i < s.length; i++) {
            if (reduce[i]) {
                s[i] = 1;
            }
        }
        double[] out = new double[checkedCount(s)];
        int[] ost = strides(s);
        int[] pos = new int[rank()];
        for (double v : data) {
            int off = 0;
            for (int i = 0; i < pos.length; i++) {
                off += reduce[i] ? 0 : pos[i] * ost[i];
            }
            out[off] += v;
            for (int i = pos.length - 1; i >= 0; i--) {
                if (++pos[i] < shape[i]) {
                    break;
                }
                pos[i] = 0;
            }
        }
        return new NdArray(s, out, integer);
    }

    /** numpy.matmul: 1-d operands promoted, batch dimensions broadcast. */
    static NdArray matmul(NdArray a, NdArray b) {
        NdArray x = a.rank() == 1 ? a.reshape(new int[] {1, a.shape[0]}) : a;
        NdArray y = b.rank() == 1 ? b.reshape(new int[] {b.shape[0], 1}) : b;
        int m = x.shape[x.rank() - 2];
        int k = x.shape[x.rank() - 1];
        int n = y.shape[y.rank() - 1];
        if (y.shape[y.rank() - 2] != k) {
            throw new IllegalArgumentException("MatMul: shapes " + Arrays.toString(a.shape) + " and "
                    + Arrays.toString(b.shape) + " do not multiply");
        }
        int[] bx = Arrays.copyOf(x.shape, x.rank() - 2);
        int[] by = Arrays.copyOf(y.shape, y.rank() - 2);
        int[] batch = broadcast(bx, by);
        int[] ia = new NdArray(bx, new double[checkedCount(bx)], false).broadcastIndex(batch);
        int[] ib = new NdArray(by, new double[checkedCount(by)], false).broadcastIndex(batch);
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = m;
        s[batch.length + 1] = n;
        double[] out = new double[checkedCount(s)];
        for (int bi = 0; bi < ia.length; bi++) {
            int ao = ia[bi] * m * k;
            int bo = ib[bi] * k * n;
            int oo = bi * m * n;
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double av = x.data[ao + i * k + p];
                    for (int j = 0; j < n; j++) {
                        out[oo + i * n + j] += av * y.data[bo + p * n + j];
                    }
                }
            }
        }
        NdArray r = new NdArray(s, out, a.integer && b.integer);
        if (a.rank() == 1 || b.rank() == 1) {
            int[] t = new int[s.length - (a.rank() == 1 ? 1 : 0) - (b.rank() == 1 ? 1 : 0)];
            int j = 0;
            for (int i = 0; i < s.length; i++) {
                if ((i == s.length - 2 && a.rank() == 1) || (i == s.length - 1 && b.rank() == 1)) {
                    continue;
                }
                t[j++] = s[i];
            }
            r = r.reshape(t);
        }
        return r;
    }
}
