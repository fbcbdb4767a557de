package org.layers4j.cli;

import java.util.Locale;
import org.layers4j.Shape;

/**
 * Prints tensors as PyTorch's {@code print(tensor)} does (default print options): 4 decimals, or
 * integers with a trailing dot when every value is whole, scientific notation for wide ranges,
 * values right-aligned to one width, nested brackets with one more space per level and blank
 * lines between blocks of higher dimensions.
 */
final class TorchFormat {
    private final boolean intMode;
    private final boolean sciMode;
    private final int width;

    private TorchFormat(float[] values) {
        boolean allInt = true;
        double maxAbs = 0;
        double minAbs = Double.POSITIVE_INFINITY;
        boolean anyFinite = false;
        for (float v : values) {
            if (Float.isFinite(v) && v != 0) {
                anyFinite = true;
                allInt &= v == Math.rint(v);
                maxAbs = Math.max(maxAbs, Math.abs(v));
                minAbs = Math.min(minAbs, Math.abs(v));
            }
        }
        intMode = allInt;
        sciMode = anyFinite && (intMode ? maxAbs > 1e8 : maxAbs / minAbs > 1000 || maxAbs > 1e8);
        int w = 1;
        for (float v : values) {
            if (Float.isFinite(v) && v != 0) {
                w = Math.max(w, raw(v).length());
            }
        }
        for (float v : values) {
            if (!Float.isFinite(v) || v == 0) {
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
            return String.format(Locale.ROOT, "%.4e", value);
        }
        if (intMode) {
            return String.format(Locale.ROOT, "%.0f", value) + ".";
        }
        return String.format(Locale.ROOT, "%.4f", value);
    }

    private String cell(float value) {
        String s = raw(value);
        return " ".repeat(Math.max(0, width - s.length())) + s;
    }

    /** {@code tensor([...])} with an optional suffix such as {@code grad_fn=<ConvolutionBackward0>}. */
    static String tensor(float[] values, Shape shape, String suffix) {
        TorchFormat f = new TorchFormat(values);
        StringBuilder s = new StringBuilder("tensor(");
        f.append(s, values, shape.dims(), 0, 0, "tensor(".length());
        if (suffix != null && !suffix.isEmpty()) {
            s.append(", ").append(suffix);
        }
        return s.append(')').toString();
    }

    private void append(StringBuilder s, float[] values, int[] dims, int level, int offset, int indent) {
        if (dims.length == 0) {
            s.append(cell(values[0]));
            return;
        }
        s.append('[');
        int n = dims[level];
        int stride = 1;
        for (int d = level + 1; d < dims.length; d++) {
            stride *= dims[d];
        }
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                if (level == dims.length - 1) {
                    s.append(", ");
                } else {
                    s.append(',').append("\n".repeat(dims.length - level - 1)).append(" ".repeat(indent + 1));
                }
            }
            if (level == dims.length - 1) {
                s.append(cell(values[offset + i]));
            } else {
                append(s, values, dims, level + 1, offset + i * stride, indent + 1);
            }
        }
        s.append(']');
    }
}
