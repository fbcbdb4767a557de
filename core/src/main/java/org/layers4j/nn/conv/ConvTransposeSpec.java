package org.layers4j.nn.conv;

import java.util.Arrays;
import org.layers4j.Shape;
import org.layers4j.spi.ConvGeometry;

/**
 * The validated arguments of a ConvTranspose1d / ConvTranspose2d, in PyTorch's terms, and the plain
 * convolution whose data gradient the transposed convolution is: for an input [N, in, H, W] the output is
 * [N, out, OH, OW] with OH = (H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1, and
 * the {@link ConvGeometry} is the convolution from that output (c = out_channels) back to the input
 * (k = in_channels), whose weight [in, out / groups, kh, kw] is the transposed convolution's weight as it is.
 */
public final class ConvTransposeSpec {
    private final int dims;
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] outputPadding;
    private final int groups;
    private final boolean bias;
    private final int[] dilation;
    private final PaddingMode paddingMode;

    ConvTransposeSpec(int dims, int inChannels, int outChannels, int[] kernel, int[] stride, int[] padding,
                      int[] outputPadding, int groups, boolean bias, int[] dilation, PaddingMode paddingMode) {
        String op = "ConvTranspose" + dims + "d";
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
        if (paddingMode != PaddingMode.ZEROS) {
            throw new IllegalArgumentException("Only \"zeros\" padding mode is supported for " + op
                    + (paddingMode == null ? " (padding_mode was null)" : ""));
        }
        this.kernel = ConvSpec.perDim(op, "kernel_size", kernel, dims, 1);
        this.stride = ConvSpec.perDim(op, "stride", stride, dims, 1);
        this.padding = ConvSpec.perDim(op, "padding", padding, dims, 0);
        this.outputPadding = ConvSpec.perDim(op, "output_padding", outputPadding, dims, 0);
        this.dilation = ConvSpec.perDim(op, "dilation", dilation, dims, 1);
        for (int d = 0; d < dims; d++) {
            if (this.outputPadding[d] >= this.stride[d] && this.outputPadding[d] >= this.dilation[d]) {
                throw new IllegalArgumentException(outputPaddingMessage(dims, this.outputPadding, this.stride,
                        this.dilation));
            }
        }
        this.dims = dims;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.groups = groups;
        this.bias = bias;
        this.paddingMode = paddingMode;
    }

    /** PyTorch's message (its 1-D form runs as 2-D with a height of 1, stride 1, dilation 1). */
    private static String outputPaddingMessage(int dims, int[] op, int[] s, int[] d) {
        int h = dims == 2 ? 0 : -1;
        int w = dims - 1;
        return "output padding must be smaller than either stride or dilation, but got output_padding_height: "
                + (h < 0 ? 0 : op[h]) + " output_padding_width: " + op[w] + " stride_height: " + (h < 0 ? 1 : s[h])
                + " stride_width: " + s[w] + " dilation_height: " + (h < 0 ? 1 : d[h]) + " dilation_width: " + d[w];
    }

    /** Layer name for messages: ConvTranspose1d or ConvTranspose2d. */
    public String opName() {
        return "ConvTranspose" + dims + "d";
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

    public int[] padding() {
        return padding.clone();
    }

    public int[] outputPadding() {
        return outputPadding.clone();
    }

    public int groups() {
        return groups;
    }

    public boolean bias() {
        return bias;
    }

    public int[] dilation() {
        return dilation.clone();
    }

    /** Always {@link PaddingMode#ZEROS} (the only mode PyTorch's transposed convolutions support). */
    public PaddingMode paddingMode() {
        return paddingMode;
    }

    /** [in_channels, out_channels / groups, *kernel_size]. */
    public Shape weightShape() {
        int[] s = new int[2 + dims];
        s[0] = inChannels;
        s[1] = outChannels / groups;
        System.arraycopy(kernel, 0, s, 2, dims);
        return Shape.of(s);
    }

    /** fan_in as PyTorch computes it for this weight: weight.size(1) × kernel volume = out_channels / groups × ... */
    public int fanIn() {
        int f = outChannels / groups;
        for (int k : kernel) {
            f *= k;
        }
        return f;
    }

    /** The plan for one input: shapes and the plain convolution that runs it. */
    record Plan(ConvGeometry geometry, Shape input4d, Shape output4d, Shape outputShape, int extraH, int extraW) {
        /** The transposed conv's input as the plain convolution's output: [N, in, H + extraH, W + extraW]. */
        Shape convOutput4d() {
            return Shape.of(input4d.dim(0), input4d.dim(1), input4d.dim(2) + extraH, input4d.dim(3) + extraW);
        }

        boolean extra() {
            return extraH > 0 || extraW > 0;
        }
    }

    /** Validates an input shape (PyTorch's messages) and plans the transposed convolution for it. */
    Plan plan(Shape input) {
        int rank = input.rank();
        boolean batched = rank == dims + 2;
        if (!batched && rank != dims + 1) {
            throw new IllegalArgumentException("Expected " + (dims + 1) + "D (unbatched) or " + (dims + 2)
                    + "D (batched) input to conv_transpose" + dims + "d, but got input of size: " + input.dimsString());
        }
        int[] in = input.dims();
        int n = batched ? in[0] : 1;
        int c = in[batched ? 1 : 0];
        if (c != inChannels) {
            String shown = batched ? input.dimsString() : "[1, " + input.dimsString().substring(1);
            throw new IllegalArgumentException("Given transposed=1, weight of size " + weightShape().dimsString()
                    + ", expected input" + shown + " to have " + inChannels + " channels, but got " + c
                    + " channels instead");
        }
        int[] spatial = Arrays.copyOfRange(in, rank - dims, rank);
        for (int s : spatial) {
            if (s == 0) {
                int[] shown = new int[4];
                shown[0] = n;
                shown[1] = c;
                shown[2] = dims == 2 ? spatial[0] : 1;
                shown[3] = spatial[dims - 1];
                throw new IllegalArgumentException("Only zero batch or zero channel inputs are supported, but got input"
                        + " shape: " + Arrays.toString(shown));
            }
        }
        long[] out = new long[dims];
        boolean small = false;
        for (int d = 0; d < dims; d++) {
            out[d] = (long) (spatial[d] - 1) * stride[d] - 2L * padding[d] + (long) dilation[d] * (kernel[d] - 1)
                    + outputPadding[d] + 1;
            small |= out[d] < 1;
            if (out[d] > Integer.MAX_VALUE - 1) {
                throw new IllegalArgumentException(opName() + ": the output would have " + out[d]
                        + " elements along a spatial dimension, more than 2^31-2");
            }
        }
        if (small) {
            String ins = (dims == 2 ? spatial[0] : 1) + " x " + spatial[dims - 1];
            String outs = (dims == 2 ? out[0] : 1) + " x " + out[dims - 1];
            throw new IllegalArgumentException("Given input size per channel: (" + ins + "). Calculated output size per"
                    + " channel: (" + outs + "). Output size is too small");
        }
        int oh = dims == 2 ? (int) out[0] : 1;
        int ow = (int) out[dims - 1];
        int h = dims == 2 ? spatial[0] : 1;
        int w = spatial[dims - 1];
        long total = (long) n * outChannels * oh * ow;
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(opName() + ": the output [" + n + ", " + outChannels + ", " + oh + ", " + ow
                    + "] would have " + total + " elements, more than 2^31-1");
        }
        int kh = dims == 2 ? kernel[0] : 1;
        int sh = dims == 2 ? stride[0] : 1;
        int ph = dims == 2 ? padding[0] : 0;
        int dh = dims == 2 ? dilation[0] : 1;
        int kw = kernel[dims - 1];
        int sw = stride[dims - 1];
        int pw = padding[dims - 1];
        int dw = dilation[dims - 1];
        ConvGeometry g = new ConvGeometry(n, outChannels, oh, ow, inChannels, kh, kw, sh, sw, ph, pw, dh, dw, groups);
        int[] outShape = input.dims();
        outShape[batched ? 1 : 0] = outChannels;
        if (dims == 2) {
            outShape[rank - 2] = oh;
        }
        outShape[rank - 1] = ow;
        // output_padding >= stride (allowed when below dilation): the convolution from the output reaches rows
        // beyond the input; the input is then extended by zero rows (which contribute nothing)
        return new Plan(g, Shape.of(n, inChannels, h, w), Shape.of(n, outChannels, oh, ow), Shape.of(outShape),
                g.outH() - h, g.outW() - w);
    }

    /** PyTorch's repr arguments, e.g. {@code 4, 6, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(inChannels).append(", ").append(outChannels).append(", kernel_size=").append(tuple(kernel))
                .append(", stride=").append(tuple(stride));
        if (Arrays.stream(padding).anyMatch(p -> p != 0)) {
            s.append(", padding=").append(tuple(padding));
        }
        if (Arrays.stream(dilation).anyMatch(d -> d != 1)) {
            s.append(", dilation=").append(tuple(dilation));
        }
        if (Arrays.stream(outputPadding).anyMatch(p -> p != 0)) {
            s.append(", output_padding=").append(tuple(outputPadding));
        }
        if (groups != 1) {
            s.append(", groups=").append(groups);
        }
        if (!bias) {
            s.append(", bias=False");
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
