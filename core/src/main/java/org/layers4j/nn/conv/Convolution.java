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

/**
 * What {@link Conv1d} and {@link Conv2d} share: parameters initialized as PyTorch does, forward and
 * backward through the backend's {@link org.layers4j.spi.ConvolutionOps} following the
 * {@link ConvPlan} that {@link ConvSpec} makes. Backward needs only the input, which the forward keeps.
 */
public abstract class Convolution extends Module {
    private final ConvSpec spec;
    private final Parameter weight;
    private final Parameter bias;

    protected Convolution(ConvSpec spec, Backend backend, long seed) {
        super(backend);
        this.spec = spec;
        // PyTorch's reset_parameters: kaiming_uniform_(a=sqrt(5)) gives bound 1/sqrt(fan_in); bias the same
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(spec.fanIn());
        this.weight = registerParameter("weight", Init.uniform(backend, rng, spec.weightShape(), bound));
        this.bias = spec.bias() ? registerParameter("bias", Init.uniform(backend, rng, Shape.of(spec.outChannels()),
                bound)) : null;
    }

    /** The validated arguments. */
    public ConvSpec spec() {
        return spec;
    }

    /** The weight, [out_channels, in_channels / groups, *kernel_size]; owned by the layer. */
    public Tensor weight() {
        return weight.data();
    }

    /**
     * Makes the weight a handle on {@code prepared} (the backend's prepared form of this weight, shaped as
     * {@link #weight4dShape}), closing the layer's own handle: for {@link PreparedConvolution#owning}.
     */
    void usePrepared(Tensor prepared) {
        replace(weight, prepared.reshape(spec.weightShape()));
    }

    /** The bias, [out_channels], or null when built with {@code bias(false)}; owned by the layer. */
    public Tensor bias() {
        return bias == null ? null : bias.data();
    }

    /** Replaces the weight by a copy of {@code values} (shape-checked; any backend). */
    public void setWeight(Tensor values) {
        setParameter("weight", checked("weight", values, spec.weightShape()).toArray());
    }

    /** Replaces the bias by a copy of {@code values} (shape-checked; any backend). */
    public void setBias(Tensor values) {
        if (bias == null) {
            throw new IllegalArgumentException(spec.opName() + " was built with bias=False; it has no bias");
        }
        setParameter("bias", checked("bias", values, Shape.of(spec.outChannels())).toArray());
    }

