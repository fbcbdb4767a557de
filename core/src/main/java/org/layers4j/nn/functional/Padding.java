package org.layers4j.nn.functional;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.nn.Tape;
import org.layers4j.nn.conv.PaddingMode;
import org.layers4j.spi.Backend;
import org.layers4j.spi.PaddingPlan;

/**
 * PyTorch's {@code F.pad}: {@code constant} for any rank (pairs from the last dim backwards, negative pads
 * crop), {@code reflect}, {@code replicate} and {@code circular} for the last dim of a 2-D / 3-D input
 * (2 pads) or the last two dims of a 3-D / 4-D input (4 pads), forward and backward, with PyTorch's
 * checks and messages.
 */
public final class Padding {
    private static final Parameter[] NO_PARAMS = new Parameter[0];
    private static final Tensor[] NO_SAVED = new Tensor[0];

    private Padding() {
    }

    /**
     * F.pad(x, pad, mode, value): {@code pad = [before_last, after_last, before_second_last, ...]}.
     * {@code mode} null means constant; {@code value} is the constant (PyTorch's other modes refuse a
     * non-zero value). Reflect and replicate with negative pads crop first, then pad, as PyTorch computes it.
     */
    public static Tensor pad(Tensor x, int[] pad, String mode, double value) {
        Shapes.requireTensor("pad", x);
        if (pad == null) {
            throw new IllegalArgumentException("pad: pad must not be null");
        }
        String m = mode == null ? "constant" : mode;
        PaddingMode pm;
        switch (m) {
            case "constant":
                pm = null;
                break;
            case "reflect":
                pm = PaddingMode.REFLECT;
                break;
            case "replicate":
                pm = PaddingMode.REPLICATE;
                break;
            case "circular":
                pm = PaddingMode.CIRCULAR;
                break;
            default:
                throw new UnsupportedOperationException("Unrecognised padding mode " + m);
        }
        int rank = x.shape().rank();
        if (pad.length % 2 != 0) {
            throw new IllegalArgumentException("Padding length must be divisible by 2");
        }
        if (pad.length > rank * 2) {
            throw new IllegalArgumentException("Padding length too large");
        }
        Shapes.requireFloat("pad", x);
        if (pm == null) {
            return constant(x, pad, (float) value);
        }
        if (value != 0) {
            throw new IllegalArgumentException("Padding mode \"" + m + "\" doesn't take in value argument");
        }
        if (pad.length == 2 && (rank == 2 || rank == 3) || pad.length == 4 && (rank == 3 || rank == 4)) {
            return border(x, pad, pm);
        }
        if (pad.length == 6 && (rank == 4 || rank == 5)) {
            throw new UnsupportedOperationException("pad: 3-D " + m + " padding (6 pads) is not implemented in layers4j"
                    + " yet");
        }
        throw new UnsupportedOperationException(
                "Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now");
    }

    /** before[d] per dim of x from F.pad's list (zero for dims it does not name). */
    private static int[] before(int rank, int[] pad) {
        int[] b = new int[rank];
        for (int i = 0; i < pad.length / 2; i++) {
            b[rank - 1 - i] = pad[2 * i];
        }
        return b;
    }

    private static Tensor constant(Tensor x, int[] pad, float value) {
        int[] s = x.shape().dims();
        int rank = s.length;
        int[] out = s.clone();
        for (int i = 0; i < pad.length / 2; i++) {
            int d = rank - 1 - i;
            int l = pad[2 * i];
            int r = pad[2 * i + 1];
            int size = s[d];
            // PyTorch first narrows the input by the negative pads, with narrow's checks
            if (l < 0) {
                if (-l > size) {
                    throw new IllegalArgumentException("start out of range (expected to be in range of [" + -size + ", "
                            + size + "], but got " + -l + ")");
                }
                size += l;
            }
            if (r < 0 && size + r < 0) {
                throw new IllegalArgumentException("start (0) + length (" + (size + r) + ") exceeds dimension size ("
                        + size + ").");
            }
        }
        for (int i = 0; i < pad.length / 2; i++) {
            int d = rank - 1 - i;
            int nd = s[d] + pad[2 * i] + pad[2 * i + 1];
            if (nd <= 0) {
                throw new IllegalArgumentException("The input size " + s[d] + ", plus negative padding " + pad[2 * i]
                        + " and " + pad[2 * i + 1] + " resulted in a negative output size, which is invalid. Check"
                        + " dimension " + d + " of your input.");
            }
            out[d] = nd;
        }
        int[] b = before(rank, pad);
        int[] nb = Arrays.stream(b).map(v -> -v).toArray();
        Backend be = x.backend();
        Shape in = x.shape();
        Tensor y = Module.compute(be, Shape.of(out), o -> be.layout().padConstant(x, b, value, o), x);
        return Tape.record("pad", y, new Tensor[] {x}, NO_PARAMS, NO_SAVED, (dy, saved) -> new Tensor[] {
            Module.compute(be, in, dx -> be.layout().padConstant(dy, nb, 0f, dx), dy)});
    }

