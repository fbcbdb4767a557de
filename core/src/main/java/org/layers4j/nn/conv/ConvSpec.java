package org.layers4j.nn.conv;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;

/**
 * The validated arguments of a Conv1d / Conv2d, in PyTorch's terms, and the one place that turns
 * them plus an input shape into what a backend runs: a plain {@link ConvGeometry} (1-D as height 1)
 * preceded, for 'same' with an asymmetric total and for reflect / replicate / circular padding, by an
 * explicit {@link PaddingPlan}. Every rule is checked here, with PyTorch's wording where it has one,
 * before any backend sees the call.
 */
public final class ConvSpec {
    /** How padding was given. */
    public enum PaddingKind { EXPLICIT, SAME, VALID }

    private final int dims;
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final PaddingKind paddingKind;
    private final int[] dilation;
    private final int groups;
    private final boolean bias;
    private final PaddingMode paddingMode;

    ConvSpec(int dims, int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding,
             PaddingKind paddingKind, int[] dilation, int groups, boolean bias, PaddingMode paddingMode) {
        String op = "Conv" + dims + "d";
        if (inChannels <= 0) {
            throw new IllegalArgumentException(op + ": in_channels must be a positive integer, but got " + inChannels);
        }
        if (outChannels <= 0) {
            throw new IllegalArgumentException(op + ": out_channels must be a positive integer, but got " + outChannels);
        }
        if (groups <= 0) {
            throw new IllegalArgumentException(op + ": groups must be a positive integer, but got " + groups);
        }
        if (inChannels % groups != 0) {
            throw new IllegalArgumentException(op + ": in_channels must be divisible by groups, but in_channels="
                    + inChannels + " and groups=" + groups);
        }
        if (outChannels % groups != 0) {
            throw new IllegalArgumentException(op + ": out_channels must be divisible by groups, but out_channels="
                    + outChannels + " and groups=" + groups);
        }
        if (paddingMode == null) {
            throw new IllegalArgumentException(op + ": padding_mode must not be null");
        }
        if (paddingKind == null) {
            throw new IllegalArgumentException(op + ": padding must not be null");
        }
        this.kernel = perDim(op, "kernel_size", kernel, dims, 1);
        this.stride = perDim(op, "stride", stride, dims, 1);
        this.dilation = perDim(op, "dilation", dilation, dims, 1);
        this.padding = paddingKind == PaddingKind.EXPLICIT ? perDim(op, "padding", padding, dims, 0) : new int[dims];
        if (paddingKind == PaddingKind.SAME) {
            for (int s : this.stride) {
                if (s != 1) {
                    throw new IllegalArgumentException(op + ": padding='same' is not supported for strided convolutions,"
                            + " but stride=" + Arrays.toString(this.stride));
                }
            }
        }
        this.dims = dims;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.paddingKind = paddingKind;
        this.groups = groups;
        this.bias = bias;
        this.paddingMode = paddingMode;
    }

    private static int[] perDim(String op, String name, int[] values, int dims, int min) {
        if (values == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        int[] v = values.length == 1 ? filled(values[0], dims) : values.clone();
        if (v.length != dims) {
            throw new IllegalArgumentException(op + ": " + name + " must have 1 or " + dims + " values, but got "
                    + values.length + " " + Arrays.toString(values));
        }
        for (int x : v) {
            if (x < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be " + (min == 0 ? "non-negative" : ">= " + min)
                        + ", but got " + name + "=" + Arrays.toString(values));
            }
        }
        return v;
    }