    private static Tensor checked(String name, Tensor values, Shape expected) {
        if (values == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (!values.shape().equals(expected)) {
            throw new IllegalArgumentException(name + " must have shape " + expected.dimsString() + ", but got "
                    + values.shape().dimsString());
        }
        return values;
    }

    /** The plan for {@code input}, after the checks forward makes (open, float32, on this layer's backend). */
    ConvPlan plan(Tensor input) {
        return spec.plan(requireInput(spec.opName(), input));
    }

    @Override
    public Tensor forward(Tensor input) {
        Backend be = backend();
        ConvPlan plan = plan(input);
        Tensor w = weight.data();
        Tensor b = bias == null ? null : bias.data();
        Tensor out = compute(be, plan.outputShape(), o -> {
            try (Tensor y4 = o.reshape(plan.output4d())) {
                if (!plan.biasOnly()) {
                    try (Tensor x4 = input.reshape(plan.input4d());
                         Tensor padded = padded(be, plan, x4);
                         Tensor w4 = kernelWeight(be, plan, w)) {
                        be.convolution().forward(plan.geometry(), padded, w4, b, y4);
                    }
                } else if (b != null) {
                    be.convolution().biasAdd(y4, b);
                }
            }
        }, input, w, b);
        return record(spec.opName(), out, tensors(input), params(weight, bias), tensors(input, w),
                new org.layers4j.nn.BackwardFunction() {
                    @Override
                    public Tensor[] apply(Tensor dy, Tensor[] saved) {
                        return backward(be, plan, saved[0], saved[1], dy, true);
                    }

                    @Override
                    public Tensor[] apply(Tensor dy, Tensor[] saved, boolean[] inputsWanted) {
                        return backward(be, plan, saved[0], saved[1], dy, inputsWanted[0]);
                    }
                });
    }

    /** dx (null when not {@code inputGradient}), dw, db (db null without bias) from the saved input and weight. */
    private Tensor[] backward(Backend be, ConvPlan plan, Tensor input, Tensor w, Tensor gradOutput,
                              boolean inputGradient) {
        ConvGeometry g = plan.geometry();
        Tensor gradInput = inputGradient ? be.allocate(input.shape()) : null;
        Tensor gradWeight = be.allocate(spec.weightShape());
        Tensor gradBias = bias == null ? null : be.allocate(Shape.of(spec.outChannels()));
        try (Tensor dy4 = gradOutput.reshape(plan.output4d())) {
            if (gradBias != null) {
                be.convolution().biasGradient(dy4, gradBias);
            }
            if (!plan.biasOnly()) {
                try (Tensor x4 = input.reshape(plan.input4d());
                     Tensor dx4 = gradInput == null ? null : gradInput.reshape(plan.input4d());
                     Tensor w4 = kernelWeight(be, plan, w)) {
                    if (plan.taps() == null) {
                        try (Tensor padded = padded(be, plan, x4); Tensor dw4 = gradWeight.reshape(weight4dShape())) {
                            be.convolution().backwardFilter(g, padded, dy4, dw4);
                        }
                    } else {
                        try (Tensor padded = padded(be, plan, x4); Tensor dwKept = be.allocate(w4.shape())) {
                            be.convolution().backwardFilter(g, padded, dy4, dwKept);
                            Tensor full = be.upload(expandTaps(plan.taps(), dwKept.toArray()), spec.weightShape());
                            gradWeight.close();
                            gradWeight = full;
                        }
                    }
                    // no dx4: the tape wants no input gradient (a parameters-only tape's first layer), no backward data
                    if (dx4 != null) {
                        if (plan.padding() == null) {
                            be.convolution().backwardData(g, dy4, w4, dx4);
                        } else {
                            try (Tensor dPadded = be.allocate(plan.convInput4d())) {
                                be.convolution().backwardData(g, dy4, w4, dPadded);
                                be.layout().padBackward(plan.padding(), dPadded, dx4);
                            }
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            if (gradInput != null) {
                gradInput.close();
            }
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

    /** The 4-D weight the plan's geometry runs with: a view of w, or (taps dropped) a new slice of it. */
    private Tensor kernelWeight(Backend be, ConvPlan plan, Tensor w) {
        if (plan.taps() == null) {
            return w.reshape(weight4dShape());
        }
        int[] t = plan.taps();
        Shape full = weight4dShape();
        int kh = full.dim(2);
        int kw = full.dim(3);
        int nh = t[1] - t[0];
        int nw = t[3] - t[2];
        float[] src = w.toArray();
        int planes = full.dim(0) * full.dim(1);
        float[] dst = new float[planes * nh * nw];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < nh; i++) {
                System.arraycopy(src, (p * kh + t[0] + i) * kw + t[2], dst, (p * nh + i) * nw, nw);
            }
        }
        return be.upload(dst, Shape.of(full.dim(0), full.dim(1), nh, nw));
    }

    /** The full weight gradient (zeros at the dropped taps, which only ever met zero padding) of a kept slice. */
    private float[] expandTaps(int[] t, float[] kept) {
        Shape full = weight4dShape();
        int kh = full.dim(2);
        int kw = full.dim(3);
        int nh = t[1] - t[0];
        int nw = t[3] - t[2];
        int planes = full.dim(0) * full.dim(1);
        float[] dst = new float[full.size()];
        for (int p = 0; p < planes; p++) {
            for (int i = 0; i < nh; i++) {
                System.arraycopy(kept, (p * nh + i) * nw, dst, (p * kh + t[0] + i) * kw + t[2], nw);
            }
        }
        return dst;
    }

    /** The input of the plain convolution: a view of x4, or a new padded tensor. */
    static Tensor padded(Backend be, ConvPlan plan, Tensor x4) {
        if (plan.padding() == null) {
            return x4.share();
        }
        Tensor p = be.allocate(plan.convInput4d());
        try {
            be.layout().pad(plan.padding(), x4, p);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
        return p;
    }

    Shape weight4dShape() {
        Shape w = spec.weightShape();
        return spec.dims() == 2 ? w : Shape.of(w.dim(0), w.dim(1), 1, w.dim(2));
    }

    @Override
    protected String extraRepr() {
        return spec.toString();
    }
}
