package org.layers4j.nn.conv;

import java.util.concurrent.ThreadLocalRandom;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;

/**
 * Builds a {@link Conv1d} or {@link Conv2d} with PyTorch's argument names and defaults
 * (stride 1, padding 0, dilation 1, groups 1, bias true, padding_mode zeros). Each of kernel,
 * stride, padding and dilation takes one int for every dimension or one int per dimension;
 * padding also takes {@code "same"} or {@code "valid"}. Arguments are validated by {@link #build()}.
 *
 * @param <L> the layer type built
 */
public final class ConvBuilder<L extends Convolution> {
    /** Makes the layer from the validated spec. */
    interface Factory<L> {
        L create(ConvSpec spec, Backend backend, long seed);
    }

    private final int dims;
    private final Factory<L> factory;
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private int[] stride = {1};
    private int[] padding = {0};
    private ConvSpec.PaddingKind paddingKind = ConvSpec.PaddingKind.EXPLICIT;
    private int[] dilation = {1};
    private int groups = 1;
    private boolean bias = true;
    private PaddingMode paddingMode = PaddingMode.ZEROS;
    private Long seed;
    private Backend backend;

    ConvBuilder(int dims, Factory<L> factory, int inChannels, int outChannels, int[] kernel) {
        this.dims = dims;
        this.factory = factory;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel == null ? null : kernel.clone();
    }

    public ConvBuilder<L> stride(int... stride) {
        this.stride = stride == null ? null : stride.clone();
        return this;
    }

    public ConvBuilder<L> padding(int... padding) {
        this.padding = padding == null ? null : padding.clone();
        this.paddingKind = ConvSpec.PaddingKind.EXPLICIT;
        return this;
    }

    /** {@code "same"} (output size = input size; stride must be 1) or {@code "valid"} (no padding). */
    public ConvBuilder<L> padding(String padding) {
        String p = padding == null ? "null" : padding;
        if (p.equals("same")) {
            this.paddingKind = ConvSpec.PaddingKind.SAME;
        } else if (p.equals("valid")) {
            this.paddingKind = ConvSpec.PaddingKind.VALID;
        } else {
            throw new IllegalArgumentException("Invalid padding string '" + padding
                    + "', should be one of {'valid', 'same'}");
        }
        return this;
    }

    public ConvBuilder<L> dilation(int... dilation) {
        this.dilation = dilation == null ? null : dilation.clone();
        return this;
    }

    public ConvBuilder<L> groups(int groups) {
        this.groups = groups;
        return this;
    }

    public ConvBuilder<L> bias(boolean bias) {
        this.bias = bias;
        return this;
    }

    public ConvBuilder<L> paddingMode(PaddingMode paddingMode) {
        this.paddingMode = paddingMode;
        return this;
    }

    /** Seeds the parameter initialization, for reproducible layers (default: a random seed). */
    public ConvBuilder<L> seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The backend the parameters are created on (default: {@link Backends#defaultBackend()}). */
    public ConvBuilder<L> backend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        this.backend = backend;
        return this;
    }

    /** Validates every argument without creating a layer. */
    public ConvSpec spec() {
        return new ConvSpec(dims, inChannels, outChannels, kernel, stride, padding, paddingKind, dilation, groups, bias,
                paddingMode);
    }

    /** Validates every argument and creates the layer. */
    public L build() {
        ConvSpec spec = spec();
        Backend be = backend != null ? backend : Backends.defaultBackend();
        return factory.create(spec, be, seed != null ? seed : ThreadLocalRandom.current().nextLong());
    }
}