    private static int[] filled(int value, int n) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }

    /** Layer name for messages: Conv1d or Conv2d. */
    public String opName() {
        return "Conv" + dims + "d";
    }

    public int dims() {
        return dims;
    }

    public int inChannels() {
        return inChannels;
    }

    public int outChannels() {
        return outChannels;
    }

    public int[] kernelSize() {
        return kernel.clone();
    }

    public int[] stride() {
        return stride.clone();
    }

    /** Explicit padding per dimension (zeros for 'same' / 'valid': see {@link #paddingKind()}). */
    public int[] padding() {
        return padding.clone();
    }

    public PaddingKind paddingKind() {
        return paddingKind;
    }

    public int[] dilation() {
        return dilation.clone();
    }

    public int groups() {
        return groups;
    }

    public boolean bias() {
        return bias;
    }

    public PaddingMode paddingMode() {
        return paddingMode;
    }

    /** [out_channels, in_channels / groups, *kernel_size]. */
    public Shape weightShape() {
        int[] s = new int[2 + dims];
        s[0] = outChannels;
        s[1] = inChannels / groups;
        System.arraycopy(kernel, 0, s, 2, dims);
        return Shape.of(s);
    }

    /** fan_in as PyTorch's initializers compute it: in_channels / groups × kernel volume. */
    public int fanIn() {
        int f = inChannels / groups;
        for (int k : kernel) {
            f *= k;
        }
        return f;
    }

    /** Padding before / after the input on each spatial dimension: [dim][0 = before, 1 = after]. */
    int[][] padAmounts() {
        int[][] p = new int[dims][2];
        for (int d = 0; d < dims; d++) {
            if (paddingKind == PaddingKind.SAME) {
                // PyTorch: total = dilation*(kernel-1), left = total/2, the extra element on the right
                int total = dilation[d] * (kernel[d] - 1);
                p[d][0] = total / 2;
                p[d][1] = total - total / 2;
            } else {
                p[d][0] = padding[d];
                p[d][1] = padding[d];
            }
        }
        return p;
    }

    /**
     * Validates an input shape and plans the convolution for it.
     *
     * @throws IllegalArgumentException naming the shape and the rule it breaks
     */
    public ConvPlan plan(Shape input) {
        if (input == null) {
            throw new IllegalArgumentException(opName() + ": input must not be null");
        }
        int rank = input.rank();
        boolean batched = rank == dims + 2;
        if (!batched && rank != dims + 1) {
            throw new IllegalArgumentException("Expected " + (dims + 1) + "D (unbatched) or " + (dims + 2)
                    + "D (batched) input to conv" + dims + "d, but got input of size: " + input.dimsString());
        }
        int[] in = input.dims();
        int n = batched ? in[0] : 1;
        int c = in[batched ? 1 : 0];
        if (c != inChannels) {
            // PyTorch adds the batch dimension to an unbatched input before this check, and names that shape
            String shown = batched ? input.dimsString() : "[1, " + input.dimsString().substring(1);
            throw new IllegalArgumentException("Given groups=" + groups + ", weight of size " + weightShape().dimsString()
                    + ", expected input" + shown + " to have " + inChannels + " channels, but got " + c
                    + " channels instead");
        }
        int[] spatial = Arrays.copyOfRange(in, rank - dims, rank);
        if (input.size() == 0) {
            throw new IllegalArgumentException(opName() + ": expected a non-empty input, but got input of size: "
                    + input.dimsString());
        }
        int[][] pad = padAmounts();
        checkPaddingFitsInput(input, spatial, pad);
        boolean symmetric = true;
        for (int[] p : pad) {
            symmetric &= p[0] == p[1];
        }
        boolean explicitPad = paddingMode != PaddingMode.ZEROS || !symmetric;
        // 2-D view: 1-D runs as height 1
        int h = dims == 2 ? spatial[0] : 1;
        int w = spatial[dims - 1];
        int[] hp = dims == 2 ? pad[0] : new int[] {0, 0};
        int[] wp = pad[dims - 1];
        PaddingPlan plan = null;
        int padH = hp[0];
        int padW = wp[0];
        if (explicitPad && (hp[0] + hp[1] + wp[0] + wp[1]) > 0) {
            plan = new PaddingPlan(paddingMode, hp[0], hp[1], wp[0], wp[1]);
            h += hp[0] + hp[1];
            w += wp[0] + wp[1];
            padH = 0;
            padW = 0;
        }
        int kh = dims == 2 ? kernel[0] : 1;
        int sh = dims == 2 ? stride[0] : 1;
        int dh = dims == 2 ? dilation[0] : 1;
        int kw = kernel[dims - 1];
        int sw = stride[dims - 1];
        int dw = dilation[dims - 1];
        int outH = ConvGeometry.outSize(h, kh, sh, padH, dh);
        int outW = ConvGeometry.outSize(w, kw, sw, padW, dw);
        if (outH < 1 || outW < 1) {
            int eh = h + 2 * padH;
            int ew = w + 2 * padW;
            throw new IllegalArgumentException(opName() + ": calculated padded input size per channel: ("
                    + (dims == 2 ? eh + " x " : "") + ew + "). Kernel size: (" + (dims == 2 ? dh * (kh - 1) + 1 + " x " : "")
                    + (dw * (kw - 1) + 1) + "). Kernel size (with dilation) can't be greater than actual input size");
        }
        ConvGeometry g = new ConvGeometry(n, c, h, w, outChannels, kh, kw, sh, sw, padH, padW, dh, dw, groups);
        int[] out = new int[rank];
        if (batched) {
            out[0] = n;
        }
        out[batched ? 1 : 0] = outChannels;
        if (dims == 2) {
            out[rank - 2] = outH;
        }
        out[rank - 1] = outW;
        Shape input4d = Shape.of(n, c, dims == 2 ? spatial[0] : 1, spatial[dims - 1]);
        return new ConvPlan(g, plan, input4d, Shape.of(out));
    }

    private void checkPaddingFitsInput(Shape input, int[] spatial, int[][] pad) {
        for (int d = 0; d < dims; d++) {
            int size = spatial[d];
            int dim = input.rank() - dims + d;
            for (int p : pad[d]) {
                if (paddingMode == PaddingMode.REFLECT && p >= size) {
                    throw new IllegalArgumentException(opName() + ": reflect padding must be less than the input size of"
                            + " that dimension, but got padding " + p + " at dimension " + dim + " of input "
                            + input.dimsString());
                }
                if (paddingMode == PaddingMode.CIRCULAR && p > size) {
                    throw new IllegalArgumentException(opName() + ": circular padding must be at most the input size of"
                            + " that dimension (it would wrap around more than once), but got padding " + p
                            + " at dimension " + dim + " of input " + input.dimsString());
                }
            }
        }
    }

    /** PyTorch's repr arguments, e.g. {@code 6, 5, kernel_size=(3,), stride=(2,), padding=(1,)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(inChannels).append(", ").append(outChannels).append(", kernel_size=").append(tuple(kernel))
                .append(", stride=").append(tuple(stride));
        if (paddingKind != PaddingKind.EXPLICIT) {
            s.append(", padding=").append(paddingKind == PaddingKind.SAME ? "same" : "valid");
        } else if (Arrays.stream(padding).anyMatch(p -> p != 0)) {
            s.append(", padding=").append(tuple(padding));
        }
        if (Arrays.stream(dilation).anyMatch(d -> d != 1)) {
            s.append(", dilation=").append(tuple(dilation));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (!bias) {
            s.append(", bias=False");
        }
        if (paddingMode != PaddingMode.ZEROS) {
            s.append(", padding_mode=").append(paddingMode.torchName());
        }
        return s.toString();
    }

    private static String tuple(int[] v) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            s.append(i > 0 ? ", " : "").append(v[i]);
        }
        return s.append(v.length == 1 ? ",)" : ")").toString();
    }
}
