package org.layers4j.nn.pool;

import java.util.Arrays;
import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Module;
import org.layers4j.spi.Backend;
import org.layers4j.spi.PoolGeometry;

/**
 * What MaxPool1d/2d and AvgPool1d/2d share: PyTorch's argument checks and output-size rule
 * ({@code floor} or, with ceil_mode, {@code ceil} of (in + 2·pad − dilation·(k − 1) − 1) / stride + 1, a
 * last window that would start in the right padding dropped), batched or unbatched inputs, 1-D as
 * height 1, and the backend's {@link org.layers4j.spi.PoolingOps}.
 */
public abstract class Pooling extends Module {
    private final int dims;
    private final boolean max;
    private final int[] kernel;
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final boolean ceilMode;
    private final boolean countIncludePad;
    private final Integer divisorOverride;

    Pooling(int dims, boolean max, PoolOptions o) {
        super(backendOf(o));
        String op = (max ? "MaxPool" : "AvgPool") + dims + "d";
        this.dims = dims;
        this.max = max;
        this.kernel = perDim(op, "kernel_size", o.kernel, dims, 1);
        this.stride = o.stride == null ? kernel.clone() : perDim(op, "stride", o.stride, dims, 1);
        this.padding = perDim(op, "padding", o.padding, dims, 0);
        if (!max && o.dilationSet) {
            throw new IllegalArgumentException(op + " has no dilation argument");
        }
        this.dilation = perDim(op, "dilation", o.dilation, dims, 1);
        if (max && (!o.countIncludePad || o.divisorOverride != null)) {
            throw new IllegalArgumentException(op + " has no count_include_pad or divisor_override argument");
        }
        if (!max && dims == 1 && o.divisorOverride != null) {
            throw new IllegalArgumentException("AvgPool1d has no divisor_override argument");
        }
        if (o.divisorOverride != null && o.divisorOverride == 0) {
            throw new IllegalArgumentException(op + ": divisor must be not zero");
        }
        if (o.divisorOverride != null && o.divisorOverride < 0) {
            throw new IllegalArgumentException(op + ": divisor_override must be positive, but got " + o.divisorOverride);
        }
        for (int d = 0; d < dims; d++) {
            if (padding[d] > kernel[d] / 2) {
                throw new IllegalArgumentException(op + ": pad should be smaller than or equal to half of kernel size,"
                        + " but got padding=" + Arrays.toString(padding) + ", kernel_size=" + Arrays.toString(kernel));
            }
        }
        this.ceilMode = o.ceilMode;
        this.countIncludePad = o.countIncludePad;
        this.divisorOverride = o.divisorOverride;
    }

    private static Backend backendOf(PoolOptions o) {
        if (o == null) {
            throw new IllegalArgumentException("pooling options must not be null");
        }
        return o.backend == null ? Backends.defaultBackend() : o.backend;
    }

