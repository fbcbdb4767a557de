package org.layers4j.nn.conv;

import java.lang.ref.Reference;
import java.util.SplittableRandom;
import org.layers4j.Shape;
import org.layers4j.Tensor;
import org.layers4j.nn.Init;
import org.layers4j.nn.Module;
import org.layers4j.nn.Parameter;
import org.layers4j.spi.Backend;
import org.layers4j.spi.ConvGeometry;
import org.layers4j.spi.PaddingPlan;

/**
 * What {@link ConvTranspose1d} and {@link ConvTranspose2d} share, PyTorch's {@code _ConvTransposeNd}, run with
 * the backend's plain {@link org.layers4j.spi.ConvolutionOps} on the convolution {@link ConvTransposeSpec} plans
 * (from the transposed output back to its input): forward is that convolution's {@code backwardData}, the input
 * gradient its {@code forward} of dy, the weight gradient its {@code backwardFilter} with dy as the input and x
 * as the output gradient; the bias goes through {@code biasAdd} / {@code biasGradient}. Backward needs only the
 * input and the weight, which the forward keeps.
 */
public abstract class ConvTranspose extends Module {
    private final ConvTransposeSpec spec;
    private final Parameter weight;
    private final Parameter bias;

    protected ConvTranspose(ConvTransposeSpec spec, Backend backend, long seed) {
        super(backend);
        this.spec = spec;
        // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in), fan_in from the
        // weight's dimension 1 (out_channels / groups) times the kernel volume; the bias the same
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(spec.fanIn());
        this.weight = registerParameter("weight", Init.uniform(backend, rng, spec.weightShape(), bound));
        this.bias = spec.bias() ? registerParameter("bias", Init.uniform(backend, rng, Shape.of(spec.outChannels()),
                bound)) : null;
    }

    /** The validated arguments. */
    public ConvTransposeSpec spec() {
        return spec;
    }

    public int inChannels() {
        return spec.inChannels();
    }

    public int outChannels() {
        return spec.outChannels();
    }

    public int[] kernelSize() {
        return spec.kernelSize();
    }

    public int[] stride() {
        return spec.stride();
    }

    public int[] padding() {
        return spec.padding();
    }

    public int[] outputPadding() {
        return spec.outputPadding();
    }

    public int groups() {
        return spec.groups();
    }

    /** PyTorch's {@code bias} argument (whether the layer has a bias). */
    public boolean hasBias() {
        return bias != null;
    }

    public int[] dilation() {
        return spec.dilation();
    }

    public PaddingMode paddingMode() {
        return spec.paddingMode();
    }

    /** The weight, [in_channels, out_channels / groups, *kernel_size]; owned by the layer. */
    public Tensor weight() {
        return weight.data();
    }

    /** The bias, [out_channels], or null when built with {@code bias(false)}; owned by the layer. */
    public Tensor bias() {
        return bias == null ? null : bias.data();
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        ConvTransposeSpec.Plan plan = spec.plan(requireInput(spec.opName(), input));
        Tensor w = weight.data();
        Tensor b = bias == null ? null : bias.data();
        Tensor out = compute(be, plan.outputShape(), o -> {
            try (Tensor y4 = o.reshape(plan.output4d());
                 Tensor x4 = input.reshape(plan.input4d());
                 Tensor xc = extended(be, plan, x4);
                 Tensor w4 = w.reshape(weight4dShape())) {
                be.convolution().backwardData(plan.geometry(), xc, w4, y4);
                if (b != null) {
                    be.convolution().biasAdd(y4, b);
                }
            }
        }, input, w, b);
        return record(spec.opName(), out, tensors(input), params(weight, bias), tensors(input, w),
                (dy, saved) -> backward(be, plan, saved[0], saved[1], dy));
    }

    /** dx, dw, db (db null without bias) from the saved input and weight. */
    private Tensor[] backward(Backend be, ConvTransposeSpec.Plan plan, Tensor input, Tensor w, Tensor gradOutput) {
        ConvGeometry g = plan.geometry();
        Tensor gradInput = be.allocate(input.shape());
        Tensor gradWeight = be.allocate(spec.weightShape());
        Tensor gradBias = bias == null ? null : be.allocate(Shape.of(spec.outChannels()));
        try (Tensor dy4 = gradOutput.reshape(plan.output4d());
             Tensor x4 = input.reshape(plan.input4d());
             Tensor dx4 = gradInput.reshape(plan.input4d());
             Tensor w4 = w.reshape(weight4dShape());
             Tensor dw4 = gradWeight.reshape(weight4dShape())) {
            if (gradBias != null) {
                be.convolution().biasGradient(dy4, gradBias);
            }
            if (plan.extra()) {
                try (Tensor dxc = be.allocate(plan.convOutput4d()); Tensor xc = extended(be, plan, x4)) {
                    be.convolution().forward(g, dy4, w4, dxc);
                    be.layout().padBackward(extension(plan), dxc, dx4);
                    be.convolution().backwardFilter(g, dy4, xc, dw4);
                }
            } else {
                be.convolution().forward(g, dy4, w4, dx4);
                be.convolution().backwardFilter(g, dy4, x4, dw4);
            }
        } catch (RuntimeException e) {
            gradInput.close();
            gradWeight.close();
            if (gradBias != null) {
                gradBias.close();
            }
            throw e;
        } finally {
            Reference.reachabilityFence(input);
            Reference.reachabilityFence(gradOutput);
            Reference.reachabilityFence(w);
        }
        return gradBias == null ? new Tensor[] {gradInput, gradWeight} : new Tensor[] {gradInput, gradWeight, gradBias};
    }

    private static PaddingPlan extension(ConvTransposeSpec.Plan plan) {
        return new PaddingPlan(PaddingMode.ZEROS, 0, plan.extraH(), 0, plan.extraW());
    }

    /** The input as the plain convolution's output gradient: a view of x4, or x4 extended by zero rows / columns. */
    private static Tensor extended(Backend be, ConvTransposeSpec.Plan plan, Tensor x4) {
        if (!plan.extra()) {
            return x4.share();
        }
        Tensor p = be.allocate(plan.convOutput4d());
        try {
            be.layout().pad(extension(plan), x4, p);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    private Shape weight4dShape() {
        Shape w = spec.weightShape();
        return spec.dims() == 2 ? w : Shape.of(w.dim(0), w.dim(1), 1, w.dim(2));
    }

    @Override
    protected String extraRepr() {
        return spec.toString();
    }
}
