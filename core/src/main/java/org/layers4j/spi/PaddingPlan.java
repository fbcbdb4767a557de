package org.layers4j.spi;

import java.util.ArrayList;
import java.util.List;
import org.layers4j.Shape;
import org.layers4j.nn.conv.PaddingMode;

/**
 * An explicit pad of the last two dimensions of an [n, c, h, w] tensor, as core plans it for
 * reflect / replicate / circular padding and for the asymmetric zeros padding of {@code 'same'}.
 * The convolution that follows then runs with no padding of its own.
 *
 * <p>Two equivalent descriptions are offered: {@link #sourceIndex} maps one padded coordinate to
 * the input coordinate it copies (for backends that pad element by element), and {@link #steps}
 * lists strided block copies (for backends that pad with strided tensor copies, such as cuDNN's
 * {@code cudnnTransformTensor}). Forward applies the steps in order; backward folds each padded
 * element back onto its source by applying them in reverse as accumulations.
 */
public record PaddingPlan(PaddingMode mode, int top, int bottom, int left, int right) {

    public PaddingPlan {
        if (mode == null) {
            throw new IllegalArgumentException("padding mode must not be null");
        }
        if (top < 0 || bottom < 0 || left < 0 || right < 0) {
            throw new IllegalArgumentException("padding must be >= 0, got top " + top + ", bottom " + bottom
                    + ", left " + left + ", right " + right);
        }
    }

    /** The shape after padding an [n, c, h, w] input. */
    public Shape paddedShape(Shape input) {
        return Shape.of(input.dim(0), input.dim(1), input.dim(2) + top + bottom, input.dim(3) + left + right);
    }

    /**
     * The input index along one axis that padded index {@code p} copies, or -1 for a zero.
     *
     * @param p      index in the padded axis
     * @param size   input size of that axis
     * @param before padding before the input on that axis (top or left)
     */
    public int sourceIndex(int p, int size, int before) {
        int i = p - before;
        if (i >= 0 && i < size) {
            return i;
        }
        switch (mode) {
            case ZEROS:
                return -1;
            case REFLECT:
                return i < 0 ? -i : 2 * (size - 1) - i;
            case REPLICATE:
                return i < 0 ? 0 : size - 1;
            case CIRCULAR:
                return Math.floorMod(i, size);
            default:
                throw new AssertionError(mode);
        }
    }

    /** A strided view of a 4-D buffer: element offset, 4 sizes and 4 strides (in elements). */
    public record View(long offset, int[] dims, long[] strides) {
        /** The element offset of view index (a, b, c, d). */
        public long index(int a, int b, int c, int d) {
            return offset + a * strides[0] + b * strides[1] + c * strides[2] + d * strides[3];
        }

        public long elements() {
            return (long) dims[0] * dims[1] * dims[2] * dims[3];
        }
    }

    /**
     * One strided copy: {@code to} (in the padded buffer) receives {@code from}, which lies in the
     * input when {@code fromInput} and in the padded buffer itself otherwise (an already written
     * part of it). Backward runs the steps in reverse: {@code from += to} within the padded gradient,
     * and finally the input step copies the padded gradient's interior to the input gradient.
     */
    public record Step(boolean fromInput, View from, View to) {
    }

    /**
     * The strided copies that build the padded tensor from an [n, c, h, w] input, in order: the
     * interior from the input, then the left/right columns over the interior rows, then the top/bottom
     * rows over the full padded width (so corners come out right). For ZEROS only the interior is
     * copied and the border must be zero-filled first.
     */
    public List<Step> steps(int n, int c, int h, int w) {
        int hp = h + top + bottom;
        int wp = w + left + right;
        long[] in = {(long) c * h * w, (long) h * w, w, 1};
        long[] pad = {(long) c * hp * wp, (long) hp * wp, wp, 1};
        List<Step> steps = new ArrayList<>();
        steps.add(new Step(true, new View(0, new int[] {n, c, h, w}, in),
                new View((long) top * wp + left, new int[] {n, c, h, w}, pad)));
        if (mode == PaddingMode.ZEROS) {
            return steps;
        }
        // columns, over the interior rows
        addAxisSteps(steps, w, left, right, (dst, src, count) -> new Step(false,
                new View((long) top * wp + src, new int[] {n, c, h, count}, pad),
                new View((long) top * wp + dst, new int[] {n, c, h, count}, pad)));
        // rows, over the full padded width
        addAxisSteps(steps, h, top, bottom, (dst, src, count) -> new Step(false,
                new View((long) src * wp, new int[] {n, c, count, wp}, pad),
                new View((long) dst * wp, new int[] {n, c, count, wp}, pad)));
        return steps;
    }

    private interface StepFactory {
        Step make(int dstStart, int srcStart, int count);
    }

    /** Steps for one axis in padded coordinates: circular as two block copies, the others line by line. */
    private void addAxisSteps(List<Step> steps, int size, int before, int after, StepFactory f) {
        if (mode == PaddingMode.CIRCULAR) {
            if (before > 0) {
                steps.add(f.make(0, size, before));
            }
            if (after > 0) {
                steps.add(f.make(before + size, before, after));
            }
            return;
        }
        for (int p = 0; p < before; p++) {
            steps.add(f.make(p, before + sourceIndex(p, size, before), 1));
        }
        for (int p = before + size; p < before + size + after; p++) {
            steps.add(f.make(p, before + sourceIndex(p, size, before), 1));
        }
    }
}
