package org.layers4j.nn.conv;

import java.util.concurrent.ThreadLocalRandom;
import org.layers4j.Backends;
import org.layers4j.spi.Backend;

/**
 * Builds a {@link ConvTranspose1d} or {@link ConvTranspose2d} with PyTorch's argument names and defaults
 * (stride 1, padding 0, output_padding 0, groups 1, bias true, dilation 1, padding_mode zeros — the only mode
 * transposed convolutions support). Each of kernel, stride, padding, output_padding and dilation takes one int
 * for every dimension or one int per dimension. Arguments are validated by {@link #build()}.
 *
 * @param <L> the layer type built
 */
public final class ConvTransposeBuilder<L extends ConvTranspose> {
    /** Makes the layer from the validated spec. */
    interface Factory<L> {
        L create(ConvTransposeSpec spec, Backend backend, long seed);
    }

    private final int dims;
    private final Factory<L> factory;
    private final int inChannels;
    private final int outChannels;
    private final int[] kernel;
    private int[] stride = {1};
    private int[] padding = {0};
    private int[] outputPadding = {0};
    private int groups = 1;
    private boolean bias = true;
    private int[] dilation = {1};
    private PaddingMode paddingMode = PaddingMode.ZEROS;
    private Long seed;
    private Backend backend;

    ConvTransposeBuilder(int dims, Factory<L> factory, int inChannels, int outChannels, int[] kernel) {
        this.dims = dims;
        this.factory = factory;
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel == null ? null : kernel.clone();
    }

    public ConvTransposeBuilder<L> stride(int... stride) {
        this.stride = stride == null ? null : stride.clone();
        return this;
    }

    /** Implicit zero padding: dilation * (kernel_size - 1) - padding is added to both sides of the input. */
    public ConvTransposeBuilder<L> padding(int... padding) {
        this.padding = padding == null ? null : padding.clone();
        return this;
    }

    /** Extra size added to one side of the output; smaller than stride or dilation. */
    public ConvTransposeBuilder<L> outputPadding(int... outputPadding) {
        this.outputPadding = outputPadding == null ? null : outputPadding.clone();
        return this;
    }

    public ConvTransposeBuilder<L> groups(int groups) {
        this.groups = groups;
        return this;
    }

    public ConvTransposeBuilder<L> bias(boolean bias) {
        this.bias = bias;
        return this;
    }

    public ConvTransposeBuilder<L> dilation(int... dilation) {
        this.dilation = dilation == null ? null : dilation.clone();
        return this;
    }

    /** Only {@link PaddingMode#ZEROS}; any other mode is rejected by {@link #build()}, as PyTorch does. */
    public ConvTransposeBuilder<L> paddingMode(PaddingMode paddingMode) {
        this.paddingMode = paddingMode;
        return this;
    }

    /** Seeds the parameter initialization, for reproducible layers (default: a random seed). */
    public ConvTransposeBuilder<L> seed(long seed) {
        this.seed = seed;
        return this;
    }

    /** The backend the parameters are created on (default: {@link Backends#defaultBackend()}). */
    public ConvTransposeBuilder<L> backend(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("backend must not be null");
        }
        this.backend = backend;
        return this;
    }

    /** Validates every argument without creating a layer. */
    public ConvTransposeSpec spec() {
        return new ConvTransposeSpec(dims, inChannels, outChannels, kernel, stride, padding, outputPadding, groups, bias,
                dilation, paddingMode);
    }

    /** Validates every argument and creates the layer. */
    public L build() {
        ConvTransposeSpec spec = spec();
        Backend be = backend != null ? backend : Backends.defaultBackend();
        return factory.create(spec, be, seed != null ? seed : ThreadLocalRandom.current().nextLong());
    }
}
