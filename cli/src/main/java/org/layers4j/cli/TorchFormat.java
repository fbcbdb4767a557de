package org.layers4j.cli;

import java.util.Locale;
import org.layers4j.Shape;

/**
 * Prints tensors as PyTorch 1.13's {@code print(tensor)} does (default print options): 4 decimals,
 * or integers with a trailing dot when every value is whole, scientific notation for wide ranges and
 * tiny values, values right-aligned to one width, 80-column lines, nested brackets with one more
 * space per level and blank lines between blocks of higher dimensions.
 */
final class TorchFormat {
    /** PyTorch's default print options. */
    private static final int LINE_WIDTH = 80;
    private static final int PRECISION = 4;

    private final boolean intMode;
    private final boolean sciMode;
    private final int width;

    /** torch._tensor_str._Formatter: the mode and the width come from the nonzero finite values only. */
    private TorchFormat(float[] values) {
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

    /**
     * {@code tensor([...])} with optional suffixes such as {@code grad_fn=<ConvolutionBackward0>}, which
     * go on a line of their own when the last line would pass 80 characters (torch's _add_suffixes).
     * Tensors of more than 1,000 elements are printed whole (torch would summarize them).
     */
    static String tensor(float[] values, Shape shape, String suffix) {
        TorchFormat f = new TorchFormat(values);
        int indent = "tensor(".length();
        StringBuilder s = new StringBuilder("tensor(");
        f.append(s, values, shape.dims(), 0, 0, indent);
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

    private void append(StringBuilder s, float[] values, int[] dims, int level, int offset, int indent) {
        if (dims.length == 0) {
            s.append(cell(values[0]));
            return;
        }
        int n = dims[level];
        if (level == dims.length - 1) {
            // torch's _vector_str: as many elements per line as fit in 80 columns after the indent
            int perLine = Math.max(1, (LINE_WIDTH - indent) / (width + 2));
            s.append('[');
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    s.append(i % perLine == 0 ? ",\n" + " ".repeat(indent + 1) : ", ");
                }
                s.append(cell(values[offset + i]));
            }
            s.append(']');
            return;
        }
        int stride = 1;
        for (int d = level + 1; d < dims.length; d++) {
            stride *= dims[d];
        }
        s.append('[');
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                s.append(',').append("\n".repeat(dims.length - level - 1)).append(" ".repeat(indent + 1));
            }
            append(s, values, dims, level + 1, offset + i * stride, indent + 1);
        }
        s.append(']');
    }
}