    /** Reflect / replicate / circular of the last 1 (2 pads) or 2 (4 pads) dims. */
    private static Tensor border(Tensor x, int[] pad, PaddingMode pm) {
        int[] s = x.shape().dims();
        int rank = s.length;
        boolean twoD = pad.length == 4;
        int w = s[rank - 1];
        int h = twoD ? s[rank - 2] : 1;
        int left = pad[0];
        int right = pad[1];
        int top = twoD ? pad[2] : 0;
        int bottom = twoD ? pad[3] : 0;
        if (pm == PaddingMode.REFLECT) {
            if (!(left < w && right < w)) {
                throw new IllegalArgumentException("Argument #4: Padding size should be less than the corresponding"
                        + " input dimension, but got: padding (" + left + ", " + right + ") at dimension " + (rank - 1)
                        + " of input " + (twoD ? Integer.toString(rank) : x.shape().dimsString()));
            }
            if (twoD && !(top < h && bottom < h)) {
                throw new IllegalArgumentException("Argument #6: Padding size should be less than the corresponding"
                        + " input dimension, but got: padding (" + top + ", " + bottom + ") at dimension " + (rank - 2)
                        + " of input " + rank);
            }
        }
        int ow = w + left + right;
        int oh = h + top + bottom;
        if (ow < 1 || oh < 1) {
            throw new IllegalArgumentException("input (" + (twoD ? "H: " + h + ", " : "") + "W: " + w + ") is too small."
                    + " Calculated output " + (twoD ? "H: " + oh + " " : "") + "W: " + ow);
        }
        if (pm == PaddingMode.CIRCULAR && (left < 0 || right < 0 || top < 0 || bottom < 0)) {
            throw new UnsupportedOperationException("pad: circular padding with negative pads is not implemented in"
                    + " layers4j");
        }
        if (pm == PaddingMode.CIRCULAR && (left > w || right > w || top > h || bottom > h)) {
            throw new IllegalArgumentException("Padding value causes wrapping around more than once.");
        }
        // negative pads crop first (a constant pad with only the negative parts)
        if (left < 0 || right < 0 || top < 0 || bottom < 0) {
            int[] crop = twoD ? new int[] {Math.min(left, 0), Math.min(right, 0), Math.min(top, 0), Math.min(bottom, 0)}
                    : new int[] {Math.min(left, 0), Math.min(right, 0)};
            int cw = w + crop[0] + crop[1];
            int ch = twoD ? h + crop[2] + crop[3] : 1;
            int pl = Math.max(left, 0);
            int pr = Math.max(right, 0);
            int pt = Math.max(top, 0);
            int pb = Math.max(bottom, 0);
            if (pm == PaddingMode.REFLECT && (pl >= cw || pr >= cw || pt >= ch || pb >= ch)) {
                throw new IllegalArgumentException("pad: reflect padding (" + Arrays.toString(pad) + ") of input "
                        + x.shape().dimsString() + " reads beyond the input left after the negative pads crop it");
            }
            Tensor cropped = constant(x, crop, 0f);
            try {
                int[] rest = twoD ? new int[] {pl, pr, pt, pb} : new int[] {pl, pr};
                return border(cropped, rest, pm);
            } finally {
                cropped.close();
            }
        }
        int planes = 1;
        for (int i = 0; i < rank - (twoD ? 2 : 1); i++) {
            planes *= s[i];
        }
        PaddingPlan plan = new PaddingPlan(pm, top, bottom, left, right);
        Shape in4 = Shape.of(1, planes, h, w);
        Shape out4 = plan.paddedShape(in4);
        int[] out = s.clone();
        out[rank - 1] = ow;
        if (twoD) {
            out[rank - 2] = oh;
        }
        Shape inShape = x.shape();
        Shape outShape = Shape.of(out);
        Backend be = x.backend();
        Tensor y = Module.compute(be, outShape, o -> {
            try (Tensor x4 = x.reshape(in4); Tensor o4 = o.reshape(out4)) {
                be.layout().pad(plan, x4, o4);
            }
        }, x);
        return Tape.record("pad", y, new Tensor[] {x}, NO_PARAMS, NO_SAVED, (dy, saved) -> new Tensor[] {
            Module.compute(be, inShape, dx -> {
                try (Tensor dy4 = dy.reshape(out4); Tensor dx4 = dx.reshape(in4)) {
                    be.layout().padBackward(plan, dy4, dx4);
                }
            }, dy)});
    }
}
