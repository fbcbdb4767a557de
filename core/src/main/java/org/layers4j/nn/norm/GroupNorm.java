package org.layers4j.nn.norm;

import org.layers4j.Backends;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.internal.NormalizationImpl;
import org.layers4j.internal.PyFormat;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;

/**
 * PyTorch's {@code nn.GroupNorm(num_groups, num_channels, eps=1e-05, affine=True)} for inputs [N, C, *]: the C
 * channels split into num_groups consecutive groups, each (sample, group) normalized with its own mean and
 * biased variance (in training and eval alike), then, with affine, times weight[c] (ones) plus bias[c] (zeros).
 */
public final class GroupNorm extends Module {
    private final int numGroups;
    private final int numChannels;
    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** {@code nn.GroupNorm(num_groups, num_channels)} with eps 1e-5 and the affine parameters, on the default backend. */
    public GroupNorm(int numGroups, int numChannels) {
        this(numGroups, numChannels, 1e-5, true, null);
    }

    public GroupNorm(int numGroups, int numChannels, double eps, boolean affine, Backend backend) {
        super(backend == null ? Backends.defaultBackend() : backend);
        if (numGroups <= 0) {
            throw new IllegalArgumentException("GroupNorm: num_groups must be a positive integer, but got " + numGroups);
        }
        if (numChannels < 0) {
            throw new IllegalArgumentException("GroupNorm: num_channels must be non-negative, but got " + numChannels);
        }
        if (numChannels % numGroups != 0) {
            throw new IllegalArgumentException("num_channels must be divisible by num_groups");
        }
        this.numGroups = numGroups;
        this.numChannels = numChannels;
        this.eps = eps;
        Backend be = backend();
        Shape c = Shape.of(numChannels);
        this.weight = affine ? registerParameter("weight", be.upload(Init.filled(numChannels, 1f), c)) : null;
        this.bias = affine ? registerParameter("bias", be.allocate(c)) : null;
    }

    public int numGroups() {
        return numGroups;
    }

    public int numChannels() {
        return numChannels;
    }

    public double eps() {
        return eps;
    }

    public boolean affine() {
        return weight != null;
    }

    /** The weight [num_channels], or null without affine; owned by the layer. */
    public Tensor weight() {
        return weight == null ? null : weight.data();
    }

    /** The bias [num_channels], or null without affine; owned by the layer. */
    public Tensor bias() {
        return bias == null ? null : bias.data();
    }

    @Override
    public Tensor forward(Tensor input) {
        requireInput("GroupNorm", input);
        return NormalizationImpl.groupNorm("GroupNorm", input, numGroups, NormalizationImpl.Affine.ofParams(weight, bias),
                eps);
    }

    @Override
    protected String extraRepr() {
        return numGroups + ", " + numChannels + ", eps=" + PyFormat.floatRepr(eps) + ", affine="
                + (affine() ? "True" : "False");
    }
}
