package org.layers4j.io;

import org.layers4j.DType;
import org.layers4j.Shape;

/**
 * A tensor in host memory as read from or written to a file: shape, element type and row-major
 * values — {@code data} for {@link DType#FLOAT32}, {@code longs} for {@link DType#INT64} (the other
 * array is null). Files of other dtypes (F16, BF16, F64, I32, ...) are converted on reading.
 */
public record HostTensor(Shape shape, DType dtype, float[] data, long[] longs) {
    public HostTensor {
        if (shape == null || dtype == null) {
            throw new IllegalArgumentException("shape and dtype must not be null");
        }
        int size = shape.size();
        if (dtype == DType.FLOAT32 ? data == null || longs != null : longs == null || data != null) {
            throw new IllegalArgumentException("a " + dtype.torchName() + " host tensor needs exactly its "
                    + (dtype == DType.FLOAT32 ? "float" : "long") + " values");
        }
        int n = dtype == DType.FLOAT32 ? data.length : longs.length;
        if (n != size) {
            throw new IllegalArgumentException("shape " + shape.dimsString() + " holds " + size + " values, but got " + n);
        }
    }

    /** A float32 host tensor. */
    public HostTensor(Shape shape, float[] data) {
        this(shape, DType.FLOAT32, data, null);
    }

    /** An int64 host tensor. */
    public static HostTensor ofLongs(Shape shape, long[] values) {
        return new HostTensor(shape, DType.INT64, null, values);
    }

    /** The values as floats (int64 values converted, as PyTorch's copy_ into a float tensor does). */
    public float[] floats() {
        if (data != null) {
            return data;
        }
        float[] f = new float[longs.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = longs[i];
        }
        return f;
    }

    /** The values as longs (float values truncated toward zero, as PyTorch's copy_ into an int64 tensor). */
    public long[] asLongs() {
        if (longs != null) {
            return longs;
        }
        long[] l = new long[data.length];
        for (int i = 0; i < l.length; i++) {
            l[i] = (long) data[i];
        }
        return l;
    }
}
