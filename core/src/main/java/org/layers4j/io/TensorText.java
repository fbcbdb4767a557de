package org.layers4j.io;

import java.util.Locale;
import org.layers4j.DType;
import org.layers4j.Shape;
import org.layers4j.Tensor;

/**
 * Prints tensors as PyTorch 1.13's {@code print(tensor)} does (default print options): 4 decimals,
 * or integers with a trailing dot when every value is whole, scientific notation for wide ranges and
 * tiny values, values right-aligned to one width, 80-column lines, nested brackets with one more
 * space per level and blank lines between blocks of higher dimensions; tensors of more than 1,000
 * elements summarized with {@code ...} (threshold 1000, edgeitems 3), the number format chosen from the
 * printed values only, as torch's {@code get_summarized_data}.
 */
public final class TensorText {
    /** PyTorch's default print options. */
    private static final int LINE_WIDTH = 80;
    private static final int PRECISION = 4;
    private static final int THRESHOLD = 1000;
    private static final int EDGE_ITEMS = 3;

    private final boolean intMode;
    private final boolean sciMode;
    private final int width;

    /** torch._tensor_str._Formatter: the mode and the width come from the nonzero finite values only. */
    private TensorText(float[] values) {
        boolean allInt = true;
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        boolean any = false;
        for (float v : values) {
            if (Float.isFinite(v) && v != 0) {
                any = true;
                allInt &= v == Math.ceil(v);
                maxAbs = Math.max(maxAbs, Math.abs(v));
                minAbs = Math.min(minAbs, Math.abs(v));
            }
        }
        intMode = allInt;
        boolean wide = any && (maxAbs / minAbs > 1000 || maxAbs > 1e8);
        sciMode = intMode ? wide : wide || (any && minAbs < 1e-4);
        int w = 1;
        for (float v : values) {
            if (Float.isFinite(v) && v != 0) {
                w = Math.max(w, raw(v).length());
            }
        }
        width = w;
    }

    private String raw(float value) {
        if (Float.isNaN(value)) {
            return "nan";
        }
        if (Float.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (sciMode) {
            return String.format(Locale.ROOT, "%." + PRECISION + "e", value);
        }
        if (intMode) {
            return String.format(Locale.ROOT, "%.0f", value) + ".";
        }
        return String.format(Locale.ROOT, "%." + PRECISION + "f", value);
    }

    private String cell(float value) {
        String s = raw(value);
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    /** {@code print(t)} of PyTorch for a float32 tensor (an int64 one prints its values as floats would). */
    public static String format(Tensor t) {
        return format(t.dtype() == DType.FLOAT32 ? t.toArray() : toFloats(t.toLongArray()), t.shape(), "");
    }

    /** {@code print(t)} of PyTorch for these row-major values of this shape. */
    public static String format(float[] values, Shape shape) {
        return format(values, shape, "");
    }

    /**
     * {@code tensor([...])} with optional suffixes such as {@code grad_fn=<ConvolutionBackward0>}, which
     * go on a line of their own when the last line would pass 80 characters (torch's _add_suffixes).
     */
    public static String format(float[] values, Shape shape, String suffix) {
        if (values.length != shape.size()) {
            throw new IllegalArgumentException(values.length + " values for shape " + shape);
        }
        int[] dims = shape.dims();
        boolean summarize = values.length > THRESHOLD;
        TensorText f = new TensorText(summarize ? summarized(values, dims) : values);
        int indent = "tensor(".length();
        StringBuilder s = new StringBuilder("tensor(");
        f.append(s, values, dims, 0, 0, indent, summarize);
        if (suffix != null && !suffix.isEmpty()) {
            int lastLineLength = s.length() - s.lastIndexOf("\n") + 1;
            if (lastLineLength + suffix.length() + 2 > LINE_WIDTH) {
                s.append(",\n").append(" ".repeat(indent)).append(suffix);
            } else {
                s.append(", ").append(suffix);
            }
        }
        return s.append(')').toString();
    }

    private static float[] toFloats(long[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    /** The indices printed along a dimension of n: all, or the first and last EDGE_ITEMS with -1 for "...". */
    private static int[] shown(int n, boolean summarize) {
        if (!summarize || n <= 2 * EDGE_ITEMS) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] idx = new int[2 * EDGE_ITEMS + 1];
        for (int i = 0; i < EDGE_ITEMS; i++) {
            idx[i] = i;
            idx[EDGE_ITEMS + 1 + i] = n - EDGE_ITEMS + i;
        }
        idx[EDGE_ITEMS] = -1;
        return idx;
    }

    /** torch's get_summarized_data: the values that will be printed. */
    private static float[] summarized(float[] values, int[] dims) {
        java.util.List<Float> out = new java.util.ArrayList<>();
        collect(values, dims, 0, 0, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i);
        }
        return f;
    }

    private static void collect(float[] values, int[] dims, int level, int offset, java.util.List<Float> out) {
        if (dims.length == 0) {
            out.add(values[0]);
            return;
        }
        int stride = stride(dims, level);
        for (int i : shown(dims[level], true)) {
            if (i < 0) {
                continue;
            }
            if (level == dims.length - 1) {
                out.add(values[offset + i]);
            } else {
                collect(values, dims, level + 1, offset + i * stride, out);
            }
        }
    }

    private static int stride(int[] dims, int level) {
        int stride = 1;
        for (int d = level + 1; d < dims.length; d++) {
            stride *= dims[d];
        }
        return stride;
    }

    private void append(StringBuilder s, float[] values, int[] dims, int level, int offset, int indent,
            boolean summarize) {
        if (dims.length == 0) {
            s.append(cell(values[0]));
            return;
        }
        int[] idx = shown(dims[level], summarize);
        if (level == dims.length - 1) {
            // torch's _vector_str: as many elements per line as fit in 80 columns after the indent
            // (the " ..." of a summarized row counts as one)
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (width + 2));
            s.append('[');
            for (int k = 0; k < idx.length; k++) {
                if (k > 0) {
                    s.append(k % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                }
                s.append(idx[k] < 0 ? " ..." : cell(values[offset + idx[k]]));
            }
            s.append(']');
            return;
        }
        int stride = stride(dims, level);
        s.append('[');
        for (int k = 0; k < idx.length; k++) {
            if (k > 0) {
                s.append(',').append("\n".repeat(dims.length - level - 1)).append(" ".repeat(indent + 1));
            }
            if (idx[k] < 0) {
                s.append("...");
            } else {
                append(s, values, dims, level + 1, offset + idx[k] * stride, indent + 1, summarize);
            }
        }
        s.append(']');
    }
}