    static int[] perDim(String op, String name, int[] values, int dims, int min) {
        if (values == null || values.length == 0) {
            throw new IllegalArgumentException(op + ": " + name + " must not be empty");
        }
        int[] v = values.length == 1 ? filled(values[0], dims) : values.clone();
        if (v.length != dims) {
            throw new IllegalArgumentException(op + ": " + name + " must be a single int or a tuple of " + dims
                    + " ints, but got " + Arrays.toString(values));
        }
        for (int x : v) {
            if (x < min) {
                throw new IllegalArgumentException(op + ": " + name + " must be " + (min == 0 ? "non-negative" : "greater than zero")
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

    /** PyTorch's pooling_output_shape. */
    static long outputSize(long in, int k, int pad, int stride, int dilation, boolean ceil) {
        long num = in + 2L * pad - (long) dilation * (k - 1) - 1 + (ceil ? stride - 1 : 0);
        long out = Math.floorDiv(num, stride) + 1;
        if (ceil && (out - 1) * stride >= in + pad) {
            out--;
        }
        return out;
    }

    /** The taps t of a max window with t*d - pad < in: the others lie past the input for every output. */
    private static int liveTaps(int in, int k, int pad, int d) {
        long live = Math.floorDiv((long) in - 1 + pad, (long) d) + 1;
        return (int) Math.max(1, Math.min(k, live));
    }

    private String opName() {
        return getClass().getSimpleName();
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        Shape s = requireInput(opName(), input);
        int rank = s.rank();
        if (rank != dims + 1 && rank != dims + 2) {
            throw new IllegalArgumentException(opName() + ": Expected " + (dims + 1) + "D or " + (dims + 2)
                    + "D input, but got input of size: " + s.dimsString());
        }
        boolean batched = rank == dims + 2;
        for (int i = batched ? 1 : 0; i < rank; i++) {
            if (s.dim(i) == 0) {
                throw new IllegalArgumentException(opName() + ": Expected input's non-batch dimensions to have positive"
                        + " length, but input has a shape of " + s.dimsString());
            }
        }
        int n = batched ? s.dim(0) : 1;
        int c = s.dim(batched ? 1 : 0);
        int h = dims == 2 ? s.dim(rank - 2) : 1;
        int w = s.dim(rank - 1);
        int kh = dims == 2 ? kernel[0] : 1;
        int sh = dims == 2 ? stride[0] : 1;
        int ph = dims == 2 ? padding[0] : 0;
        int dh = dims == 2 ? dilation[0] : 1;
        int last = dims - 1;
        long oh = outputSize(h, kh, ph, sh, dh, ceilMode);
        long ow = outputSize(w, kernel[last], padding[last], stride[last], dilation[last], ceilMode);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException(opName() + ": Given input size: (" + c + "x" + (dims == 2 ? h + "x" : "") + w
                    + "). Calculated output size: (" + c + "x" + (dims == 2 ? oh + "x" : "") + ow + "). Output size is too small");
        }
        // what the backend runs: a max window's taps past the input's end (for every output) never matter,
        // nor does the stride of a single window; dropping them keeps huge dilations and strides exact
        int kwl = kernel[last];
        int dwl = dilation[last];
        int swl = stride[last];
        int pwl = padding[last];
        int khE = max ? liveTaps(h, kh, ph, dh) : kh;
        int kwE = max ? liveTaps(w, kwl, pwl, dwl) : kwl;
        int dhE = khE == 1 ? 1 : dh;
        int dwE = kwE == 1 ? 1 : dwl;
        int shE = oh == 1 ? 1 : sh;
        int swE = ow == 1 ? 1 : swl;
        if (h + 2L * ph >= Integer.MAX_VALUE || w + 2L * pwl >= Integer.MAX_VALUE
                || (oh - 1) * shE + (long) dhE * (khE - 1) + 1 >= Integer.MAX_VALUE
                || (ow - 1) * swE + (long) dwE * (kwE - 1) + 1 >= Integer.MAX_VALUE
                || (oh - 1) * shE + (long) khE >= Integer.MAX_VALUE || (ow - 1) * swE + (long) kwE >= Integer.MAX_VALUE) {
            throw new IllegalArgumentException(opName() + ": input " + s.dimsString() + " with " + extraRepr()
                    + " needs padded extents or window reaches beyond 2^31-2 elements; layers4j computes pooling"
                    + " indices in 32 bits");
        }
        PoolGeometry g = new PoolGeometry(n, c, h, w, khE, kwE, shE, swE, ph, pwl, dhE, dwE, (int) oh, (int) ow,
                countIncludePad, divisorOverride == null ? 0 : divisorOverride);
        int[] od = s.dims();
        if (dims == 2) {
            od[rank - 2] = (int) oh;
        }
        od[rank - 1] = (int) ow;
        Shape os = Shape.of(od);
        Shape in4 = Shape.of(n, c, h, w);
        Shape out4 = Shape.of(n, c, (int) oh, (int) ow);
        if (n == 0) {
            return be.allocate(os);
        }
        Tensor out = compute(be, os, y -> {
            try (Tensor x4 = input.reshape(in4); Tensor y4 = y.reshape(out4)) {
                if (max) {
                    be.pooling().maxForward(g, x4, y4);
                } else {
                    be.pooling().avgForward(g, x4, y4);
                }
            }
        }, input);
        return record(opName(), out, tensors(input), params(), max ? tensors(input, out) : tensors(),
                (dy, k) -> new Tensor[] {compute(be, s, dx -> {
                    try (Tensor dy4 = dy.reshape(out4); Tensor dx4 = dx.reshape(in4)) {
                        if (max) {
                            try (Tensor x4 = k[0].reshape(in4); Tensor y4 = k[1].reshape(out4)) {
                                be.pooling().maxBackward(g, x4, y4, dy4, dx4);
                            }
                        } else {
                            be.pooling().avgBackward(g, dy4, dx4);
                        }
                    }
                }, dy)});
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

    public int[] dilation() {
        return dilation.clone();
    }

    public boolean ceilMode() {
        return ceilMode;
    }

    public boolean countIncludePad() {
        return countIncludePad;
    }

    /** divisor_override, or null. */
    public Integer divisorOverride() {
        return divisorOverride;
    }

    private String value(int[] v) {
        if (dims == 1) {
            return Integer.toString(v[0]);
        }
        return v[0] == v[1] ? Integer.toString(v[0]) : "(" + v[0] + ", " + v[1] + ")";
    }

    @Override
    protected String extraRepr() {
        if (max) {
            return "kernel_size=" + value(kernel) + ", stride=" + value(stride) + ", padding=" + value(padding)
                    + ", dilation=" + value(dilation) + ", ceil_mode=" + (ceilMode ? "True" : "False");
        }
        return "kernel_size=" + value(kernel) + ", stride=" + value(stride) + ", padding=" + value(padding);
    }
}
