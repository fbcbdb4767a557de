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

    /** One value per spatial dimension (a single value repeated), each at least {@code min}: PyTorch's _ntuple. */
    static int[] perDim(String op, String name, int[] values, int dims, int min) {
        if (values == null) {
            throw new IllegalArgumentException(op + ": " + name + " must not be null");
        }
        int[] v = values.length == 1 ? filled(values[0], dims) : values.clone();
        if (v.length != dims) {
            throw new IllegalArgumentException(op + ": " + name + (dims == 1 ? " must have 1 value"
                    : " must have 1 or " + dims + " values") + ", but got " + values.length + " " + Arrays.toString(values));
        }
        for (int x : v) {
            if (x < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be " + (min == 0 ? "non-negative" : ">= " + min)
                        + ", but got " + name + "=" + Arrays.toString(values));
            }
        }
        return v;
    }

    static int[] filled(int value, int n) {
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

    /** Padding before / after the input on each spatial dimension: [dim][0 = before, 1 = after], in 64 bits. */
    long[][] padAmounts() {
        long[][] p = new long[dims][2];
        for (int d = 0; d < dims; d++) {
            if (paddingKind == PaddingKind.SAME) {
                // PyTorch: total = dilation*(kernel-1), left = total/2, the extra element on the right
                long total = (long) dilation[d] * (kernel[d] - 1);
                p[d][0] = total / 2;
                p[d][1] = total - total / 2;
            } else {
                p[d][0] = padding[d];
                p[d][1] = padding[d];
            }
        }
        return p;
    }

    /** The largest padded extent or window reach that the backends' 32-bit index arithmetic is given. */
    static final long MAX_EXTENT = Integer.MAX_VALUE - 1;
    /** The largest zero-padded plane a backend may be asked to pad implicitly, when that is mostly padding. */
    static final long MAX_PADDED_PLANE = 1L << 26;

    /**
     * One spatial axis of the plain convolution, all in 64 bits: {@code size} after the explicit pad
     * ({@code before} / {@code after}), symmetric implicit zero padding {@code pad}, and the taps
     * [{@code tapFrom}, {@code tapTo}) of the kernel that ever meet the (explicitly padded) input.
     */
    private record Axis(int in, long before, long after, long size, long pad, int kernel, int stride, int dilation,
                        long out, long tapFrom, long tapTo) {
        boolean dead() {
            return tapFrom >= tapTo;
        }

        boolean trimmed() {
            return tapFrom > 0 || tapTo < kernel;
        }

        int keptKernel() {
            return (int) (tapTo - tapFrom);
        }

        int keptDilation() {
            return keptKernel() == 1 ? 1 : dilation;
        }

        long keptPad() {
            return pad - tapFrom * dilation;
        }

        /** Whether the kernels' int arithmetic holds every index of this axis, as given. */
        static boolean fits(long size, long pad, long kernel, long dilation, long stride, long out) {
            return size + 2 * pad <= MAX_EXTENT && (out - 1) * stride + (kernel - 1) * dilation + 1 <= MAX_EXTENT;
        }
    }

    private Axis axis(int in, long[] pad, int k, int s, int d) {
        boolean zeros = paddingMode == PaddingMode.ZEROS;
        // zeros: PyTorch pads only the asymmetric excess explicitly (after the input) and leaves the
        // symmetric part implicit, which a kernel skips; other modes pad everything explicitly
        long before = zeros ? 0 : pad[0];
        long after = zeros ? pad[1] - pad[0] : pad[1];
        long implicit = zeros ? pad[0] : 0;
        long size = in + before + after;
        long reach = (long) d * (k - 1) + 1;
        long num = size + 2 * implicit - reach;
        long out = num < 0 ? 0 : num / s + 1;
        if (out == 1 && s > size + 2 * implicit) {
            // one window: a stride longer than the padded input never applies; keep it out of the kernels'
            // index arithmetic (any stride of at least the padded extent gives the same single window)
            s = (int) Math.max(1, Math.min(s, size + 2 * implicit));
        }
        long tapFrom = 0;
        long tapTo = k;
        if (out > 0) {
            // tap t reads t*d - implicit + o*s for o in [0, out): it meets the input unless that range misses [0, size)
            tapFrom = Math.max(0, -Math.floorDiv((out - 1) * s - implicit, (long) d));
            tapTo = Math.min(k, Math.floorDiv(size - 1 + implicit, (long) d) + 1);
        }
        return new Axis(in, before, after, size, implicit, k, s, d, out, tapFrom, tapTo);
    }

    /**
     * Validates an input shape and plans the convolution for it. All geometry is computed in 64 bits:
     * what PyTorch computes is planned (kernel taps that only ever meet zero padding are dropped when the
     * full kernel's reach would not fit 32-bit indices), what it cannot allocate is rejected naming the size.
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
        long[][] pad = padAmounts();
        checkPaddingFitsInput(input, spatial, pad);
        // 2-D view: 1-D runs as height 1
        Axis ah = dims == 2 ? axis(spatial[0], pad[0], kernel[0], stride[0], dilation[0])
                : axis(1, new long[] {0, 0}, 1, 1, 1);
        Axis aw = axis(spatial[dims - 1], pad[dims - 1], kernel[dims - 1], stride[dims - 1], dilation[dims - 1]);
        if (ah.out() < 1 || aw.out() < 1) {
            // a zero-size spatial dimension ends here too, as in PyTorch
            String eh = dims == 2 ? (ah.size() + 2 * ah.pad()) + " x " : "";
            String kh = dims == 2 ? ((long) dilation[0] * (kernel[0] - 1) + 1) + " x " : "";
            throw new IllegalArgumentException(opName() + ": calculated padded input size per channel: (" + eh
                    + (aw.size() + 2 * aw.pad()) + "). Kernel size: (" + kh
                    + ((long) dilation[dims - 1] * (kernel[dims - 1] - 1) + 1)
                    + "). Kernel size (with dilation) can't be greater than actual input size");
        }
        for (int d = 0; d < dims; d++) {
            if (spatial[d] == 0) {
                throw new IllegalArgumentException(opName() + ": expected a non-empty input, but got input of size: "
                        + input.dimsString());
            }
        }
        long[] outDims = new long[rank];
        if (batched) {
            outDims[0] = n;
        }
        outDims[batched ? 1 : 0] = outChannels;
        if (dims == 2) {
            outDims[rank - 2] = ah.out();
        }
        outDims[rank - 1] = aw.out();
        checkElements("output", outDims);
        checkElements("explicitly padded input", new long[] {n, c, ah.size(), aw.size()});
        boolean explicitPad = ah.before() + ah.after() + aw.before() + aw.after() > 0;
        PaddingPlan plan = explicitPad ? new PaddingPlan(paddingMode, (int) ah.before(), (int) ah.after(),
                (int) aw.before(), (int) aw.after()) : null;
        int h = (int) ah.size();
        int w = (int) aw.size();
        int oh = (int) ah.out();
        int ow = (int) aw.out();
        Shape input4d = Shape.of(n, c, dims == 2 ? spatial[0] : 1, spatial[dims - 1]);
        Shape output4d = Shape.of(n, outChannels, oh, ow);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = (int) outDims[i];
        }
        if (ah.dead() || aw.dead()) {
            // every tap meets only zero padding: the output is the bias (PyTorch computes 0 * w, skipped here)
            ConvGeometry g = new ConvGeometry(n, c, 1, 1, outChannels, 1, 1, 1, 1, 0, 0, 1, 1, groups);
            return new ConvPlan(g, null, input4d, Shape.of(out), output4d, null, true);
        }
        double explicitPlane = (double) ah.size() * aw.size();
        if (explicitPad && explicitPlane > MAX_PADDED_PLANE && explicitPlane > 4.0 * ah.in() * aw.in()) {
            throw new IllegalArgumentException(opName() + ": input " + input.dimsString() + " with " + this
                    + " would need an explicitly padded plane of " + (long) explicitPlane + " elements, more than "
                    + MAX_PADDED_PLANE + " and 4 times the input's plane; layers4j does not allocate that much padding");
        }
        boolean fits = Axis.fits(ah.size(), ah.pad(), ah.kernel(), ah.dilation(), ah.stride(), ah.out())
                && Axis.fits(aw.size(), aw.pad(), aw.kernel(), aw.dilation(), aw.stride(), aw.out());
        if (fits) {
            checkPlane(input, ah.size(), ah.pad(), aw.size(), aw.pad());
            ConvGeometry g = new ConvGeometry(n, c, h, w, outChannels, ah.kernel(), aw.kernel(), ah.stride(),
                    aw.stride(), (int) ah.pad(), (int) aw.pad(), ah.dilation(), aw.dilation(), groups);
            return new ConvPlan(g, plan, input4d, Shape.of(out), output4d, null, false);
        }
        // drop the taps that only ever meet padding; what remains must reproduce the output exactly
        for (Axis a : new Axis[] {ah, aw}) {
            long p2 = a.keptPad();
            long reach = (long) a.keptDilation() * (a.keptKernel() - 1) + 1;
            boolean exact = p2 >= 0 && (a.size() + 2 * p2 - reach) / a.stride() + 1 == a.out();
            if (!exact || !Axis.fits(a.size(), p2, a.keptKernel(), a.keptDilation(), a.stride(), a.out())) {
                throw new IllegalArgumentException(opName() + ": input " + input.dimsString() + " with " + this
                        + " needs padded extents or window reaches beyond 2^31-2 elements per dimension ("
                        + (a.size() + 2 * a.pad()) + " padded, " + ((a.out() - 1) * a.stride()
                        + (long) a.dilation() * (a.kernel() - 1) + 1) + " reached); layers4j computes"
                        + " convolution indices in 32 bits");
            }
        }
        checkPlane(input, ah.size(), ah.keptPad(), aw.size(), aw.keptPad());
        ConvGeometry g = new ConvGeometry(n, c, h, w, outChannels, ah.keptKernel(), aw.keptKernel(), ah.stride(),
                aw.stride(), (int) ah.keptPad(), (int) aw.keptPad(), ah.keptDilation(), aw.keptDilation(), groups);
        int[] taps = {(int) ah.tapFrom(), (int) ah.tapTo(), (int) aw.tapFrom(), (int) aw.tapTo()};
        return new ConvPlan(g, plan, input4d, Shape.of(out), output4d, taps, false);
    }

    /** Implicit padding a backend may materialize per plane: refused when huge and mostly padding. */
    private void checkPlane(Shape input, long h, long padH, long w, long padW) {
        double plane = (double) (h + 2 * padH) * (w + 2 * padW);
        if (plane > MAX_PADDED_PLANE && plane > 4.0 * h * w) {
            throw new IllegalArgumentException(opName() + ": input " + input.dimsString() + " with " + this
                    + " would need a zero-padded plane of " + (long) plane + " elements, more than " + MAX_PADDED_PLANE
                    + " and 4 times the input's plane; layers4j does not allocate that much padding");
        }
    }

    private void checkElements(String what, long[] dims) {
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(opName() + ": the " + what + " " + Arrays.toString(dims) + " would have "
                        + dims[i] + " elements along dimension " + i + ", more than 2^31-1 (layers4j sizes are ints)");
            }
        }
        long count = 1;
        for (long d : dims) {
            if (d == 0) {
                return;
            }
        }
        for (long d : dims) {
            if (d > Integer.MAX_VALUE || count > Integer.MAX_VALUE / d) {
                count = -1;
                break;
            }
            count *= d;
        }
        if (count < 0 || count > Integer.MAX_VALUE) {
            java.math.BigInteger total = java.math.BigInteger.ONE;
            for (long d : dims) {
                total = total.multiply(java.math.BigInteger.valueOf(d));
            }
            throw new IllegalArgumentException(opName() + ": the " + what + " " + Arrays.toString(dims) + " would have "
                    + total + " elements, more than 2^31-1 (PyTorch cannot allocate it either)");
        }
    }

    private void checkPaddingFitsInput(Shape input, int[] spatial, long[][] pad) {
        for (int d = 0; d < dims; d++) {
            int size = spatial[d];
            int dim = input.rank() - dims + d;
            for (long p : pad[d]) {
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
